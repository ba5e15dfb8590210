"""An alert's life: opened by a kiosk's trouble report, acknowledged, resolved.

- `open_alert`: a stored machine_fault or quality_issue opens one alert (one per event: the
  event is stored once) and queues its notification (alerts/outbox.py) in the same
  transaction. A fault whose machine was started again after it (a report that arrived
  late) is resolved at once, its downtime up to that start.
- `acknowledge`: a supervisor of the alert's workshop at a kiosk (the `alert_ack` act,
  events/acts.py) or HR in the admin; once.
- `machine_started`: a machine's start resolves its open faults reported before it, each
  with its downtime (fault -> that start).
- `resolve`: HR resolves a fault or a quality issue (no downtime is recorded for a fault
  HR closes: only a start says when the machine ran again).

Every change is an audit entry (services/audit.py), which also moves the data version the
wall's board follows. People are named by id: "worker:<id>", "user:<id>".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Alert, AlertKind, Event, Machine, User, Worker, utcnow
from server.services import Conflict, NotFound
from server.services.alerts import messages, outbox
from server.services.audit import record

# A kiosk's clock may run this far ahead of the server's (events/effects.py FUTURE_LEEWAY):
# a start that happened after a fault was received no earlier than the fault minus this.
CLOCK_LEEWAY = timedelta(minutes=5)
# A machine start as ingest sees it before it is stored: (occurred_at, machine id, worker id).
Start = tuple[datetime, int, int]


def _person(kind: str, who: Worker | User | int) -> str:
    return f"{kind}:{who if isinstance(who, int) else who.id}"


def open_alert(session: Session, event: Event, kind: AlertKind, *, workshop_id: int,
               machine: Machine | None, reason: str | None, reporter: Worker, actor: str,
               zone: ZoneInfo, starts: Iterable[Start] = ()) -> Alert:
    """Open the alert of a stored trouble event and queue its notification. `starts`: the
    machine starts of the same batch not stored yet."""
    alert = Alert(workshop_id=workshop_id, machine_id=None if machine is None else machine.id,
                  kind=kind, reason=reason, reporter_id=reporter.id, event_id=event.id,
                  opened_at=event.occurred_at)
    session.add(alert)
    session.flush()
    record(session, actor, "alert.open", "alert", alert.id, after={
        "kind": kind.value, "workshop_id": workshop_id, "machine_id": alert.machine_id,
        "reason": reason, "reporter_id": reporter.id, "event": event.uuid})
    title, body = messages.new_alert(messages.facts(alert), zone)
    outbox.queue(session, key=f"alert:{alert.id}", kind="alert", targets="notify",
                 title=title, body=body, alert_id=alert.id, workshop_id=workshop_id)
    if kind is AlertKind.MACHINE_FAULT and machine is not None:
        later = _next_start(session, machine, alert.opened_at, starts)
        if later is not None:
            _resolve_by_start(session, alert, *later, actor=actor)
    return alert


def _next_start(session: Session, machine: Machine, after: datetime,
                starts: Iterable[Start]) -> tuple[datetime, int] | None:
    """The machine's first start after `after`, stored or in the batch: (when, worker id)."""
    found = [(at, worker) for at, machine_id, worker in starts
             if machine_id == machine.id and at > after]
    stored = session.execute(
        select(Event.occurred_at, Event.worker_id)
        .where(Event.received_at >= after - CLOCK_LEEWAY,  # (indexed: a short range)
               Event.kind == "machine_start", Event.occurred_at > after,
               Event.payload["machine"].as_string() == machine.code)
        .order_by(Event.occurred_at).limit(1)).first()
    if stored is not None and stored[1] is not None:
        found.append((stored[0], stored[1]))
    return min(found) if found else None


def _resolve_by_start(session: Session, alert: Alert, at: datetime, worker_id: int, *,
                      actor: str, event_uuid: str | None = None) -> None:
    before = {"resolved_at": None}
    alert.resolved_at = at
    alert.resolved_by = _person("worker", worker_id)
    alert.downtime_s = max(0, round((at - alert.opened_at).total_seconds()))
    record(session, actor, "alert.resolve", "alert", alert.id, before=before, after={
        "resolved_at": at.isoformat(), "by": alert.resolved_by, "downtime_s": alert.downtime_s,
        "machine_id": alert.machine_id, "machine_start": event_uuid})


def open_faults(session: Session, machine_ids: Collection[int]) -> set[int]:
    """Which of these machines have a fault alert open."""
    if not machine_ids:
        return set()
    return set(session.scalars(select(Alert.machine_id).where(
        Alert.machine_id.in_(sorted(machine_ids)), Alert.kind == AlertKind.MACHINE_FAULT,
        Alert.resolved_at.is_(None))).all())  # type: ignore[arg-type]


def machine_started(session: Session, machine: Machine, event: Event, worker: Worker,
                    actor: str) -> list[Alert]:
    """Resolve the machine's open faults reported before this start, each with its
    downtime. Returns them."""
    faults = list(session.scalars(
        select(Alert).where(Alert.machine_id == machine.id,
                            Alert.kind == AlertKind.MACHINE_FAULT,
                            Alert.resolved_at.is_(None), Alert.opened_at <= event.occurred_at)
        .order_by(Alert.id).with_for_update()))
    for alert in faults:
        _resolve_by_start(session, alert, event.occurred_at, worker.id, actor=actor,
                          event_uuid=event.uuid)
    return faults


def _get(session: Session, alert_id: int, scope: Collection[int] | None) -> Alert:
    """The alert, locked for this transaction; NotFound outside `scope` (workshop ids)."""
    alert = session.scalars(select(Alert).where(Alert.id == alert_id)
                            .with_for_update().execution_options(populate_existing=True)
                            ).first()
    if alert is None or (scope is not None and alert.workshop_id not in scope):
        raise NotFound(f"no alert {alert_id}")
    return alert


def acknowledge(session: Session, alert_id: int, actor: str, *,
                by_worker: Worker | int | None = None, by_user: User | int | None = None,
                now: datetime | None = None, scope: Collection[int] | None = None,
                event_uuid: str | None = None) -> Alert:
    """Acknowledge an alert, by a supervisor (`by_worker`) or an HR user (`by_user`).

    Raises NotFound for an unknown alert (or one outside `scope`, workshop ids), Conflict
    when it was acknowledged already. `now` (default: the server's clock; for a kiosk's
    act, when it happened) is never before the alert's opening."""
    if (by_worker is None) == (by_user is None):
        raise ValueError("acknowledge needs by_worker or by_user, not both")
    alert = _get(session, alert_id, scope)
    if alert.acknowledged_at is not None:
        raise Conflict(f"alert {alert_id} was acknowledged already")
    alert.acknowledged_at = max(now or utcnow(), alert.opened_at)
    alert.acknowledged_by = (_person("worker", by_worker) if by_worker is not None
                             else _person("user", by_user))  # type: ignore[arg-type]
    record(session, actor, "alert.acknowledge", "alert", alert.id,
           before={"acknowledged_at": None},
           after={"acknowledged_at": alert.acknowledged_at.isoformat(),
                  "by": alert.acknowledged_by, "event": event_uuid})
    session.flush()
    return alert


def resolve(session: Session, alert_id: int, actor: str, now: datetime | None = None, *,
            by_user: User | int | None = None, scope: Collection[int] | None = None) -> Alert:
    """HR resolves an alert (`resolved_by`: "user:<id>" of `by_user`, else `actor`).

    Raises NotFound for an unknown alert (or one outside `scope`), Conflict when it is
    resolved already."""
    alert = _get(session, alert_id, scope)
    if alert.resolved_at is not None:
        raise Conflict(f"alert {alert_id} was resolved already")
    alert.resolved_at = max(now or utcnow(), alert.opened_at)
    alert.resolved_by = (_person("user", by_user) if by_user is not None else actor)[:40]
    record(session, actor, "alert.resolve", "alert", alert.id,
           before={"resolved_at": None},
           after={"resolved_at": alert.resolved_at.isoformat(), "by": alert.resolved_by})
    session.flush()
    return alert
