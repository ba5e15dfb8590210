"""training videos: probe facts, thumbnail, quiz; quiz results on progress

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 06:30:00

Every new column is nullable, so rows from before keep working: a video added before this
revision simply has no thumbnail, quiz or probe facts. batch_alter_table lets SQLite, which
cannot alter a table in place, take the same steps as PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIDEO_COLUMNS = (
    ('container', sa.String(length=16)),
    ('video_codec', sa.String(length=32)),
    ('audio_codec', sa.String(length=32)),
    ('width', sa.Integer()),
    ('height', sa.Integer()),
    ('thumbnail_path', sa.String(length=300)),
    ('quiz', sa.JSON()),
)
PROGRESS_COLUMNS = (('quiz_correct', sa.Integer()), ('quiz_total', sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table('training_videos') as batch:
        for name, type_ in VIDEO_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table('training_progress') as batch:
        for name, type_ in PROGRESS_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('training_progress') as batch:
        for name, _ in reversed(PROGRESS_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table('training_videos') as batch:
        for name, _ in reversed(VIDEO_COLUMNS):
            batch.drop_column(name)
