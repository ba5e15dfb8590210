"""One round of the notification sender: decide escalations and daily summaries, then
send what is due in the outbox, each row by the one process that claimed it.

The thread that runs a round about every second in each serving process is
server/serving/notifier.py; tests call `Sender.run_round` with their own clock and
transport. A round never raises for one bad row or target: failures are logged by the
target's label (scheme and host, never its key) and tried again later (alerts/outbox.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from server.models import Notification, NotificationState, utcnow
from server.services.alerts import outbox
from server.services.alerts.notify import Transport, apprise_send, label, target_id
from server.services.alerts.schedule import (
    Settings,
    queue_daily_summaries,
    queue_escalations,
    summary_due,
)

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)


@dataclass
class Round:
    """What one round did."""

    escalated: list[int] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    sent: dict[int, NotificationState] = field(default_factory=dict)


class Sender:
    """Sends the outbox of one database; one per process (`me` names it in claims)."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, me: str, *,
                 transport: Transport = apprise_send,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions, self.settings, self.me = sessions, settings, me
        self.transport, self.clock = transport, clock
        self._pruned: datetime | None = None
        # The day whose summaries this process saw queued (by itself or another): not
        # looked for again every second of the hour they may go out in.
        self._summarised: date | None = None

    @property
    def idle(self) -> bool:
        """Nothing configured to send to: the round only marks queued rows skipped."""
        return not (self.settings.notify_urls or self.settings.escalate_urls)

    def run_round(self) -> Round:
        done = Round()
        now = self.clock()
        day = summary_due(self.settings, now)
        with self.sessions() as session:
            done.escalated = queue_escalations(session, self.settings, now)
            if day is not None and day != self._summarised:
                done.summaries = queue_daily_summaries(session, self.settings, now)
            pruning = self._pruned is None or now - self._pruned >= PRUNE_EVERY
            if pruning:
                outbox.prune(session, now)
            session.commit()
        self._summarised = day or self._summarised
        self._pruned = now if pruning else self._pruned
        done.sent = self.deliver()
        return done

    def deliver(self) -> dict[int, NotificationState]:
        """Send every row due now that this process can claim; their new states."""
        with self.sessions() as session:
            ids = outbox.due(session, self.clock())
        return {i: state for i in ids if (state := self._send_one(i)) is not None}

    def _send_one(self, notification_id: int) -> NotificationState | None:
        with self.sessions() as session:
            now = self.clock()
            if not outbox.claim(session, notification_id, self.me, now):
                session.rollback()
                return None  # another process has it
            session.commit()
            row = session.get(Notification, notification_id)
            if row is None:
                return None
            urls = self.settings.targets(row.targets)
            if not urls:
                outbox.skip(row, f"no {row.targets} targets configured")
            elif now - row.created_at > outbox.EXPIRE_AFTER:
                outbox.skip(row, "too old to send")
            if row.state is NotificationState.SKIPPED:
                session.commit()
                logger.info("notification_skipped", extra={
                    "notification": row.id, "kind": row.kind, "why": row.last_error})
                return row.state
            title, body, attempt = row.title, row.body, row.attempts
            delivered, failed = list(row.delivered or []), []
            session.commit()  # no transaction stays open while the targets answer
            started = time.monotonic()
            for url in urls:
                if target_id(url) in delivered:
                    continue
                if self.transport(url, title, body):
                    delivered.append(target_id(url))
                else:
                    failed.append(label(url))
            state = outbox.finish(session, row, self.clock(), delivered, failed)
            session.commit()
            fields = {"notification": row.id, "kind": row.kind, "targets": row.targets,
                      "attempt": attempt, "ms": round((time.monotonic() - started) * 1000)}
            if failed:
                retry = (row.next_attempt_at - self.clock()).total_seconds() \
                    if state is NotificationState.PENDING else None
                logger.warning("notification_failed", extra={
                    **fields, "failed": failed, "state": state.value,
                    "retry_in_s": None if retry is None else round(retry)})
            else:
                logger.info("notification_sent", extra=fields)
            return state
