"""What a wall display may show of names (full, masked, codes)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:00:00

Reserved in the chain while the work lands; it changes nothing until then.
"""

from collections.abc import Sequence

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
