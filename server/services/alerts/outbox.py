"""The outbox of notifications: queued in the transaction that decides them, sent by one
process.

Several gunicorn workers each run a sender (server/serving/notifier.py); each row goes out
once because a sender first claims it with a conditional UPDATE (pending and due -> sending,
by this process), and only the one whose UPDATE changed the row sends it. A claim older
than STALE_CLAIM (a process that died while sending) may be taken over. A row is queued at
most once per `key`, so processes that decide the same notification (a daily summary, an
escalation) at the same moment meet on the unique key instead of sending it twice.

A failed send is tried again after BACKOFF_FIRST, doubling up to BACKOFF_MAX, MAX_ATTEMPTS
times in all; each target that took it is remembered (`delivered`, digests of the URLs) and
not sent it again. A row older than EXPIRE_AFTER is skipped rather than sent late.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import Alert, Notification, NotificationState, utcnow

STALE_CLAIM = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=5)
BACKOFF_MAX = timedelta(minutes=10)
EXPIRE_AFTER = timedelta(hours=6)
# Sent, failed and skipped rows are kept this long for diagnosis, then deleted.
KEEP_DONE = timedelta(days=30)
# What goes first when several rows are due: new alerts, then escalations, then the rest.
_ORDER = {"alert": 0, "escalation": 1}

_TABLE = cast(Table, Notification.__table__)
_PENDING, _SENDING = NotificationState.PENDING, NotificationState.SENDING


def queue(session: Session, *, key: str, kind: str, targets: str, title: str, body: str,
          alert_id: int | None = None, workshop_id: int | None = None,
          now: datetime | None = None) -> bool:
    """Queue a notification in the caller's transaction unless one with `key` exists (one
    statement: two processes queueing the same key never collide). True when queued."""
    now = now or utcnow()
    values: dict[str, Any] = {"key": key, "kind": kind, "targets": targets, "title": title[:200],
              "body": body, "alert_id": alert_id, "workshop_id": workshop_id,
              "state": NotificationState.PENDING.value, "attempts": 0, "created_at": now,
              "next_attempt_at": now, "delivered": []}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    done = session.execute(insert(_TABLE).values(**values).on_conflict_do_nothing(
        index_elements=[_TABLE.c.key]))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def queued(session: Session, key: str) -> bool:
    return session.scalar(select(Notification.id).where(Notification.key == key)) is not None


def _claimable(now: datetime) -> object:
    return or_(and_(Notification.state == _PENDING, Notification.next_attempt_at <= now),
               and_(Notification.state == _SENDING, Notification.claimed_at < now - STALE_CLAIM))


def due(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """The ids of rows due for an attempt, most urgent first."""
    rows = session.execute(select(Notification.id, Notification.kind)
                           .where(_claimable(now))  # type: ignore[arg-type]
                           .order_by(Notification.id).limit(limit)).all()
    return [i for i, _ in sorted(rows, key=lambda r: (_ORDER.get(r[1], 2), r[0]))]


def claim(session: Session, notification_id: int, me: str, now: datetime) -> bool:
    """Take the row for this process: True only for the one claim that changed it. The
    caller commits at once, before sending."""
    done = session.execute(
        update(_TABLE).where(_TABLE.c.id == notification_id,
                             _claimable(now))  # type: ignore[arg-type]
        .values(state=_SENDING.value, claimed_at=now, claimed_by=me[:64],
                attempts=_TABLE.c.attempts + 1))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def finish(session: Session, row: Notification, now: datetime, delivered: Sequence[str],
           failed: Sequence[str]) -> NotificationState:
    """Record an attempt: `delivered` (target digests that took it, all attempts so far)
    and `failed` (labels of those that did not). Sets the alert's `notified_at` when a new
    alert's message reached every target."""
    row.delivered = list(delivered)
    if not failed:
        row.state, row.sent_at, row.last_error = NotificationState.SENT, now, None
        if row.kind == "alert" and row.alert_id is not None:
            session.execute(update(Alert).where(Alert.id == row.alert_id,
                                                Alert.notified_at.is_(None))
                            .values(notified_at=now))
    else:
        row.last_error = ("not sent to " + ", ".join(failed))[:300]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = NotificationState.FAILED
        else:
            row.state = NotificationState.PENDING
            row.next_attempt_at = now + backoff(row.attempts)
    return row.state


def skip(row: Notification, why: str) -> None:
    row.state, row.last_error = NotificationState.SKIPPED, why[:300]


def prune(session: Session, now: datetime) -> int:
    """Delete finished rows older than KEEP_DONE."""
    done = session.execute(delete(Notification).where(
        Notification.state.in_([NotificationState.SENT, NotificationState.FAILED,
                                NotificationState.SKIPPED]),
        Notification.created_at < now - KEEP_DONE))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
