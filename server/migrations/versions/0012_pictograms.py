"""A pictogram per point category, reward and fault reason

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00

Reserved in the chain while the work lands; it changes nothing until then.
"""

from collections.abc import Sequence

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
