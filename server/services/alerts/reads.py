"""Reading alerts: the open ones (kiosk, wall, admin), one alert as JSON, and what the
admin measures: downtime by reason (a Pareto) and the time to acknowledge and resolve.

Workshops are given as ids (`workshop_ids`; None: every workshop). Days are the site's
(`zone`): a date range is from the first day to the last, both included; datetimes are
instants, from `start` up to (not including) `end`.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, object_session

from server.models import (
    Alert,
    AlertKind,
    FaultReason,
    Kiosk,
    ProductionRecord,
    User,
    Worker,
    Workshop,
)
from server.services.devices.roster import require_workshop, served_workshop_ids

# The most alerts one list holds (an admin page, a CLI listing).
MAX_LIST = 500
_PERSON = re.compile(r"^(worker|user):(.+)$")


def _with_names(query: Select[Alert]) -> Select[Alert]:
    return query.options(joinedload(Alert.workshop), joinedload(Alert.machine),
                         joinedload(Alert.reporter))


def _in(query: Select[Alert], workshop_ids: Collection[int] | None
        ) -> Select[Alert]:
    return query if workshop_ids is None else query.where(
        Alert.workshop_id.in_(sorted(workshop_ids)))


def open_alerts(session: Session, workshop_ids: Collection[int] | None) -> list[Alert]:
    """Alerts not resolved yet (acknowledged or not), newest first."""
    query = _in(_with_names(select(Alert)).where(Alert.resolved_at.is_(None)), workshop_ids)
    return list(session.scalars(query.order_by(Alert.opened_at.desc(), Alert.id.desc())
                                .limit(MAX_LIST)).unique())


def unacknowledged_first(alerts: Sequence[Alert]) -> list[Alert]:
    """Oldest unacknowledged first, then the acknowledged ones, oldest first."""
    return sorted(alerts, key=lambda a: (a.acknowledged_at is not None, a.opened_at, a.id))


def list_alerts(session: Session, workshop_ids: Collection[int] | None, *,
                start: date | datetime | None = None, end: date | datetime | None = None,
                zone: ZoneInfo | None = None, open_only: bool = False,
                limit: int = MAX_LIST) -> list[Alert]:
    """Alerts opened in the range (open ones, or all), newest first, at most `limit`."""
    query = _in(_with_names(select(Alert)), workshop_ids)
    if open_only:
        query = query.where(Alert.resolved_at.is_(None))
    if start is not None:
        query = query.where(Alert.opened_at >= _instant(start, zone))
    if end is not None:
        query = query.where(Alert.opened_at < _instant(end, zone, end=True))
    return list(session.scalars(query.order_by(Alert.opened_at.desc(), Alert.id.desc())
                                .limit(min(limit, MAX_LIST))).unique())


def kiosk_alerts(session: Session, kiosk: Kiosk, workshop_code: str | None
                 ) -> list[dict[str, Any]]:
    """GET /api/v1/alerts: the open alerts of one of the kiosk's workshops (all of them
    without one), oldest unacknowledged first. Forbidden for a workshop it does not serve."""
    if workshop_code is not None:
        require_workshop(kiosk, workshop_code)
        ids = {w.id for w in kiosk.workshops if w.code == workshop_code}
    else:
        ids = served_workshop_ids(kiosk)
    return [alert_dict(a) for a in unacknowledged_first(open_alerts(session, ids))]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds()))


def person_name(session: Session | None, who: str | None) -> str | None:
    """The name behind "worker:<id>" (a worker's name) or "user:<id>" (a user name); the
    text after the colon for anything else ("user:hr" from an older caller)."""
    if who is None:
        return None
    found = _PERSON.match(who)
    if found is None:
        return who
    kind, ident = found.groups()
    if session is None or not ident.isdigit():
        return ident
    if kind == "worker":
        worker = session.get(Worker, int(ident))
        return worker.name if worker is not None else who
    user = session.get(User, int(ident))
    return user.username if user is not None else who


def alert_dict(alert: Alert) -> dict[str, Any]:
    """One alert as the API, the wall and the admin show it. Times are ISO 8601 with their
    offset (UTC); `downtime_s` only for a fault its machine's start resolved."""
    session = object_session(alert)
    machine, reporter, workshop = alert.machine, alert.reporter, alert.workshop
    reason = None if alert.reason is None or session is None else session.scalars(
        select(FaultReason).where(FaultReason.code == alert.reason)).first()
    return {
        "id": alert.id,
        "kind": alert.kind.value,
        "workshop": workshop.code,
        "workshop_name": workshop.name,
        "machine": None if machine is None else machine.code,
        "machine_name": None if machine is None else machine.name,
        "reason": alert.reason,
        "reason_name": None if reason is None else reason.name,
        "reason_name_en": None if reason is None else reason.name_en,
        "reason_pictogram": None if reason is None else reason.pictogram,
        "reporter": reporter.code,
        "reporter_name": reporter.name,
        "opened_at": _iso(alert.opened_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by_name": person_name(session, alert.acknowledged_by),
        "resolved_at": _iso(alert.resolved_at),
        "resolved_by_name": person_name(session, alert.resolved_by),
        "downtime_s": alert.downtime_s,
        "time_to_acknowledge_s": _seconds(alert.opened_at, alert.acknowledged_at),
        "time_to_resolve_s": _seconds(alert.opened_at, alert.resolved_at),
        "notified_at": _iso(alert.notified_at),
        "escalated_at": _iso(alert.escalated_at),
    }


def _instant(moment: date | datetime, zone: ZoneInfo | None, *, end: bool = False
             ) -> datetime:
    """A datetime as it is; a date as the start of that day in `zone` (default UTC), or,
    as an `end`, the start of the day after (the day itself included)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return moment
    day = moment + timedelta(days=1) if end else moment
    return datetime.combine(day, time(), zone or UTC)


def _range(session: Session, workshop_ids: Collection[int] | None, start: date | datetime,
           end: date | datetime, zone: ZoneInfo | None) -> list[Alert]:
    query = _in(select(Alert), workshop_ids).where(
        Alert.opened_at >= _instant(start, zone), Alert.opened_at < _instant(end, zone, end=True))
    return list(session.scalars(query))


def downtime_pareto(session: Session, workshop_ids: Collection[int] | None,
                    start: date | datetime, end: date | datetime, *,
                    zone: ZoneInfo | None = None) -> list[tuple[str | None, int, int]]:
    """Machine faults opened in the range by reason (None: no reason given): (reason,
    faults, seconds of downtime recorded), most downtime first, then most faults."""
    faults: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for alert in _range(session, workshop_ids, start, end, zone):
        if alert.kind is AlertKind.MACHINE_FAULT:
            faults[alert.reason][0] += 1
            faults[alert.reason][1] += alert.downtime_s or 0
    rows = [(reason, count, seconds) for reason, (count, seconds) in faults.items()]
    return sorted(rows, key=lambda r: (-r[2], -r[1], r[0] or ""))


def _times(alerts: Sequence[Alert]) -> dict[str, Any]:
    acks = [s for a in alerts if (s := _seconds(a.opened_at, a.acknowledged_at)) is not None]
    fixes = [s for a in alerts if (s := _seconds(a.opened_at, a.resolved_at)) is not None]

    def stats(values: list[int], name: str) -> dict[str, float | None]:
        return {f"{name}_median_s": statistics.median(values) if values else None,
                f"{name}_mean_s": round(statistics.fmean(values), 1) if values else None,
                f"{name}_max_s": max(values) if values else None}

    return {"count": len(alerts), "acknowledged": len(acks), "resolved": len(fixes),
            **stats(acks, "acknowledge"), **stats(fixes, "resolve")}


def response_times(session: Session, workshop_ids: Collection[int] | None,
                   start: date | datetime, end: date | datetime, *,
                   zone: ZoneInfo | None = None) -> dict[str, Any]:
    """How fast alerts opened in the range were acknowledged and resolved: counts, and the
    median, mean and longest seconds from opening, in all and by kind (`by_kind`)."""
    alerts = _range(session, workshop_ids, start, end, zone)
    return {**_times(alerts), "by_kind": {
        kind.value: _times([a for a in alerts if a.kind is kind]) for kind in AlertKind}}


def workshop_ids_of(session: Session, codes: Collection[str]) -> set[int]:
    """The ids of the workshops with these codes (unknown codes are left out)."""
    return set(session.scalars(select(Workshop.id).where(Workshop.code.in_(sorted(codes)))))


def fault_minutes(session: Session, worker_id: int, first: date, last: date,
                  zone: ZoneInfo) -> dict[str, float]:
    """Minutes of recorded fault downtime per day, from `first` to `last`, on the machines
    the worker has production records for that day (a fault counts on the day it was
    reported). Only days with some downtime."""
    return fault_minutes_of(session, [worker_id], first, last, zone).get(worker_id, {})


def fault_minutes_of(session: Session, worker_ids: Collection[int], first: date, last: date,
                     zone: ZoneInfo) -> dict[int, dict[str, float]]:
    """`fault_minutes` of many workers at once (a workshop's cards), by worker id; workers
    without downtime are left out. The faults of the days first (few), then which of the
    workers worked those machines on those days: two queries per 900 workers at most."""
    faults: dict[tuple[int, date], list[tuple[int, int]]] = defaultdict(list)
    for alert_id, machine_id, opened_at, downtime in session.execute(
            select(Alert.id, Alert.machine_id, Alert.opened_at, Alert.downtime_s)
            .where(Alert.kind == AlertKind.MACHINE_FAULT, Alert.downtime_s.is_not(None),
                   Alert.machine_id.is_not(None),
                   Alert.opened_at >= _instant(first, zone),
                   Alert.opened_at < _instant(last, zone, end=True))):
        day = opened_at.astimezone(zone).date()
        if machine_id is not None and first <= day <= last:
            faults[(machine_id, day)].append((alert_id, downtime or 0))
    if not faults:
        return {}
    machines = sorted({machine for machine, _ in faults})
    ids = sorted(set(worker_ids))
    seconds: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    seen: set[tuple[int, int]] = set()
    for start in range(0, len(ids), 900):
        rows = session.execute(
            select(ProductionRecord.worker_id, ProductionRecord.machine_id,
                   ProductionRecord.date).distinct()
            .where(ProductionRecord.worker_id.in_(ids[start:start + 900]),
                   ProductionRecord.machine_id.in_(machines),
                   ProductionRecord.date >= first, ProductionRecord.date <= last))
        for worker_id, machine_id, day in rows:
            for alert_id, downtime in faults.get((machine_id, day), ()):
                if (worker_id, alert_id) not in seen:  # an alert counts on one day only
                    seen.add((worker_id, alert_id))
                    seconds[worker_id][day] += downtime
    found: dict[int, dict[str, float]] = {}
    for worker_id, days in seconds.items():
        minutes = {day.isoformat(): round(s / 60, 1) for day, s in sorted(days.items())
                   if s > 0}
        if minutes:
            found[worker_id] = minutes
    return found
