"""A worker's language chosen at the kiosk (language_set), Cantonese (yue)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:00:00

`yue` joins the languages a worker (and a wall display) may have: the checked enum of
`workers.language` and `displays.language` (a CHECK constraint, `native_enum=False`)
takes it. The site's script for Cantonese on the kiosks is a row of `settings`
(`yue_script`, services/people/languages.py); no row means Traditional, so nothing is
written here. Downgrading makes every Cantonese speaker a zh_CN one (they read Chinese).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ('zh_CN', 'en')
NEW = ('zh_CN', 'en', 'yue')
TABLES = ('workers', 'displays')


def _language(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='language', native_enum=False, create_constraint=True,
                   length=16)


def _change(before: tuple[str, ...], after: tuple[str, ...]) -> None:
    bind = op.get_bind()
    for table in TABLES:
        if bind.dialect.name == 'sqlite':
            # the table is copied with the column's new type, whose CHECK replaces the old
            with op.batch_alter_table(table, recreate='always') as batch_op:
                batch_op.alter_column('language', existing_type=_language(before),
                                      type_=_language(after), existing_nullable=False)
            continue
        for check in sa.inspect(bind).get_check_constraints(table):
            if check['name'] and 'language' in (check.get('sqltext') or ''):
                op.drop_constraint(check['name'], table, type_='check')
        listed = ', '.join(f"'{value}'" for value in after)
        op.create_check_constraint(f'{table}_language_check', table,
                                   f'language IN ({listed})')


def upgrade() -> None:
    _change(OLD, NEW)


def downgrade() -> None:
    for table in TABLES:
        op.execute(sa.text(f"UPDATE {table} SET language = 'zh_CN' WHERE language = 'yue'"))
    _change(NEW, OLD)
