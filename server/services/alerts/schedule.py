"""What the sender decides on its own clock: escalations and daily summaries.

- An alert nobody acknowledged or resolved within `escalate_after` (counted from when it
  happened, or from when the server heard of it if that was later) goes once to the
  escalation targets: `escalated_at` is set by a conditional UPDATE, so of several
  processes deciding at once only one queues it. Nothing is escalated while no escalation
  target is configured.
- At `daily_summary_at` (the site's time) each workshop with active workers gets its daily
  summary on the notification targets: the week's top 5 so far, the most improved, the
  open issues and the claims waiting. Queued once per workshop and day (the outbox's unique
  key), and only within SUMMARY_WINDOW of the set time: a server down at that hour sends
  it when it comes back within the window, never hours late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.config import Config
from server.models import Alert, EntryStatus, Event, PointEntry, Worker, Workshop
from server.services import ServiceError
from server.services.alerts import messages, outbox
from server.services.alerts.reads import open_alerts, unacknowledged_first
from server.services.audit import record
from server.services.events.kinds import EventKind
from server.services.scores.scorecards import leaderboard

ACTOR = "server:notifier"
SUMMARY_WINDOW = timedelta(hours=1)
SUMMARY_TOP = 5
SUMMARY_IMPROVED = 3


@dataclass(frozen=True)
class Settings:
    """The notification settings (server/config.py), as the sender uses them."""

    notify_urls: tuple[str, ...] = ()
    escalate_urls: tuple[str, ...] = ()
    escalate_after: timedelta = timedelta(minutes=15)
    daily_summary_at: time | None = None
    zone: ZoneInfo = ZoneInfo("UTC")

    @classmethod
    def from_config(cls, config: Config) -> Settings:
        at = None
        if config.daily_summary_at:
            hours, minutes = config.daily_summary_at.split(":")
            at = time(int(hours), int(minutes))
        return cls(config.notify_urls, config.escalate_urls,
                   timedelta(minutes=config.escalate_after_min), at, config.zone)

    def targets(self, name: str) -> tuple[str, ...]:
        return self.escalate_urls if name == "escalate" else self.notify_urls


def queue_escalations(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Queue the escalation of each alert now overdue; the ids escalated. Caller commits."""
    if not settings.escalate_urls:
        return []
    after = settings.escalate_after
    rows = session.execute(
        select(Alert, Event.received_at).join(Event, Alert.event_id == Event.id)
        .where(Alert.resolved_at.is_(None), Alert.acknowledged_at.is_(None),
               Alert.escalated_at.is_(None), Alert.opened_at <= now - after)
        .order_by(Alert.id)).all()
    escalated = []
    for alert, received_at in rows:
        if max(alert.opened_at, received_at) + after > now:
            continue
        taken = session.execute(
            update(Alert).where(Alert.id == alert.id, Alert.escalated_at.is_(None),
                                Alert.acknowledged_at.is_(None), Alert.resolved_at.is_(None))
            .values(escalated_at=now).execution_options(synchronize_session=False))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another process took it, or someone acknowledged it meanwhile
        session.refresh(alert)
        minutes = round(after.total_seconds() / 60)
        title, body = messages.escalation(messages.facts(alert), settings.zone, minutes)
        outbox.queue(session, key=f"escalation:{alert.id}", kind="escalation",
                     targets="escalate", title=title, body=body, alert_id=alert.id,
                     workshop_id=alert.workshop_id, now=now)
        record(session, ACTOR, "alert.escalate", "alert", alert.id,
               after={"escalated_at": now.isoformat(), "after_min": minutes})
        escalated.append(alert.id)
    return escalated


def summary_due(settings: Settings, now: datetime) -> date | None:
    """The day whose summary is due now, if any."""
    if settings.daily_summary_at is None:
        return None
    local = now.astimezone(settings.zone)
    at = datetime.combine(local.date(), settings.daily_summary_at, settings.zone)
    return local.date() if at <= local < at + SUMMARY_WINDOW else None


def queue_daily_summaries(session: Session, settings: Settings, now: datetime) -> list[str]:
    """Queue each workshop's summary when it is due and not queued yet; their keys. Caller
    commits."""
    day = summary_due(settings, now)
    if day is None or not settings.notify_urls:
        return []
    workshops = session.scalars(
        select(Workshop).where(Workshop.id.in_(
            select(Worker.workshop_id).where(Worker.active.is_(True))))
        .order_by(Workshop.code)).all()
    keys = []
    for workshop in workshops:
        key = f"summary:{workshop.code}:{day.isoformat()}"
        if outbox.queued(session, key):
            continue
        title, body = daily_summary(session, workshop, day, settings.zone)
        if outbox.queue(session, key=key, kind="summary", targets="notify", title=title,
                        body=body, workshop_id=workshop.id, now=now):
            keys.append(key)
    return keys


def _placed(entry: dict[str, Any], points: float | None) -> messages.Placed:
    return messages.Placed(entry["rank"], entry["name"], entry["code"], points or 0.0)


def daily_summary(session: Session, workshop: Workshop, day: date, zone: ZoneInfo
                  ) -> tuple[str, str]:
    """The title and body of one workshop's summary of `day`."""
    top: list[messages.Placed] | None
    try:
        board = leaderboard(session, workshop.code, "week", day, zone, today=day)
    except ServiceError:  # no scheme in force for this workshop
        top, improved = None, []
    else:
        top = [_placed(s, s["total"]) for s in board["standings"][:SUMMARY_TOP]]
        improved = [_placed(s, s.get("improvement"))
                    for s in board["most_improved"][:SUMMARY_IMPROVED]]
    issues = [messages.facts(a)
              for a in unacknowledged_first(open_alerts(session, {workshop.id}))]
    claims = session.scalar(
        select(func.count(PointEntry.id))
        .join(Event, PointEntry.event_id == Event.id)
        .join(Worker, PointEntry.worker_id == Worker.id)
        .where(PointEntry.status == EntryStatus.PENDING,
               Event.kind == EventKind.POINT_CLAIM.value,
               Worker.workshop_id == workshop.id)) or 0
    return messages.daily_summary(workshop.name, day, top, improved, issues, claims, zone)
