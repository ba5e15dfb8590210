"""Production records made from kiosk events, for shifts no MES record covers.

The factory clock has two 12-hour shifts: `day` from 06:00 to 18:00 and `night` from
18:00 to 06:00, which belongs to the date it started (as DESIGN.md §4 says of records).
A kiosk record for (date, shift, worker, machine) is a pure function of the stored events,
recomputed whenever an event for it arrives, so events may come late, twice or out of
order and the record is still right:

- run minutes: each machine_stop closes the run begun by the latest machine_start of that
  worker on that machine before it, unless a stop came between or that start is more than
  16 hours earlier (a forgotten stop, which counts nothing). A second start without a stop
  (say, after a fault was repaired) begins the run anew, so downtime is not counted, and
  the pairing depends only on the 16 hours before each stop. A run belongs to the shift in
  which it started. Run minutes are capped at the planned minutes;
- planned minutes: a standard 8-hour shift (480), as the demo and most imports have;
- output and defects: the sums of the counts of the events that occurred in the shift.
  A count sent without a machine belongs to the machine of the worker's latest start or
  stop in the 16 hours before it; with none, it is kept in the event log and counted once
  such a start or stop arrives.

MES wins. A record from MES, an import or HR for the same date, worker and machine (under
any shift name) means the kiosk writes nothing for that day, and the production service
never lets a kiosk row overwrite such a record; an MES record replaces a kiosk one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Event, Machine, ProductionRecord, RecordSource, Worker
from server.services.production import upsert_production, validate_production_rows

ShiftKey = tuple[int, int, date, str]  # worker id, machine id, date, shift

DAY_START, NIGHT_START = time(6), time(18)
SHIFT_LENGTH = timedelta(hours=12)
MAX_RUN = timedelta(hours=16)
PLANNED_MINUTES = 480.0
_KINDS = ("machine_start", "machine_stop", "output", "defect")


def shift_of(at: datetime, zone: ZoneInfo) -> tuple[date, str]:
    local = at.astimezone(zone)
    if local.time() < DAY_START:
        return local.date() - timedelta(days=1), "night"
    if local.time() < NIGHT_START:
        return local.date(), "day"
    return local.date(), "night"


def shift_window(day: date, shift: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, DAY_START if shift == "day" else NIGHT_START, tzinfo=zone)
    return start, start + SHIFT_LENGTH


def touched_shifts(worker_id: int, machine_id: int, kind: str, at: datetime,
                   zone: ZoneInfo) -> set[ShiftKey]:
    """The shifts whose record an event at `at` may change: a count's own; for a start or
    a stop also the shifts up to MAX_RUN before (a run it closes may have started there)
    and after (counts logged without a machine may be attributed to it)."""
    if kind in ("output", "defect"):
        moments: tuple[datetime, ...] = (at,)
    else:
        moments = (at - MAX_RUN, at - SHIFT_LENGTH, at, at + SHIFT_LENGTH, at + MAX_RUN)
    return {(worker_id, machine_id, *shift_of(moment, zone)) for moment in moments}


@dataclass(frozen=True, slots=True)
class _Mark:
    kind: str
    at: datetime
    count: int


def _runs(marks: list[_Mark]) -> list[tuple[datetime, datetime]]:
    runs = []
    start: datetime | None = None
    for mark in marks:
        if mark.kind == "machine_start":
            start = mark.at
        elif mark.kind == "machine_stop":
            if start is not None and mark.at - start <= MAX_RUN:
                runs.append((start, mark.at))
            start = None
    return runs


def _row(marks: list[_Mark], begin: datetime, end: datetime) -> dict[str, float] | None:
    # Pairing looks at most MAX_RUN back from each stop, so the runs that start in the
    # shift come out the same from any span of marks that covers the shift and MAX_RUN
    # either side of it: whichever batch recomputes a shift, the answer is the same.
    minutes = sum((stop - start).total_seconds() / 60
                  for start, stop in _runs(marks) if begin <= start < end)
    inside = [m for m in marks if begin <= m.at < end]
    output = sum(m.count for m in inside if m.kind == "output")
    defects = sum(m.count for m in inside if m.kind == "defect")
    if not (minutes or output or defects):
        return None
    return {"planned_minutes": PLANNED_MINUTES,
            "run_minutes": round(min(minutes, PLANNED_MINUTES), 1),
            "output": output, "defects": defects}


def _covered_by_others(session: Session, keys: list[ShiftKey]) -> set[tuple[int, int, date]]:
    """(worker, machine, date) that have a record from MES, an import or HR."""
    rows = session.execute(
        select(ProductionRecord.worker_id, ProductionRecord.machine_id, ProductionRecord.date)
        .where(ProductionRecord.worker_id.in_({k[0] for k in keys}),
               ProductionRecord.date.in_({k[2] for k in keys}),
               ProductionRecord.source != RecordSource.KIOSK)
    )
    return {(w, m, d) for w, m, d in rows}


def _marks(session: Session, keys: list[ShiftKey], windows: list[tuple[datetime, datetime]]
           ) -> dict[tuple[int, str], list[_Mark]]:
    """The production events of the keys' workers over all their spans, in one query,
    grouped by worker and machine code, in time order."""
    rows = session.execute(
        select(Event.worker_id, Event.kind, Event.occurred_at, Event.payload)
        .where(Event.worker_id.in_({k[0] for k in keys}), Event.kind.in_(_KINDS),
               Event.occurred_at >= min(b for b, _ in windows) - MAX_RUN,
               Event.occurred_at < max(e for _, e in windows) + MAX_RUN)
        .order_by(Event.occurred_at, Event.id)
    )
    marks: dict[tuple[int, str], list[_Mark]] = defaultdict(list)
    last_run: dict[int, tuple[datetime, str]] = {}  # worker -> latest start or stop
    for worker_id, kind, at, payload in rows:
        machine = payload.get("machine")
        if kind in ("machine_start", "machine_stop"):
            last_run[worker_id] = (at, machine)
        elif machine is None:  # a count without a machine: the one the worker last ran
            run = last_run.get(worker_id)
            if run is None or at - run[0] > MAX_RUN:
                continue
            machine = run[1]
        marks[(worker_id, machine)].append(_Mark(kind, at, int(payload.get("count", 0))))
    return marks


def recompute(session: Session, keys: Iterable[ShiftKey], zone: ZoneInfo, actor: str) -> None:
    """Bring the kiosk records of `keys` in line with the stored events.

    A row the production rules refuse (more defects than output, while the output count
    has not arrived yet) is left alone; the next event for that shift tries again.
    """
    wanted = sorted(keys)
    if not wanted:
        return
    covered = _covered_by_others(session, wanted)
    wanted = [k for k in wanted if k[:3] not in covered]
    if not wanted:
        return
    windows = [shift_window(day, shift, zone) for _, _, day, shift in wanted]
    marks = _marks(session, wanted, windows)
    workers = dict(session.execute(
        select(Worker.id, Worker.code).where(Worker.id.in_({k[0] for k in wanted}))).all())
    machines = dict(session.execute(
        select(Machine.id, Machine.code).where(Machine.id.in_({k[1] for k in wanted}))).all())
    rows = []
    for (worker_id, machine_id, day, shift), (begin, end) in zip(wanted, windows, strict=True):
        values = _row(marks.get((worker_id, machines[machine_id]), []), begin, end)
        if values is not None:
            rows.append({"date": day, "shift": shift, "worker_code": workers[worker_id],
                         "machine_code": machines[machine_id], **values})
    if not rows:
        return
    checked = validate_production_rows(session, rows)
    upsert_production(session, checked.rows, RecordSource.KIOSK, actor,
                      audit_context={"from": "kiosk events"})
