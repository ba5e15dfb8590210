"""The growth path: talent pools HR defines by rules, grades per role with what each
needs, and the certifications HR confirmed.

A pool's members and a grade's candidates are computed from the points and the closed
periods whenever they are asked for (services/growth/); only HR's confirmation of a grade
is stored (`Certification`), so the worker's grade is the highest grade certified.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, _enum, utcnow
from server.models.people import Role, Worker


class TalentPool(Base):
    """A tag with a rule: at least `min_points` approved points in `categories` (codes;
    empty: every category) in the last `days` days and, when `tier` is set, that tier
    won at least `tier_times` times in closed periods."""

    __tablename__ = "talent_pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_points: Mapped[float] = mapped_column(Float)
    days: Mapped[int] = mapped_column(Integer, default=90)
    tier: Mapped[str | None] = mapped_column(String(32))
    tier_times: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Grade(Base):
    """One step of a role's promotion path (`rank` 1 is the first above none): the
    accumulated professional points it needs (approved points in `categories`, every
    category when empty, since the worker started) and the training videos (ids) that
    must be complete."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("role", "rank", name="uq_grade_role_rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "grade_role"))
    rank: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    points: Mapped[float] = mapped_column(Float)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    videos: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certification(Base):
    """HR confirmed that the worker reached the grade; `facts` keeps what the worker had
    then (points, videos)."""

    __tablename__ = "certifications"
    __table_args__ = (UniqueConstraint("worker_id", "grade_id", name="uq_certification"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    certified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    certified_by: Mapped[str] = mapped_column(String(100))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    worker: Mapped[Worker] = relationship()
    grade: Mapped[Grade] = relationship()
