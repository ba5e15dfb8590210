"""The dashboard: is the data complete, how the week goes, workshops side by side.

Completeness is judged per workshop and day, before anybody publishes scores from it:

- `missing`: a past day (not today, not in the future) with no production record at all;
- a shift that the workshop ran on other days of the range but not on this day;
- a machine of the workshop with no record on a day the workshop worked;
- active workers without a record on a day the workshop worked (shown as a count: days
  off are normal, so this alone does not raise a flag).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Machine, ProductionRecord, Worker, Workshop
from server.services import ServiceError
from server.services.scores.scorecards import leaderboard

Scope = Collection[int] | None


@dataclass
class DayStatus:
    day: date
    records: int = 0
    workers_with: int = 0
    missing_shifts: list[str] = field(default_factory=list)
    idle_machines: list[str] = field(default_factory=list)
    planned: float = 0.0
    run: float = 0.0
    output: int = 0
    defects: int = 0
    future: bool = False

    @property
    def state(self) -> str:
        if self.future:
            return "future"
        if self.records == 0:
            return "missing"
        if self.missing_shifts or self.idle_machines:
            return "gaps"
        return "ok"

    @property
    def uptime(self) -> float | None:
        return self.run / self.planned if self.planned else None

    @property
    def defect_rate(self) -> float | None:
        return self.defects / self.output if self.output else None


@dataclass
class WorkshopWeek:
    code: str
    name: str
    workers: int
    machines: int
    days: list[DayStatus]
    average_score: float | None = None
    scored_workers: int = 0
    score_problem: str | None = None

    def _sum(self, name: str) -> float:
        return sum(getattr(d, name) for d in self.days)

    @property
    def uptime(self) -> float | None:
        planned = self._sum("planned")
        return self._sum("run") / planned if planned else None

    @property
    def defect_rate(self) -> float | None:
        output = self._sum("output")
        return self._sum("defects") / output if output else None

    @property
    def output(self) -> int:
        return int(self._sum("output"))

    @property
    def flagged(self) -> list[DayStatus]:
        return [d for d in self.days if d.state in ("missing", "gaps")]


def week_of(on: date) -> tuple[date, date]:
    start = on - timedelta(days=on.weekday())
    return start, start + timedelta(days=6)


def plant_week(session: Session, on: date, today: date, zone: ZoneInfo,
               scope: Scope = None, with_scores: bool = True) -> list[WorkshopWeek]:
    """Every workshop's week (Monday to Sunday around `on`), day by day."""
    start, end = week_of(on)
    days = [start + timedelta(days=i) for i in range(7)]
    query = select(Workshop).order_by(Workshop.code)
    if scope is not None:
        query = query.where(Workshop.id.in_(scope))
    shops = list(session.scalars(query))
    ids = [w.id for w in shops]
    workers = dict(session.execute(
        select(Worker.workshop_id, func.count()).where(Worker.active.is_(True),
                                                       Worker.workshop_id.in_(ids))
        .group_by(Worker.workshop_id)).all())
    machines: dict[int, dict[int, str]] = defaultdict(dict)
    for machine in session.scalars(select(Machine).where(Machine.workshop_id.in_(ids))):
        machines[machine.workshop_id][machine.id] = machine.code
    rows = session.execute(
        select(Worker.workshop_id, ProductionRecord.date, ProductionRecord.shift,
               ProductionRecord.worker_id, ProductionRecord.machine_id,
               ProductionRecord.planned_minutes, ProductionRecord.run_minutes,
               ProductionRecord.output, ProductionRecord.defects)
        .join(Worker, ProductionRecord.worker_id == Worker.id)
        .where(Worker.workshop_id.in_(ids), ProductionRecord.date.between(start, end)))
    status = {(w, d): DayStatus(d, future=d > today) for w in ids for d in days}
    shifts: dict[int, set[str]] = defaultdict(set)
    seen: dict[tuple[int, date], tuple[set[str], set[int], set[int]]] = defaultdict(
        lambda: (set(), set(), set()))
    for shop_id, day, shift, worker_id, machine_id, planned, run, out, defects in rows:
        day_status = status[(shop_id, day)]
        day_status.records += 1
        day_status.planned += planned
        day_status.run += run
        day_status.output += out
        day_status.defects += defects
        shifts[shop_id].add(shift)
        day_shifts, day_workers, day_machines = seen[(shop_id, day)]
        day_shifts.add(shift)
        day_workers.add(worker_id)
        day_machines.add(machine_id)
    result = []
    for shop in shops:
        for day in days:
            day_status = status[(shop.id, day)]
            if day_status.records == 0 or day_status.future:
                continue
            day_shifts, day_workers, day_machines = seen[(shop.id, day)]
            day_status.workers_with = len(day_workers)
            day_status.missing_shifts = sorted(shifts[shop.id] - day_shifts)
            day_status.idle_machines = sorted(
                code for mid, code in machines[shop.id].items() if mid not in day_machines)
        week = WorkshopWeek(shop.code, shop.name, workers.get(shop.id, 0),
                            len(machines[shop.id]), [status[(shop.id, d)] for d in days])
        if with_scores:
            _add_scores(session, week, on, today, zone)
        result.append(week)
    return result


def _add_scores(session: Session, week: WorkshopWeek, on: date, today: date,
                zone: ZoneInfo) -> None:
    try:
        board = leaderboard(session, week.code, "week", on, zone, today=today)
    except ServiceError as exc:
        week.score_problem = str(exc)
        return
    totals = [entry["total"] for entry in board["standings"]]
    week.scored_workers = len(totals)
    week.average_score = round(sum(totals) / len(totals), 1) if totals else None


def chart_data(weeks: list[WorkshopWeek]) -> dict[str, Any]:
    """What the dashboard's charts draw, as JSON-ready values."""
    days = [d.day.strftime("%m-%d") for d in weeks[0].days] if weeks else []

    def pct(value: float | None) -> float | None:
        return None if value is None else round(value * 100, 1)

    return {
        "days": days,
        "workshops": [w.code for w in weeks],
        "uptime": {w.code: [pct(d.uptime) for d in w.days] for w in weeks},
        "defect_rate": {w.code: [pct(d.defect_rate) for d in w.days] for w in weeks},
        "output": {w.code: [d.output if d.records else None for d in w.days] for w in weeks},
        "comparison": {
            "uptime": [pct(w.uptime) for w in weeks],
            "defect_rate": [pct(w.defect_rate) for w in weeks],
            "score": [w.average_score for w in weeks],
        },
        "heat": [[x, y, pct(d.uptime)] for y, w in enumerate(weeks)
                 for x, d in enumerate(w.days) if d.uptime is not None],
    }
