"""Site-defined metrics, their values, and scheme tracks

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:00:00

`metrics`: what HR measures beyond the built-in dimensions (code, names, unit, which way
is better, how values combine; a ratio names its numerator and denominator metrics).
`metric_values`: one value per (date, shift, worker, metric), the natural key imports
and the MES feed upsert on. Tracks live in a scheme's definition (JSON): no column.
Nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('better', sa.Enum('higher', 'lower', name='metric_better', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('combine', sa.Enum('sum', 'mean', 'last', 'ratio', name='metric_combine', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('numerator_id', sa.Integer(), nullable=True),
    sa.Column('denominator_id', sa.Integer(), nullable=True),
    sa.Column('created_at', server.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['denominator_id'], ['metrics.id'], ),
    sa.ForeignKeyConstraint(['numerator_id'], ['metrics.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('metric_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('shift', sa.String(length=16), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.Enum('import', 'mes', 'kiosk', 'manual', name='metric_value_source', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('updated_at', server.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('date', 'shift', 'worker_id', 'metric_id', name='uq_metric_value_key')
    )
    with op.batch_alter_table('metric_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metric_values_metric_id'), ['metric_id'], unique=False)
        batch_op.create_index('ix_metric_values_worker_date', ['worker_id', 'date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('metric_values', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_values_worker_date')
        batch_op.drop_index(batch_op.f('ix_metric_values_metric_id'))

    op.drop_table('metric_values')
    op.drop_table('metrics')
