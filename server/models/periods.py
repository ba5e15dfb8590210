"""Settled periods: a workshop's week or month closed by HR, its frozen cards, and the
adjustments and refused events that late data turns into once a period is closed."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, _enum, utcnow
from server.models.people import Worker, Workshop


class PeriodState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REOPENED = "reopened"


class SettledPeriod(Base):
    """One workshop's week or month. A row exists once the period has been closed; a period
    without a row is open."""

    __tablename__ = "periods"
    __table_args__ = (UniqueConstraint("workshop_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # week | month
    key: Mapped[str] = mapped_column(String(10))  # 2026-11 | 2026-W47
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    state: Mapped[PeriodState] = mapped_column(_enum(PeriodState, "period_state"))
    # The newest snapshot's version; every close makes the next one.
    version: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_by: Mapped[str | None] = mapped_column(String(100))
    # Why the last close was forced past the completeness check, or why it was reopened.
    reason: Mapped[str | None] = mapped_column(Text)

    workshop: Mapped[Workshop] = relationship()


class Snapshot(Base):
    """A period as it was closed: the workshop's standings; each worker's card is a row of
    `SnapshotCard`, so one worker's card is read without the rest."""

    __tablename__ = "period_snapshots"
    __table_args__ = (UniqueConstraint("period_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    # What the completeness check flagged when it was closed (empty unless forced).
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The leaderboard as it stood: standings, most improved, the improvement star.
    board: Mapped[dict[str, Any]] = mapped_column(JSON)

    period: Mapped[SettledPeriod] = relationship()


class SnapshotCard(Base):
    __tablename__ = "snapshot_cards"
    __table_args__ = (UniqueConstraint("snapshot_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("period_snapshots.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    total: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(32))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)

    worker: Mapped[Worker] = relationship()


class Adjustment(Base):
    """Points booked into an open period for a change that belongs to a closed one.

    `points` is what the change would have added to (or taken from) the closed period's
    total; the line counts on `booked_on`, a day of the open period, and names the day the
    change belongs to. A reopened period cancels the lines it caused that were booked into
    periods still open (the change then counts where it belongs).
    """

    __tablename__ = "adjustments"
    __table_args__ = (Index("ix_adjustments_worker_booked", "worker_id", "booked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    booked_on: Mapped[date] = mapped_column(Date)
    original_date: Mapped[date] = mapped_column(Date)
    origin_period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id"))
    points: Mapped[float] = mapped_column(Float)
    # production | points | event | appeal | manual | reversal
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    worker: Mapped[Worker] = relationship()
    origin_period: Mapped[SettledPeriod | None] = relationship()


class RefusedEvent(Base):
    """A kiosk event refused because its day lies in a closed period, kept whole so that HR
    can book it into the open period: a kiosk offline across month end loses nothing."""

    __tablename__ = "refused_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"))
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    worker_code: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The event as the kiosk sent it, to be applied when booked.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booked_by: Mapped[str | None] = mapped_column(String(100))
    adjustment_points: Mapped[float | None] = mapped_column(Float)
