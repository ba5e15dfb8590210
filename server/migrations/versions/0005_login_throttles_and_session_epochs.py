"""login throttles and session epochs: a growing delay instead of the lockout, sessions
that logging out ends everywhere, a generated first password that must be changed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 22:07:19

Users keep their passwords; the lockout's counters go (a lock in force ends with them).
Every user starts at session epoch 0: cookies made before name no epoch and are refused,
so everyone logs in once more. No existing user has to change a password.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.models

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', server.models.base.UTCDateTime(), nullable=False),
    sa.Column('blocked_until', server.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', server.models.base.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_epoch')

    op.drop_table('login_throttles')
