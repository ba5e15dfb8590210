"""Production records made from kiosk events, for shifts no MES record covers.

The factory clock has two 12-hour shifts: `day` from 06:00 to 18:00 and `night` from
18:00 to 06:00, which belongs to the date it started (docs/scoring.md, "Dimensions").
A kiosk record for (date, shift, worker, machine) is a pure function of the stored events,
recomputed whenever an event for it arrives, so events may come late, twice or out of
order and the record is still right:

- run minutes: each machine_stop closes the run begun by the latest machine_start of that
  worker on that machine before it, unless a stop came between or that start is more than
  16 hours earlier (a forgotten stop, which counts nothing). A second start without a stop
  (say, after a fault was repaired) begins the run anew, so downtime is not counted, and
  the pairing depends only on the 16 hours before each stop. A run belongs to the shift in
  which it started. Run minutes are capped at the planned minutes;
- planned minutes: a standard 8-hour shift (480), as the demo and most imports have, when
  the worker started or stopped that machine in the shift; a shift with counts and no
  start or stop of the machine plans nothing (0 planned, 0 run): the counts still count
  for output and defect rate, but uptime and attendance see no invented shift (a tap on
  "output" must not drop the worker's uptime);
- output and defects: the sums of the counts of the events that occurred in the shift.
  A count sent without a machine belongs to the machine of the worker's latest start or
  stop in the 16 hours before it; with none, it is kept in the event log and counted once
  such a start or stop arrives.

MES wins. A record from MES, an import or HR for the same date, worker and machine (under
any shift name) means the kiosk writes nothing for that day, and the production service
never lets a kiosk row overwrite such a record; an MES record replaces a kiosk one.

A batch of events is applied in a fixed number of queries, however many events and shifts
it touches: the shifts an event can change are found from the events around it, each
shift is recomputed once, the records are written in one INSERT and one UPDATE, and one
audit entry lists every record that changed with its values before and after.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Connection,
    Select,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from server.models import Event, Machine, ProductionRecord, RecordSource, utcnow
from server.services.audit import lock_chain, record
from server.services.events.kinds import COUNT_KINDS, RUN_KINDS, EventKind
from server.services.production.records import key_text
from server.services.scores.aggregates import mark_days

ShiftKey = tuple[int, int, date, str]  # worker id, machine id, date, shift
# A production event as the batch applies it: worker id, machine id, kind, occurred_at.
Touch = tuple[int, int, str, datetime]

DAY_START, NIGHT_START = time(6), time(18)
SHIFT_LENGTH = timedelta(hours=12)
MAX_RUN = timedelta(hours=16)
PLANNED_MINUTES = 480.0

# The statements run for every batch, built once; the database reads the machine and the
# count out of the payload.
_MACHINE = Event.payload["machine"].as_string()
_COUNT = Event.payload["count"].as_integer()
_WORKERS = Event.worker_id.in_(bindparam("workers", expanding=True))
_BARE_COUNT = Event.kind.in_(COUNT_KINDS) & _MACHINE.is_(None)  # counts without a machine
# Starts and stops from `since` to `until`, and the counts without a machine among them
# unless `bare` is false, in time order.
_MARKS = (
    select(Event.occurred_at, Event.worker_id, Event.kind, _MACHINE, _COUNT)
    .where(_WORKERS,
           Event.kind.in_(RUN_KINDS) | (_BARE_COUNT & bindparam("bare", type_=Boolean)),
           Event.occurred_at >= bindparam("since"), Event.occurred_at < bindparam("until"))
    .order_by(Event.occurred_at, Event.id)
)
_RECORDS = (
    select(ProductionRecord.id, ProductionRecord.worker_id, ProductionRecord.machine_id,
           ProductionRecord.date, ProductionRecord.shift, ProductionRecord.source,
           ProductionRecord.planned_minutes, ProductionRecord.run_minutes,
           ProductionRecord.output, ProductionRecord.defects)
    .where(ProductionRecord.worker_id.in_(bindparam("workers", expanding=True)),
           ProductionRecord.date.in_(bindparam("days", expanding=True)))
)
# Records are written to the table directly, all of a batch's in one statement each.
_TABLE = cast(Table, ProductionRecord.__table__)
_INSERT = insert(_TABLE)
_UPDATE = update(_TABLE).where(_TABLE.c.id == bindparam("record"))


@lru_cache(maxsize=16)
def _sums_statement(boundaries: int) -> Select[Any]:
    """The counts sent with a machine from b0 to the last boundary, summed by worker,
    machine, kind and shift: the index i of the b_i that starts it. One statement per
    number of boundaries, built once."""
    moments = [bindparam(f"b{i}", type_=Event.occurred_at.type) for i in range(boundaries)]
    ends = [(Event.occurred_at < end, index) for index, end in enumerate(moments[1:-1])]
    counted = (
        select(Event.worker_id, _MACHINE.label("machine"), Event.kind,
               (case(*ends, else_=len(ends)) if ends else literal(0)).label("shift"),
               _COUNT.label("count"))
        .where(_WORKERS, Event.kind.in_(COUNT_KINDS), _MACHINE.is_not(None),
               Event.occurred_at >= moments[0], Event.occurred_at < moments[-1])
        .subquery()
    )
    group = (counted.c.worker_id, counted.c.machine, counted.c.kind, counted.c.shift)
    return select(*group, func.sum(counted.c.count)).group_by(*group)


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


@dataclass(frozen=True, slots=True)
class _Mark:
    kind: str
    at: datetime
    count: int


class _Track:
    """The starts, stops and machine-less counts of one worker on one machine, in time
    order, with the runs they make (paired once, when first asked for)."""

    __slots__ = ("marks", "times", "starts", "_runs", "_run_starts")

    def __init__(self) -> None:
        self.marks: list[_Mark] = []
        self.times: list[datetime] = []
        self.starts: list[datetime] = []  # the machine_starts' times
        self._runs: list[tuple[datetime, datetime]] | None = None
        self._run_starts: list[datetime] = []

    def add(self, mark: _Mark) -> None:
        self.marks.append(mark)
        self.times.append(mark.at)
        if mark.kind == EventKind.MACHINE_START:
            self.starts.append(mark.at)

    def runs(self) -> tuple[list[tuple[datetime, datetime]], list[datetime]]:
        """The runs, ordered by start, and their starts (for bisecting)."""
        if self._runs is None:
            self._runs = _runs(self.marks)
            self._run_starts = [start for start, _ in self._runs]
        return self._runs, self._run_starts


def _runs(marks: list[_Mark]) -> list[tuple[datetime, datetime]]:
    runs = []
    start: datetime | None = None
    for mark in marks:
        if mark.kind == EventKind.MACHINE_START:
            start = mark.at
        elif mark.kind == EventKind.MACHINE_STOP:
            if start is not None and mark.at - start <= MAX_RUN:
                runs.append((start, mark.at))
            start = None
    return runs


@dataclass(frozen=True, slots=True)
class Values:
    planned_minutes: float
    run_minutes: float
    output: int
    defects: int

    def to_dict(self) -> dict[str, Any]:
        return {"planned_minutes": self.planned_minutes, "run_minutes": self.run_minutes,
                "output": self.output, "defects": self.defects}


class _Marks:
    """The starts, stops and machine-less counts of some workers from `since` to `until`,
    read in one query (two when there are machine-less counts: the starts and stops in
    the MAX_RUN before `since` may claim them), by worker and machine code."""

    def __init__(self, db: Connection, workers: list[int], since: datetime,
                 until: datetime) -> None:
        self.since, self.until = since, until
        rows = db.execute(_MARKS, {"workers": workers, "bare": True, "since": since,
                                   "until": until}).all()
        bare = sorted({worker for _, worker, kind, code, _ in rows
                       if code is None and kind in COUNT_KINDS})
        if bare:
            rows = [*db.execute(_MARKS, {"workers": bare, "bare": False,
                                         "since": since - MAX_RUN, "until": since}), *rows]
        self.tracks: dict[tuple[int, str], _Track] = defaultdict(_Track)
        self.bare: dict[int, list[datetime]] = defaultdict(list)  # worker -> count times
        # worker -> the times and machine codes of their starts and stops
        self.ran: dict[int, tuple[list[datetime], list[str]]] = defaultdict(lambda: ([], []))
        last_run: dict[int, tuple[datetime, str]] = {}  # worker -> latest start or stop
        for at, worker, kind, code, count in rows:
            if kind in RUN_KINDS:
                last_run[worker] = (at, code)
                times, codes = self.ran[worker]
                times.append(at)
                codes.append(code)
                if at < since:
                    continue  # read only for the counts after it
            else:  # a count without a machine: the one the worker last ran, if recently
                self.bare[worker].append(at)
                run = last_run.get(worker)
                if run is None or at - run[0] > MAX_RUN:
                    continue
                code = run[1]
            self.tracks[(worker, code)].add(_Mark(kind, at, count or 0))

    def covers(self, first: datetime, last: datetime) -> bool:
        """Whether the records of shifts from `first` to `last` can be made from these."""
        return self.since <= first and last + MAX_RUN <= self.until

    def affected(self, worker: int, code: str, at: datetime, zone: ZoneInfo
                 ) -> set[tuple[int, str, date, str]]:
        """The shifts, by worker, machine code, date and shift, whose record a start or
        stop of the worker on machine `code` at `at` may change besides its own: the shift
        of the latest start of that worker and machine in the MAX_RUN before (whose run it
        ends or cuts short; it pairs with nothing earlier); and the shifts of the counts
        without a machine that the worker logged in the MAX_RUN after it, on its machine
        (which may claim them) and on every machine the worker started or stopped in the
        MAX_RUN before each (which may lose them). Needs the marks from MAX_RUN before `at`
        to MAX_RUN after it."""
        keys = set()
        track = self.tracks.get((worker, code))
        starts = track.starts if track is not None else []
        latest = bisect_left(starts, at) - 1
        if latest >= 0 and starts[latest] >= at - MAX_RUN:
            keys.add((worker, code, *shift_of(starts[latest], zone)))
        counts = self.bare.get(worker, [])
        times, codes = self.ran.get(worker, ([], []))
        for count_at in counts[bisect_left(counts, at):bisect_right(counts, at + MAX_RUN)]:
            shift = shift_of(count_at, zone)
            keys.add((worker, code, *shift))
            keys.update((worker, other, *shift) for other in set(
                codes[bisect_left(times, count_at - MAX_RUN):bisect_right(times, count_at)]))
        return keys

    def row(self, worker: int, code: str, begin: datetime, end: datetime,
            sums: Mapping[tuple[int, str, str], int]) -> Values | None:
        """The record of a shift, from the tracks and the shift's `sums` of the counts sent
        with a machine, by worker, machine code and kind; None when it has nothing."""
        # A run belongs to the shift it starts in, and pairing a start with its stop looks
        # at nothing before the start, so the runs are right from the marks of the shift
        # and the MAX_RUN after it, whatever else was read.
        minutes = 0.0
        on_machine = False  # a start or stop of this machine in the shift
        counts = {"output": sums.get((worker, code, "output"), 0),
                  "defect": sums.get((worker, code, "defect"), 0)}
        track = self.tracks.get((worker, code))
        if track is not None:
            runs, starts = track.runs()
            minutes = sum((stop - start).total_seconds() / 60 for start, stop
                          in runs[bisect_left(starts, begin):bisect_left(starts, end)])
            for mark in track.marks[bisect_left(track.times, begin):
                                    bisect_left(track.times, end)]:
                if mark.kind in counts:
                    counts[mark.kind] += mark.count
                else:
                    on_machine = True
        output, defects = counts["output"], counts["defect"]
        if not (minutes or output or defects):
            return None
        planned = PLANNED_MINUTES if on_machine else 0.0
        return Values(planned, round(min(minutes, planned), 1), output, defects)


def _sums(db: Connection, workers: list[int], boundaries: list[datetime]
          ) -> dict[int, dict[tuple[int, str, str], int]]:
    """The counts sent with a machine (most events), summed by the database, by shift (the
    index of its start among the boundaries), then worker, machine code and kind."""
    sums: dict[int, dict[tuple[int, str, str], int]] = defaultdict(dict)
    for worker, code, kind, shift, total in db.execute(_sums_statement(len(boundaries)), {
            "workers": workers, **{f"b{i}": moment for i, moment in enumerate(boundaries)}}):
        sums[shift][(worker, code, kind)] = int(total)
    return sums


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    values: Values


def _stored(db: Connection, keys: list[ShiftKey]
            ) -> tuple[dict[ShiftKey, _Stored], set[tuple[int, int, date]]]:
    """The kiosk records of the keys' workers and dates by key, and the (worker, machine,
    date) that have a record from MES, an import or HR: one query."""
    found: dict[ShiftKey, _Stored] = {}
    covered: set[tuple[int, int, date]] = set()
    rows = db.execute(_RECORDS, {"workers": sorted({k[0] for k in keys}),
                                 "days": sorted({k[2] for k in keys})})
    for id_, worker, machine, day, shift, source, *values in rows:
        if source is RecordSource.KIOSK:
            found[(worker, machine, day, shift)] = _Stored(id_, Values(*values))
        else:
            covered.add((worker, machine, day))
    return found, covered


def _with_others(db: Connection, machines: Mapping[int, str], codes: set[str]
                 ) -> Mapping[int, str]:
    """`machines` (codes by id) with those of `codes` it lacks, read when there are any."""
    missing = codes - set(machines.values())
    if not missing:
        return machines
    found = db.execute(select(Machine.id, Machine.code).where(Machine.code.in_(missing)))
    return {**machines, **{machine: code for machine, code in found}}


def _span(keys: Iterable[ShiftKey], zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of the keys' first shift to the end of their last."""
    windows = [shift_window(day, shift, zone) for _, _, day, shift in keys]
    return min(b for b, _ in windows), max(e for _, e in windows)


def recompute(session: Session, touches: Iterable[Touch], zone: ZoneInfo, actor: str, *,
              workers: Mapping[int, str], machines: Mapping[int, str]) -> None:
    """Bring the kiosk records that the touches (the batch's production events, stored
    already) may change in line with the stored events, each once. `workers` and
    `machines` give the codes of the touches' workers and machines by id.

    The shifts to recompute are the touches' own and those `_Marks.affected` finds. A
    shift whose worker, machine and date have a record from MES, an import or HR is left
    alone (MES wins). A row the production rules refuse (more defects than output, while
    the output count has not arrived yet) is left alone too; the next event for that
    shift tries again. The audit chain is locked before anything is read, so concurrent
    batches take turns and the later one recomputes from what the earlier committed.
    """
    touched = list(touches)
    if not touched:
        return
    lock_chain(session)  # (this also flushes the session)
    db = session.connection()
    ids = sorted({worker for worker, *_ in touched})
    keys = {(worker, machine, *shift_of(at, zone)) for worker, machine, _, at in touched}
    runs = [(worker, machine, at) for worker, machine, kind, at in touched
            if kind in RUN_KINDS]
    first, last = _span(keys, zone)
    # One read serves both: finding the shifts the starts and stops change (from MAX_RUN
    # before the earliest), and, when they lie within it, making their records.
    marks = _Marks(db, ids, min([first, *(at - MAX_RUN for *_, at in runs)]),
                   last + MAX_RUN)
    found: set[tuple[int, str, date, str]] = set()
    for worker, machine, at in runs:
        found |= marks.affected(worker, machines[machine], at, zone)
    if found:
        machines = _with_others(db, machines, {code for _, code, _, _ in found})
        ids_of = {code: machine for machine, code in machines.items()}
        keys |= {(worker, ids_of[code], day, shift) for worker, code, day, shift in found
                 if code in ids_of}
    wanted = sorted(keys)
    stored, covered = _stored(db, wanted)
    skipped = sum(1 for k in wanted if k[:3] in covered)
    wanted = [k for k in wanted if k[:3] not in covered]
    if not wanted:
        return
    windows = [shift_window(day, shift, zone) for _, _, day, shift in wanted]
    boundaries = sorted({moment for window in windows for moment in window})
    if not marks.covers(boundaries[0], boundaries[-1]):
        marks = _Marks(db, ids, boundaries[0], boundaries[-1] + MAX_RUN)
    sums = _sums(db, ids, boundaries)
    created: list[tuple[ShiftKey, Values]] = []
    updated: list[tuple[ShiftKey, _Stored, Values]] = []
    unchanged = 0
    for key, (begin, end) in zip(wanted, windows, strict=True):
        values = marks.row(key[0], machines[key[1]], begin, end,
                           sums.get(bisect_left(boundaries, begin), {}))
        if values is None or values.defects > values.output:
            continue
        old = stored.get(key)
        if old is None:
            created.append((key, values))
        elif old.values != values:
            updated.append((key, old, values))
        else:
            unchanged += 1
    now = utcnow()
    if created:
        db.execute(_INSERT, [
            {"worker_id": worker, "machine_id": machine, "date": day, "shift": shift,
             "source": RecordSource.KIOSK, "updated_at": now, **values.to_dict()}
            for (worker, machine, day, shift), values in created])
    if updated:
        db.execute(_UPDATE, [
            {"record": old.id, "updated_at": now, **values.to_dict()}
            for _, old, values in updated])
    if created or updated:
        # (an update changes a record's values, never its worker or date)
        changed = [key for key, _ in created] + [key for key, _, _ in updated]
        mark_days(session, {(worker, day) for worker, _, day, _ in changed})
        _audit(session, actor, machines, created, updated,
               {"unchanged": unchanged, "skipped": skipped})


def _audit(session: Session, actor: str, machines: Mapping[int, str],
           created: list[tuple[ShiftKey, Values]],
           updated: list[tuple[ShiftKey, _Stored, Values]], counts: dict[str, int]) -> None:
    """One entry for the batch, in the shape of `upsert_production`'s summary (`skipped`
    counts the shifts left to a record from MES, an import or HR), listing every changed
    record's key (`records.key_text`: the worker by id) with its values before and after."""

    def text(key: ShiftKey) -> str:
        worker, machine, day, shift = key
        return key_text(day, shift, worker, machines[machine])

    source = {"source": RecordSource.KIOSK.value}
    changes: list[dict[str, Any]] = [
        {"key": text(key), "before": None, "after": {**values.to_dict(), **source}}
        for key, values in created]
    changes += [{"key": text(key), "id": old.id, "before": {**old.values.to_dict(), **source},
                 "after": {**values.to_dict(), **source}} for key, old, values in updated]
    record(session, actor, "production.upsert", "production_record", after={
        "from": "kiosk events", **source, "created": len(created), "updated": len(updated),
        **counts, "created_machines": [],
        "created_keys": [text(key) for key, _ in created],
        "updated_keys": [text(key) for key, *_ in updated], "changes": changes,
    })
