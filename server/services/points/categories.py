"""Point categories: what a remark or a claim is for, its level and its points."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import PointCategory, PointLevel
from server.services import Conflict, InvalidInput
from server.services.audit import record
from server.services.pictograms import DEFAULT_CATEGORY, checked

MAX_CATEGORY_POINTS = 100


def add_category(session: Session, code: str, name: str, level: PointLevel, points: float,
                 needs_approval: bool, *, name_en: str | None = None,
                 actor: str, pictogram: str | None = None) -> PointCategory:
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("a category needs a code and a name")
    if not 0 < points <= MAX_CATEGORY_POINTS:
        raise InvalidInput(f"points must be above 0 and at most {MAX_CATEGORY_POINTS}")
    if session.scalar(select(PointCategory).where(PointCategory.code == code)):
        raise Conflict(f"category {code!r} already exists")
    picture = checked(pictogram, DEFAULT_CATEGORY)
    category = PointCategory(code=code, name=name, name_en=name_en, level=level, points=points,
                             needs_approval=needs_approval, pictogram=picture)
    session.add(category)
    session.flush()
    record(session, actor, "category.create", "point_category", code,
           after={"name": name, "name_en": name_en, "level": level.value, "points": points,
                  "needs_approval": needs_approval, "pictogram": picture})
    return category
