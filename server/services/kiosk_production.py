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

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, insert, select, union_all, update
from sqlalchemy.orm import Session

from server.models import Event, Machine, ProductionRecord, RecordSource, Worker, utcnow
from server.services.audit import lock_chain, record

ShiftKey = tuple[int, int, date, str]  # worker id, machine id, date, shift

DAY_START, NIGHT_START = time(6), time(18)
SHIFT_LENGTH = timedelta(hours=12)
MAX_RUN = timedelta(hours=16)
PLANNED_MINUTES = 480.0
_RUN_KINDS = ("machine_start", "machine_stop")
_COUNT_KINDS = ("output", "defect")


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


class _Track:
    """The production events of one worker on one machine, in time order."""

    __slots__ = ("marks", "times", "_runs", "_starts")

    def __init__(self) -> None:
        self.marks: list[_Mark] = []
        self.times: list[datetime] = []
        self._runs: list[tuple[datetime, datetime]] | None = None
        self._starts: list[datetime] = []

    def add(self, mark: _Mark) -> None:
        self.marks.append(mark)
        self.times.append(mark.at)

    def runs(self) -> tuple[list[tuple[datetime, datetime]], list[datetime]]:
        """The runs, ordered by start, and their starts (for bisecting); made once."""
        if self._runs is None:
            self._runs = _runs(self.marks)
            self._starts = [start for start, _ in self._runs]
        return self._runs, self._starts


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


def _row(track: _Track | None, begin: datetime, end: datetime) -> Values | None:
    # Pairing looks at most MAX_RUN back from each stop, so the runs that start in the
    # shift come out the same from any span of marks that covers the shift and MAX_RUN
    # either side of it: whichever batch recomputes a shift, the answer is the same.
    if track is None:
        return None
    runs, starts = track.runs()
    minutes = sum((stop - start).total_seconds() / 60
                  for start, stop in runs[bisect_left(starts, begin):bisect_left(starts, end)])
    output = defects = 0
    for mark in track.marks[bisect_left(track.times, begin):bisect_left(track.times, end)]:
        if mark.kind == "output":
            output += mark.count
        elif mark.kind == "defect":
            defects += mark.count
    if not (minutes or output or defects):
        return None
    return Values(PLANNED_MINUTES, round(min(minutes, PLANNED_MINUTES), 1), output, defects)


def _marks(session: Session, workers: set[int], first: datetime, last: datetime
           ) -> dict[tuple[int, str], _Track]:
    """The production events of `workers` by worker and machine code, in time order:
    starts and stops from MAX_RUN around [first, last) (runs cross shift ends), counts only
    from inside it (the most numerous events, needed nowhere else). One query; the
    database reads the machine and count out of the payload."""

    def query(kinds: tuple[str, ...], since: datetime, until: datetime) -> Select[Any]:
        return select(Event.occurred_at, Event.id, Event.worker_id, Event.kind,
                      Event.payload["machine"].as_string().label("machine"),
                      Event.payload["count"].as_integer().label("count"),
                      ).where(Event.worker_id.in_(workers), Event.kind.in_(kinds),
                              Event.occurred_at >= since, Event.occurred_at < until)

    both = union_all(query(_RUN_KINDS, first - MAX_RUN, last + MAX_RUN),
                     query(_COUNT_KINDS, first, last)).subquery()
    rows = session.execute(select(both).order_by(both.c.occurred_at, both.c.id))
    tracks: dict[tuple[int, str], _Track] = defaultdict(_Track)
    last_run: dict[int, tuple[datetime, str]] = {}  # worker -> latest start or stop
    for at, _id, worker_id, kind, machine, count in rows:
        if kind in _RUN_KINDS:
            last_run[worker_id] = (at, machine)
        elif machine is None:  # a count without a machine: the one the worker last ran
            run = last_run.get(worker_id)
            if run is None or at - run[0] > MAX_RUN:
                continue
            machine = run[1]
        tracks[(worker_id, machine)].add(_Mark(kind, at, count or 0))
    return tracks


@dataclass(frozen=True, slots=True)
class Values:
    planned_minutes: float
    run_minutes: float
    output: int
    defects: int

    def to_dict(self) -> dict[str, Any]:
        return {"planned_minutes": self.planned_minutes, "run_minutes": self.run_minutes,
                "output": self.output, "defects": self.defects}


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    source: RecordSource
    values: Values


def _stored(session: Session, keys: list[ShiftKey]
            ) -> tuple[dict[ShiftKey, _Stored], set[tuple[int, int, date]]]:
    """The kiosk records of the keys' workers and dates by key, and the (worker, machine,
    date) that have a record from MES, an import or HR: one query."""
    found: dict[ShiftKey, _Stored] = {}
    covered: set[tuple[int, int, date]] = set()
    rows = session.execute(
        select(ProductionRecord.id, ProductionRecord.worker_id, ProductionRecord.machine_id,
               ProductionRecord.date, ProductionRecord.shift, ProductionRecord.source,
               ProductionRecord.planned_minutes, ProductionRecord.run_minutes,
               ProductionRecord.output, ProductionRecord.defects)
        .where(ProductionRecord.worker_id.in_({k[0] for k in keys}),
               ProductionRecord.date.in_({k[2] for k in keys}))
    )
    for id_, worker_id, machine_id, day, shift, source, *values in rows:
        if source is RecordSource.KIOSK:
            found[(worker_id, machine_id, day, shift)] = _Stored(id_, source, Values(*values))
        else:
            covered.add((worker_id, machine_id, day))
    return found, covered


def recompute(session: Session, keys: Iterable[ShiftKey], zone: ZoneInfo, actor: str) -> None:
    """Bring the kiosk records of `keys` in line with the stored events, in a few queries
    whatever the number of keys, with one audit entry for all the records that changed.

    A key whose worker, machine and date have a record from MES, an import or HR is left
    alone (MES wins). A row the production rules refuse (more defects than output, while
    the output count has not arrived yet) is left alone too; the next event for that
    shift tries again. The audit chain is locked before anything is read, so concurrent
    batches take turns and the later one recomputes from what the earlier committed.
    """
    wanted = sorted(keys)
    if not wanted:
        return
    lock_chain(session)
    stored, covered = _stored(session, wanted)
    wanted = [k for k in wanted if k[:3] not in covered]
    if not wanted:
        return
    windows = [shift_window(day, shift, zone) for _, _, day, shift in wanted]
    tracks = _marks(session, {k[0] for k in wanted}, min(b for b, _ in windows),
                    max(e for _, e in windows))
    machines = dict(session.execute(
        select(Machine.id, Machine.code).where(Machine.id.in_({k[1] for k in wanted}))).all())
    now = utcnow()
    created: list[tuple[ShiftKey, Values]] = []
    updated: list[tuple[ShiftKey, _Stored, Values]] = []
    for key, (begin, end) in zip(wanted, windows, strict=True):
        values = _row(tracks.get((key[0], machines[key[1]])), begin, end)
        if values is None or values.defects > values.output:
            continue
        old = stored.get(key)
        if old is None:
            created.append((key, values))
        elif old.values != values:
            updated.append((key, old, values))
    if created:
        session.execute(insert(ProductionRecord), [
            {"worker_id": w, "machine_id": m, "date": day, "shift": shift,
             "source": RecordSource.KIOSK, "updated_at": now, **values.to_dict()}
            for (w, m, day, shift), values in created])
    if updated:
        session.execute(update(ProductionRecord), [
            {"id": old.id, "updated_at": now, **values.to_dict()}
            for _, old, values in updated])
    if created or updated:
        _audit(session, actor, machines, created, updated)


def _audit(session: Session, actor: str, machines: dict[int, str],
           created: list[tuple[ShiftKey, Values]],
           updated: list[tuple[ShiftKey, _Stored, Values]]) -> None:
    """One entry for the batch, in the shape of `upsert_production`'s summary, listing
    every changed record's key with its values before and after."""
    workers = dict(session.execute(select(Worker.id, Worker.code).where(
        Worker.id.in_({k[0] for k, *_ in created} | {k[0] for k, *_ in updated}))).all())

    def text(key: ShiftKey) -> str:
        worker_id, machine_id, day, shift = key
        return "/".join((day.isoformat(), shift, workers[worker_id], machines[machine_id]))

    source = {"source": RecordSource.KIOSK.value}
    changes: list[dict[str, Any]] = [
        {"key": text(key), "before": None, "after": {**values.to_dict(), **source}}
        for key, values in created]
    changes += [{"key": text(key), "id": old.id, "before": {**old.values.to_dict(), **source},
                 "after": {**values.to_dict(), **source}} for key, old, values in updated]
    record(session, actor, "production.upsert", "production_record", after={
        "from": "kiosk events", **source, "created": len(created), "updated": len(updated),
        "created_machines": [], "created_keys": [text(k) for k, _ in created],
        "updated_keys": [text(k) for k, *_ in updated], "changes": changes,
    })
