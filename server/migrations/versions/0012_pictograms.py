"""A pictogram per point category, reward and fault reason

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00

`point_categories.pictogram` and `rewards.pictogram`: the picture the kiosk shows (existing
rows get "medal" and "gift"; the default categories their own pictures). `fault_reasons`: the reasons HR keeps for a machine fault or
a quality issue (code, names, kind, pictogram, active), seeded with a starting set; an
alert keeps a reason's code as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED = (
    ("gear_jam", "卡料/卡死", "Jammed", "machine_fault", "gear_jam"),
    ("no_power", "停电/没电", "No power", "machine_fault", "no_power"),
    ("material", "缺料", "Material shortage", "machine_fault", "material_shortage"),
    ("leak", "漏油/漏水", "Leak", "machine_fault", "leak"),
    ("overheat", "过热", "Overheating", "machine_fault", "overheat"),
    ("burr", "毛刺", "Burr", "quality_issue", "burr"),
    ("scratch", "划伤", "Scratch", "quality_issue", "scratch"),
    ("size", "尺寸不对", "Wrong size", "quality_issue", "size_wrong"),
    ("crack", "裂纹/破损", "Crack or break", "quality_issue", "defect"),
)


# The default categories (services/setup.py) each get their own picture.
DEFAULT_PICTOGRAMS = {"fault_fix": "wrench", "safety_catch": "helmet",
                      "quality_catch": "quality_issue", "improvement": "lightbulb",
                      "help_colleague": "hand_help", "tidy_5s": "broom"}


def upgrade() -> None:
    with op.batch_alter_table('point_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pictogram', sa.String(length=32), nullable=False,
                                      server_default='medal'))
    for code, picture in DEFAULT_PICTOGRAMS.items():
        op.execute(sa.text("UPDATE point_categories SET pictogram = :picture WHERE code = :code")
                   .bindparams(picture=picture, code=code))
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pictogram', sa.String(length=32), nullable=False,
                                      server_default='gift'))
    reasons = op.create_table(
        'fault_reasons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=100), nullable=True),
        sa.Column('kind', sa.Enum('machine_fault', 'quality_issue', name='fault_reason_kind',
                                  native_enum=False, create_constraint=True, length=16),
                  nullable=False),
        sa.Column('pictogram', sa.String(length=32), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code', name='uq_fault_reasons_code'),
    )
    op.bulk_insert(reasons, [
        {"code": code, "name": name, "name_en": name_en, "kind": kind, "pictogram": picture,
         "sort": i, "active": True}
        for i, (code, name, name_en, kind, picture) in enumerate(SEED)])


def downgrade() -> None:
    op.drop_table('fault_reasons')
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.drop_column('pictogram')
    with op.batch_alter_table('point_categories', schema=None) as batch_op:
        batch_op.drop_column('pictogram')
