"""The worker's newest event other than a badge-in, in one seek

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 14:20:00

A partial index over `events (worker_id, id)` without badge-ins: a scorecard's version
(services/scores/kiosk_reads.py) moves with the worker's own events, but not with a repeat
tap, which changes nothing on the card.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_BADGE = sa.text("kind != 'badge_in'")


def upgrade() -> None:
    op.create_index('ix_events_worker_acts', 'events', ['worker_id', 'id'], unique=False,
                    sqlite_where=_NOT_BADGE, postgresql_where=_NOT_BADGE)


def downgrade() -> None:
    op.drop_index('ix_events_worker_acts', table_name='events')
