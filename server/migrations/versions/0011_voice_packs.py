"""Voice packs: recorded clips per language or dialect, uploaded by HR

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:00:00

`voice_packs`: one current pack per language (the zip the server wrote from a validated
upload, its sha256, size, clip count, sample rate, who uploaded it). A new table only, so
SQLite and PostgreSQL take the same steps.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models.base

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'voice_packs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('clip_count', sa.Integer(), nullable=False),
        sa.Column('sample_rate', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('file_path', sa.String(length=300), nullable=False),
        sa.Column('uploaded_by', sa.String(length=80), nullable=False),
        sa.Column('uploaded_at', server.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('language'),
    )


def downgrade() -> None:
    op.drop_table('voice_packs')
