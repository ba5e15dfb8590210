"""Day sums for scoring and score stamps for its cache

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:10:00

`worker_day_sums` and `worker_day_metric_sums` (per worker and factory day, what scoring
sums), `worker_period_sums` and `worker_period_metric_sums` (the same per week and month),
`score_stamps` (per workshop and day, a change counter the standings cache is keyed
by). They start empty and unbuilt: the server builds them from the records when it starts
(dated in its zone), and keeps them from then on (services/scores/aggregates.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('worker_day_sums',
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('planned_minutes', sa.Float(), nullable=False),
    sa.Column('run_minutes', sa.Float(), nullable=False),
    sa.Column('output', sa.Float(), nullable=False),
    sa.Column('defects', sa.Float(), nullable=False),
    sa.Column('production_records', sa.Integer(), nullable=False),
    sa.Column('badge_ins', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('point_entries', sa.Integer(), nullable=False),
    sa.Column('adjustment_points', sa.Float(), nullable=False),
    sa.Column('adjustment_lines', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('worker_id', 'date')
    )
    op.create_table('worker_day_metric_sums',
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('worker_id', 'date', 'metric_id')
    )
    op.create_table('worker_period_sums',
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('planned_minutes', sa.Float(), nullable=False),
    sa.Column('run_minutes', sa.Float(), nullable=False),
    sa.Column('output', sa.Float(), nullable=False),
    sa.Column('defects', sa.Float(), nullable=False),
    sa.Column('production_records', sa.Integer(), nullable=False),
    sa.Column('scheduled_days', sa.Integer(), nullable=False),
    sa.Column('attended_days', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('point_entries', sa.Integer(), nullable=False),
    sa.Column('adjustment_points', sa.Float(), nullable=False),
    sa.Column('adjustment_lines', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('worker_id', 'period', 'start')
    )
    op.create_index('ix_worker_period_sums_span', 'worker_period_sums',
                    ['period', 'start', 'worker_id'], unique=False)
    op.create_table('worker_period_metric_sums',
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last_date', sa.Date(), nullable=False),
    sa.Column('last_total', sa.Float(), nullable=False),
    sa.Column('last_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('worker_id', 'period', 'start', 'metric_id')
    )
    op.create_table('score_stamps',
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('stamp', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], ),
    sa.PrimaryKeyConstraint('workshop_id', 'date')
    )


def downgrade() -> None:
    op.drop_table('score_stamps')
    op.drop_table('worker_period_metric_sums')
    op.drop_index('ix_worker_period_sums_span', table_name='worker_period_sums')
    op.drop_table('worker_period_sums')
    op.drop_table('worker_day_metric_sums')
    op.drop_table('worker_day_sums')
