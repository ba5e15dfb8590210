"""Scoring schemes as stored: each version's definition and the workshops it applies to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, utcnow
from server.models.people import Workshop

scheme_workshops = Table(
    "scheme_workshops",
    Base.metadata,
    Column("scheme_id", ForeignKey("scoring_schemes.id", ondelete="CASCADE"), primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
)


class ScoringScheme(Base):
    """One version of a scheme. Old versions stay so past periods can be recomputed."""

    __tablename__ = "scoring_schemes"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_scheme_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    # The scheme as HR wrote it (docs/scoring.md, "A scheme"); server.scoring.schemes checks it.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))

    workshops: Mapped[list[Workshop]] = relationship(secondary=scheme_workshops)
