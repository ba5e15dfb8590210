"""What a wall display may show of names (full, masked, codes)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:00:00

`displays.names`: how a wall display names the workers it celebrates: `full`, `masked`
(王*明, the default for existing and new displays: PIPL-friendly) or `code`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('displays', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'names', sa.Enum('full', 'masked', 'code', name='name_style', native_enum=False,
                             create_constraint=True, length=16),
            server_default='masked', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('displays', schema=None) as batch_op:
        batch_op.drop_column('names')
