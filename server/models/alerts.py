"""Andon: alerts someone must acknowledge, and the outbox their notifications leave from.

An `Alert` is opened by a kiosk's machine_fault or quality_issue event (one per event),
acknowledged by a supervisor at a kiosk (`alert_ack`) or by HR, and resolved: a fault by
the machine's next start (its downtime recorded), either kind by HR. `acknowledged_by` and
`resolved_by` name people by id ("worker:<id>", "user:<id>"), as the audit log does.

A `Notification` is one message to the configured targets (apprise URLs, which are not
stored: `targets` names the list, `delivered` the digests of those it reached). Each is
claimed by one sending process with a conditional UPDATE (services/alerts/outbox.py).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, _enum, utcnow
from server.models.events import Event
from server.models.people import Worker, Workshop
from server.models.production import Machine


class AlertKind(enum.StrEnum):
    MACHINE_FAULT = "machine_fault"
    QUALITY_ISSUE = "quality_issue"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # Open alerts of a workshop; a machine's open faults (resolved by its next start).
        Index("ix_alerts_workshop_resolved", "workshop_id", "resolved_at"),
        Index("ix_alerts_machine_resolved", "machine_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"))
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machines.id"))
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, "alert_kind"))
    # The fault or issue code the worker picked, if any.
    reason: Mapped[str | None] = mapped_column(String(32))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    # When it happened (the event's occurred_at).
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    # A fault's downtime in seconds: from the fault to the machine's next start.
    downtime_s: Mapped[int | None] = mapped_column(Integer)
    # When the new alert reached its targets; when it was sent to the escalation targets.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workshop: Mapped[Workshop] = relationship()
    machine: Mapped[Machine | None] = relationship()
    reporter: Mapped[Worker] = relationship()
    event: Mapped[Event] = relationship()


class NotificationState(enum.StrEnum):
    PENDING = "pending"  # waits for its next attempt (`next_attempt_at`)
    SENDING = "sending"  # claimed by one process (`claimed_by`) and being sent
    SENT = "sent"  # every target took it
    FAILED = "failed"  # given up after the last attempt
    SKIPPED = "skipped"  # no targets configured, or too old to be worth sending


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One notification per key ("alert:12", "escalation:12", "summary:W1:2026-03-09"):
    # processes that would queue the same one meet on the unique key.
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert | escalation | summary
    # Which configured list it goes to: "notify" (notify_urls) or "escalate".
    targets: Mapped[str] = mapped_column(String(16))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[NotificationState] = mapped_column(
        _enum(NotificationState, "notification_state"), default=NotificationState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Digests of the targets that took it (never the URLs, which hold keys).
    delivered: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Why the last attempt failed, naming targets by scheme and host only.
    last_error: Mapped[str | None] = mapped_column(String(300))
