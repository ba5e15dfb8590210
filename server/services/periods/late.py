"""Late data: what a change dated in a closed period may do.

By default it is refused, with a reason naming the period ("2026-11 is closed for W1").
When HR says so (`--into-open`, the admin's checkbox, booking a refused kiosk event) the
change is stored where it belongs, and the difference it makes to the worker's total of
the closed period is booked as an adjustment line in the first open period, naming the
day it belongs to. The closed period's snapshot never moves.

The bookkeeping keeps one invariant per worker and closed period:

    live total now = snapshot total + active adjustments that period caused

`settle` restores it after a late change; `on_close` books the reversal of what the new
snapshot already holds; `on_reopen` cancels the lines booked into periods still open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    PeriodState,
    PointEntry,
    SettledPeriod,
    SnapshotCard,
    Worker,
    utcnow,
)
from server.scoring import Period, PeriodSpan, period_span
from server.services.audit import record
from server.services.periods.snapshots import newest_snapshot
from server.services.scores.standings import build_standing

TOLERANCE = 0.005  # points: below this a difference is rounding, not a change


def refusal(period: SettledPeriod) -> str:
    return f"{period.key} is closed for {period.workshop.code}"


class ClosedPeriods:
    """The closed periods of some workshops, read once: a batch of 500 events or rows asks
    "is this day closed?" without a query each."""

    def __init__(self, session: Session, workshop_ids: Iterable[int] | None = None) -> None:
        query = select(SettledPeriod).where(SettledPeriod.state == PeriodState.CLOSED)
        if workshop_ids is not None:
            query = query.where(SettledPeriod.workshop_id.in_(set(workshop_ids)))
        self._by_workshop: dict[int, list[SettledPeriod]] = defaultdict(list)
        for row in session.scalars(query):
            self._by_workshop[row.workshop_id].append(row)

    def __bool__(self) -> bool:
        return bool(self._by_workshop)

    def on(self, workshop_id: int | None, day: date) -> SettledPeriod | None:
        if workshop_id is None:
            return None
        for row in self._by_workshop.get(workshop_id, ()):
            if row.start <= day <= row.end:
                return row
        return None


def closed_on(session: Session, workshop_id: int, day: date) -> SettledPeriod | None:
    return session.scalars(select(SettledPeriod).where(
        SettledPeriod.workshop_id == workshop_id, SettledPeriod.state == PeriodState.CLOSED,
        SettledPeriod.start <= day, SettledPeriod.end >= day)).first()


def first_open_day(session: Session, period: SettledPeriod, today: date) -> date:
    """The day an adjustment for `period` is booked on: today when today's period is the
    first open one after it, else the last day of that first open period."""
    kind = Period(period.kind)
    span = period_span(kind, period.end + timedelta(days=1))
    while closed_on(session, period.workshop_id, span.start) is not None and span.end < today:
        span = period_span(kind, span.end + timedelta(days=1))
    return today if span.contains(today) or span.start > today else span.end


def _active(session: Session, period: SettledPeriod, worker_ids: Iterable[int] | None = None
            ) -> dict[int, float]:
    query = (select(Adjustment.worker_id, func.sum(Adjustment.points))
             .where(Adjustment.origin_period_id == period.id, Adjustment.cancelled_at.is_(None))
             .group_by(Adjustment.worker_id))
    if worker_ids is not None:
        query = query.where(Adjustment.worker_id.in_(list(worker_ids)))
    return {wid: total or 0.0 for wid, total in session.execute(query)}


def _frozen_totals(session: Session, period: SettledPeriod) -> dict[int, float]:
    snapshot = newest_snapshot(session, period)
    if snapshot is None:
        return {}
    rows = session.execute(select(SnapshotCard.worker_id, SnapshotCard.total)
                           .where(SnapshotCard.snapshot_id == snapshot.id))
    return {worker_id: total for worker_id, total in rows}


def _live_totals(session: Session, period: SettledPeriod, zone: ZoneInfo) -> dict[str, float]:
    span = PeriodSpan(Period(period.kind), period.start, period.end)
    standing = build_standing(session, period.workshop, span, zone, period.end)
    return {p.worker_code: p.total for p in standing.placings}


def settle(session: Session, period: SettledPeriod, workers: Iterable[Worker], *,
           actor: str, zone: ZoneInfo, today: date, source: str, original_date: date,
           what: str, reference: str | None = None) -> list[Adjustment]:
    """Book, for each worker, what a late change made their closed-period total differ
    from its snapshot (less what earlier adjustments already booked)."""
    workers = list(workers)
    live = _live_totals(session, period, zone)
    frozen = _frozen_totals(session, period)
    already = _active(session, period, [w.id for w in workers])
    booked_on = first_open_day(session, period, today)
    made = []
    for worker in workers:
        delta = round(live.get(worker.code, 0.0) - frozen.get(worker.id, 0.0)
                      - already.get(worker.id, 0.0), 2)
        if abs(delta) < TOLERANCE:
            continue
        line = Adjustment(worker_id=worker.id, booked_on=booked_on,
                          original_date=original_date, origin_period_id=period.id,
                          points=delta, source=source,
                          reason=f"{original_date.isoformat()} ({period.key}, closed): {what}",
                          reference=reference, created_by=actor)
        session.add(line)
        made.append(line)
        record(session, actor, "adjustment.book", "worker", worker.id, after={
            "points": delta, "booked_on": booked_on.isoformat(),
            "original_date": original_date.isoformat(), "period": period.key,
            "source": source, "what": what, "reference": reference})
    session.flush()
    return made


def on_close(session: Session, period: SettledPeriod, actor: str, zone: ZoneInfo) -> None:
    """The new snapshot holds the late data that adjustments in closed periods already
    paid: book their reversal, so nothing is paid twice."""
    remaining = _active(session, period)
    if not any(abs(v) >= TOLERANCE for v in remaining.values()):
        return
    today = datetime.now(zone).date()
    booked_on = first_open_day(session, period, today)
    for worker_id, points in remaining.items():
        if abs(points) < TOLERANCE:
            continue
        session.add(Adjustment(
            worker_id=worker_id, booked_on=booked_on, original_date=period.end,
            origin_period_id=period.id, points=round(-points, 2), source="reversal",
            reason=f"{period.key} closed again with the late data it was adjusted for",
            created_by=actor))
    record(session, actor, "adjustment.reverse", "period", period.key,
           after={"workers": len(remaining), "booked_on": booked_on.isoformat()})


def on_reopen(session: Session, period: SettledPeriod, actor: str) -> int:
    """Cancel the lines this period caused in periods that are still open; returns how
    many."""
    lines = list(session.scalars(select(Adjustment).where(
        Adjustment.origin_period_id == period.id, Adjustment.cancelled_at.is_(None))))
    workshop_id = period.workshop_id
    cancelled = 0
    for line in lines:
        if closed_on(session, workshop_id, line.booked_on) is None:
            line.cancelled_at = utcnow()
            cancelled += 1
    return cancelled


def settle_entries(session: Session, entries: Iterable[PointEntry], *, actor: str,
                   zone: ZoneInfo, today: date, what: str) -> list[Adjustment]:
    """Approved point entries dated in a closed period (a claim decided after its month
    was closed): the points are booked in the first open period instead."""
    closed = ClosedPeriods(session)
    if not closed:
        return []
    by_period: dict[int, tuple[SettledPeriod, list[Worker], date]] = {}
    for entry in entries:
        period = closed.on(entry.worker.workshop_id, entry.date)
        if period is None:
            continue
        _, workers, _ = by_period.setdefault(period.id, (period, [], entry.date))
        if entry.worker not in workers:
            workers.append(entry.worker)
    made: list[Adjustment] = []
    for period, workers, day in by_period.values():
        made += settle(session, period, workers, actor=actor, zone=zone, today=today,
                       source="points", original_date=day, what=what)
    return made


def settle_days(session: Session, late: Iterable[tuple[Worker, date]], *, actor: str,
                zone: ZoneInfo, today: date, source: str, what: str) -> list[Adjustment]:
    """Late rows stored in closed periods (an import or correction with `into_open`): one
    settlement per closed period, for every worker the rows name, dated by their first day."""
    closed = ClosedPeriods(session)
    by_period: dict[int, tuple[SettledPeriod, dict[int, Worker], list[date]]] = {}
    for worker, day in late:
        period = closed.on(worker.workshop_id, day)
        if period is None:
            continue
        _, workers, days = by_period.setdefault(period.id, (period, {}, []))
        workers[worker.id] = worker
        days.append(day)
    made: list[Adjustment] = []
    for period, workers, days in by_period.values():
        first, last = min(days), max(days)
        span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
        made += settle(session, period, workers.values(), actor=actor, zone=zone, today=today,
                       source=source, original_date=first, what=f"{what} ({span})")
    return made
