"""Is a workshop's production data complete for a span of days? Checked before a period
is closed, since a closed period is paid from and never moves again.

A flag names the day and what is missing, in words HR can act on:
- a day without any production record, when the workshop worked that weekday in at least
  half of the other weeks from four weeks before the span to its end, counted from its
  first record (a plant that never works Sundays is not flagged for them; a week is
  judged against the month before it);
- a regular shift (run on at least half the days the workshop worked in that window) with
  no record on a day the workshop worked;
- a regular machine (recorded on at least half of those days) with no record on a day the
  workshop worked.
Only days up to `today` (exclusive) are judged: the future is not missing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Machine, ProductionRecord, Worker, Workshop

REFERENCE_DAYS = 28
T = TypeVar("T")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Flag:
    day: date
    what: str  # missing_day | missing_shift | silent_machine
    detail: str

    def __str__(self) -> str:
        day = f"{self.day.isoformat()} ({_WEEKDAYS[self.day.weekday()]})"
        if self.what == "missing_day":
            return f"{day}: no production record"
        if self.what == "missing_shift":
            return f"{day}: no record for the {self.detail} shift"
        return f"{day}: machine {self.detail} has no record"

    def to_dict(self) -> dict[str, str]:
        return {"day": self.day.isoformat(), "what": self.what, "detail": self.detail,
                "text": str(self)}


def check(session: Session, workshop: Workshop, start: date, end: date,
          today: date) -> list[Flag]:
    last = min(end, today - timedelta(days=1))
    if last < start:
        return []
    days = [start + timedelta(days=i) for i in range((last - start).days + 1)]
    reference_start = start - timedelta(days=REFERENCE_DAYS)
    rows = session.execute(
        select(ProductionRecord.date, ProductionRecord.shift, ProductionRecord.machine_id)
        .join(Worker, ProductionRecord.worker_id == Worker.id)
        .where(Worker.workshop_id == workshop.id,
               ProductionRecord.date.between(reference_start, last)))
    shifts_on: dict[date, set[str]] = defaultdict(set)
    machines_on: dict[date, set[int]] = defaultdict(set)
    for day, shift, machine_id in rows:
        shifts_on[day].add(shift)
        machines_on[day].add(machine_id)
    machines = {m.id: m.code for m in session.scalars(
        select(Machine).where(Machine.workshop_id == workshop.id))}
    # Days before the workshop's first record in the window say nothing of its habits.
    first_record = min(shifts_on, default=start)
    reference_start = max(reference_start, first_record)
    worked_weekdays: dict[int, list[bool]] = defaultdict(list)
    for offset in range((last - reference_start).days + 1):
        day = reference_start + timedelta(days=offset)
        worked_weekdays[day.weekday()].append(day in shifts_on)
    worked_days = [day for day in shifts_on if day >= reference_start]
    regular_shifts = _regular(worked_days, shifts_on)
    regular_machines = _regular(worked_days, machines_on)
    flags: list[Flag] = []
    for day in days:
        if day not in shifts_on:
            others = worked_weekdays[day.weekday()]
            weeks_worked = sum(others)  # this day is among them and did not work
            if weeks_worked and weeks_worked * 2 >= len(others) - 1:
                flags.append(Flag(day, "missing_day", ""))
            continue
        flags.extend(Flag(day, "missing_shift", shift)
                     for shift in sorted(regular_shifts - shifts_on[day]))
        flags.extend(Flag(day, "silent_machine", code)
                     for mid, code in sorted(machines.items(), key=lambda item: item[1])
                     if mid in regular_machines and mid not in machines_on[day])
    return flags


def _regular(worked: list[date], seen_on: dict[date, set[T]]) -> set[T]:
    """What was seen on at least half of the worked days."""
    counts: dict[T, int] = defaultdict(int)
    for day in worked:
        for thing in seen_on.get(day, ()):
            counts[thing] += 1
    return {thing for thing, count in counts.items() if count * 2 >= len(worked)}
