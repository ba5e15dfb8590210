"""The growth path: talent pools, grades, certifications, quiz pass marks

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:00:00

`talent_pools` (HR's tags and their rules), `grades` (a role's promotion path),
`certifications` (HR confirmed a worker's grade). Training videos gain a quiz pass mark and
growth tags (what they train); a worker's progress gains the quiz attempts, the best score
and when the pass mark was reached. Existing rows: no pass mark (watching is enough, as
before), no tags, no attempts counted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('talent_pools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('min_points', sa.Float(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=32), nullable=True),
    sa.Column('tier_times', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', server.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('grades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('role', sa.Enum('worker', 'supervisor', name='grade_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('videos', sa.JSON(), nullable=False),
    sa.Column('created_at', server.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('role', 'rank', name='uq_grade_role_rank')
    )
    op.create_table('certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('grade_id', sa.Integer(), nullable=False),
    sa.Column('certified_at', server.models.base.UTCDateTime(), nullable=False),
    sa.Column('certified_by', sa.String(length=100), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['grade_id'], ['grades.id'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('worker_id', 'grade_id', name='uq_certification')
    )
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certifications_worker_id'), ['worker_id'], unique=False)

    with op.batch_alter_table('training_videos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pass_mark', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('growth_tags', sa.JSON(), server_default='[]', nullable=False))

    with op.batch_alter_table('training_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('quiz_best', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('quiz_passed_at', server.models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('training_progress', schema=None) as batch_op:
        batch_op.drop_column('quiz_passed_at')
        batch_op.drop_column('quiz_best')
        batch_op.drop_column('quiz_attempts')

    with op.batch_alter_table('training_videos', schema=None) as batch_op:
        batch_op.drop_column('growth_tags')
        batch_op.drop_column('pass_mark')

    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certifications_worker_id'))

    op.drop_table('certifications')
    op.drop_table('grades')
    op.drop_table('talent_pools')
