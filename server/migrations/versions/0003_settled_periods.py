"""settled periods: closed weeks and months, their snapshots, adjustments, refused events

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 21:40:00

New tables only: a database from before has no closed period, so every period stays
open and reads the live engine as it did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=10), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('open', 'closed', 'reopened', name='period_state', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('closed_at', server.models.base.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.Column('reopened_at', server.models.base.UTCDateTime(), nullable=True),
    sa.Column('reopened_by', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workshop_id', 'kind', 'key')
    )
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_periods_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('refused_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('worker_code', sa.String(length=32), nullable=True),
    sa.Column('occurred_at', server.models.base.UTCDateTime(), nullable=False),
    sa.Column('received_at', server.models.base.UTCDateTime(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('booked_at', server.models.base.UTCDateTime(), nullable=True),
    sa.Column('booked_by', sa.String(length=100), nullable=True),
    sa.Column('adjustment_points', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosks.id'], ),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uuid')
    )
    with op.batch_alter_table('refused_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refused_events_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('original_date', sa.Date(), nullable=False),
    sa.Column('origin_period_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', server.models.base.UTCDateTime(), nullable=False),
    sa.Column('cancelled_at', server.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['origin_period_id'], ['periods.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_adjustments_worker_booked', ['worker_id', 'booked_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjustments_worker_id'), ['worker_id'], unique=False)

    op.create_table('period_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', server.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('board', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['period_id'], ['periods.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('period_id', 'version')
    )
    with op.batch_alter_table('period_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_period_snapshots_period_id'), ['period_id'], unique=False)

    op.create_table('snapshot_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=32), nullable=True),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['period_snapshots.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('snapshot_id', 'worker_id')
    )
    with op.batch_alter_table('snapshot_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_cards_snapshot_id'), ['snapshot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_cards_worker_id'), ['worker_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('snapshot_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_cards_worker_id'))
        batch_op.drop_index(batch_op.f('ix_snapshot_cards_snapshot_id'))

    op.drop_table('snapshot_cards')
    with op.batch_alter_table('period_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_period_snapshots_period_id'))

    op.drop_table('period_snapshots')
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustments_worker_id'))
        batch_op.drop_index('ix_adjustments_worker_booked')

    op.drop_table('adjustments')
    with op.batch_alter_table('refused_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refused_events_workshop_id'))

    op.drop_table('refused_events')
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_periods_workshop_id'))

    op.drop_table('periods')
