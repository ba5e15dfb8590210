"""Points: the categories, each worker's point entries (claims and awards), appeals, and
the notices that tell a worker what was decided."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, _enum, utcnow
from server.models.people import Worker


class PointLevel(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class EntryStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class NoticeKind(enum.StrEnum):
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_REJECTED = "appeal_rejected"
    CLAIM_APPROVED = "claim_approved"
    CLAIM_REJECTED = "claim_rejected"


class PointCategory(Base):
    __tablename__ = "point_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[PointLevel] = mapped_column(_enum(PointLevel, "point_level"))
    points: Mapped[float] = mapped_column(Float)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The picture the kiosk shows for it (a name in services/pictograms.PICTOGRAMS).
    pictogram: Mapped[str] = mapped_column(String(32), default="medal", server_default="medal")


class PointEntry(Base):
    __tablename__ = "point_entries"
    __table_args__ = (Index("ix_point_entries_worker_date", "worker_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("point_categories.id"))
    points: Mapped[float] = mapped_column(Float)
    # The day the points belong to, in the factory's time zone.
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[EntryStatus] = mapped_column(_enum(EntryStatus, "entry_status"))
    reason: Mapped[str | None] = mapped_column(Text)
    given_by_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    given_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[Worker] = relationship(foreign_keys=[worker_id])
    category: Mapped[PointCategory | None] = relationship()


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus, "appeal_status"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[Worker] = relationship()


class Notice(Base):
    """A decision the worker is told at the kiosk, shown and spoken on every visit until a
    kiosk reports it seen (a `notice_seen` event).

    `subject_id` is the appeal's or the point entry's id; `params` is what the kiosk shows
    and says: the dimension or category, the points the decision changed the total by, the
    period, the correction made, HR's note.
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_worker_seen", "worker_id", "seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    kind: Mapped[NoticeKind] = mapped_column(_enum(NoticeKind, "notice_kind"))
    subject_id: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_event_uuid: Mapped[str | None] = mapped_column(String(36))

    worker: Mapped[Worker] = relationship()
