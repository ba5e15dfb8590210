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

MES wins. A record from MES, an import or HR for the same date, worker and machine (under
any shift name) means the kiosk writes nothing for that day, and the production service
never lets a kiosk row overwrite such a record; an MES record replaces a kiosk one.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def touched_shifts(worker_id: int, machine_id: int, at: datetime,
                   zone: ZoneInfo) -> set[ShiftKey]:
    """The shifts whose record an event at `at` may change: its own, and for a stop, the
    shifts in which the run it closes may have started."""
    moments = (at, at - SHIFT_LENGTH, at - MAX_RUN)
    return {(worker_id, machine_id, *shift_of(moment, zone)) for moment in moments}


def _runs(events: list[Event]) -> list[tuple[datetime, datetime]]:
    runs = []
    start: datetime | None = None
    for event in events:
        if event.kind == "machine_start":
            start = event.occurred_at
        elif event.kind == "machine_stop":
            if start is not None and event.occurred_at - start <= MAX_RUN:
                runs.append((start, event.occurred_at))
            start = None
    return runs


def _row(session: Session, key: ShiftKey, zone: ZoneInfo) -> dict[str, object] | None:
    worker_id, machine_id, day, shift = key
    worker, machine = session.get(Worker, worker_id), session.get(Machine, machine_id)
    assert worker is not None and machine is not None  # they made the events
    begin, end = shift_window(day, shift, zone)
    events = [
        e for e in session.scalars(
            select(Event).where(
                Event.worker_id == worker_id, Event.kind.in_(_KINDS),
                Event.occurred_at >= begin - MAX_RUN, Event.occurred_at < end + MAX_RUN,
            ).order_by(Event.occurred_at, Event.id)
        )
        if e.payload.get("machine") == machine.code
    ]
    # The span reaches MAX_RUN before the shift, so every stop of a run that started in
    # the shift sees the same 16 hours whichever shift is being recomputed.
    minutes = sum((stop - start).total_seconds() / 60
                  for start, stop in _runs(events) if begin <= start < end)
    inside = [e for e in events if begin <= e.occurred_at < end]
    output = sum(int(e.payload["count"]) for e in inside if e.kind == "output")
    defects = sum(int(e.payload["count"]) for e in inside if e.kind == "defect")
    if not (minutes or output or defects):
        return None
    return {
        "date": day, "shift": shift, "worker_code": worker.code, "machine_code": machine.code,
        "planned_minutes": PLANNED_MINUTES, "run_minutes": round(min(minutes, PLANNED_MINUTES), 1),
        "output": output, "defects": defects,
    }


def _covered_by_others(session: Session, key: ShiftKey) -> bool:
    worker_id, machine_id, day, _shift = key
    return session.scalar(
        select(ProductionRecord.id).where(
            ProductionRecord.worker_id == worker_id, ProductionRecord.machine_id == machine_id,
            ProductionRecord.date == day, ProductionRecord.source != RecordSource.KIOSK,
        ).limit(1)
    ) is not None


def recompute(session: Session, keys: Iterable[ShiftKey], zone: ZoneInfo, actor: str) -> None:
    """Bring the kiosk records of `keys` in line with the stored events.

    A row the production rules refuse (more defects than output, while the output count
    has not arrived yet) is left alone; the next event for that shift tries again.
    """
    rows = [row for key in sorted(keys) if not _covered_by_others(session, key)
            if (row := _row(session, key, zone)) is not None]
    if not rows:
        return
    checked = validate_production_rows(session, rows)
    upsert_production(session, checked.rows, RecordSource.KIOSK, actor,
                      audit_context={"from": "kiosk events"})
