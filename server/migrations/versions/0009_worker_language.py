"""A worker's language chosen at the kiosk (language_set), Cantonese (yue)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:00:00

Reserved in the chain while the work lands; it changes nothing until then.
"""

from collections.abc import Sequence

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
