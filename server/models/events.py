"""The event log: every kiosk event as received, idempotent by UUID."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"
    # Scorecards read a workshop's badge-ins for a period: by worker and kind, then by time.
    # A card's version reads the worker's newest event other than a badge-in in one seek
    # (services/scores/kiosk_reads.py): a second tap the same day changes nothing on the
    # card, so it must not make the card be built again.
    __table_args__ = (
        Index("ix_events_worker_kind_occurred", "worker_id", "kind", "occurred_at"),
        Index("ix_events_worker_acts", "worker_id", "id",
              sqlite_where=text("kind != 'badge_in'"),
              postgresql_where=text("kind != 'badge_in'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The kiosk's own clock when the event happened, beside `occurred_at` (which the kiosk
    # corrected by its offset from the server's clock); None from kiosks before that.
    kiosk_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # sha256 of the canonical event body: the same UUID with another body is a conflict.
    body_hash: Mapped[str] = mapped_column(String(64))
