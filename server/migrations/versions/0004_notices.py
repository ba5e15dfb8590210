"""notices: the decisions a worker is told at the kiosk until a kiosk reports them seen

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:40:21

A new table only: appeals and claims decided before it have no notice (the kiosk told
those once, the next visit after the decision).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('appeal_upheld', 'appeal_rejected', 'claim_approved', 'claim_rejected', name='notice_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', server.models.base.UTCDateTime(), nullable=False),
    sa.Column('seen_at', server.models.base.UTCDateTime(), nullable=True),
    sa.Column('seen_event_uuid', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_worker_seen', ['worker_id', 'seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_worker_seen')

    op.drop_table('notices')
