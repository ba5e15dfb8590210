"""Production records in: validate plain rows, then upsert them on their natural key.

Rows come from CSV/XLSX imports, from MES/ERP over the API and from kiosks, so this module
knows nothing about files or HTTP: it takes plain mappings and names each problem by the
row's number (a file line, or an index in a JSON array) and field.

The natural key of a record is (date, shift, worker, machine). Sending the same rows again
changes nothing, which is what lets MES systems retry and HR re-import a file safely.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Machine, ProductionRecord, RecordSource, Worker
from server.services import InvalidInput
from server.services.audit import record as audit
from server.services.periods.late import ClosedPeriods, refusal
from server.services.refusals import N_, Message

FIELDS = (
    "date", "shift", "worker_code", "machine_code",
    "planned_minutes", "run_minutes", "output", "defects",
)
MINUTES_PER_DAY = 1440
# Column widths of the models, so a long value is a row error and not a database error.
MAX_SHIFT = 16
MAX_CODE = 32
# Worker, workshop and machine codes are identifiers that people type, systems exchange and
# files and URLs carry: ASCII letters and digits, then also `_ . -`. Never a formula's first
# character (= + - @), a path separator, a space or a full-width form. Names are free text.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
_CODE = re.compile(CODE_PATTERN)
# SQLite's historic limit on bound parameters is 999; stay well below it.
_CHUNK = 500

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_GROUPED_INT = re.compile(r"^\d{1,3}(,\d{3})+$")

Key = tuple[date, str, str, str]
Coded = TypeVar("Coded", Worker, Machine)


@dataclass(frozen=True)
class ProductionRow:
    """One shift of one worker on one machine, already checked field by field."""

    date: date
    shift: str
    worker_code: str
    machine_code: str
    planned_minutes: float
    run_minutes: float
    output: int
    defects: int

    @property
    def key(self) -> Key:
        return (self.date, self.shift, self.worker_code, self.machine_code)


@dataclass(frozen=True)
class RowError:
    """Why one row was refused. `row` is whatever number the caller gave the row."""

    row: int
    reason: str
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class Validation:
    """Rows that passed, each with its number, and the reasons for the rest. `late` holds
    the good rows dated in a closed period (only when they were let in with `into_open`),
    with their worker: `periods.late.settle_days` books what they change."""

    good: list[tuple[int, ProductionRow]]
    errors: list[RowError]
    late: list[tuple[Worker, date]] = field(default_factory=list)

    @property
    def rows(self) -> list[ProductionRow]:
        return [row for _, row in self.good]


class FieldError(ValueError):
    """A field's value does not fit; its one argument, a `Message`, says why, for a person
    in their language."""


def field_reason(number: int, name: str, problem: str) -> RowError:
    """A bad row's reason about one field: `name: problem`."""
    return RowError(number, Message(N_("%(column)s: %(problem)s"), column=name,
                                    problem=problem), name)


def parse_text(value: object, limit: int) -> str:
    """A code or name: stripped, not empty, at most `limit` characters. Shared with the
    workers import, where the same spreadsheet habits apply."""
    if value is None:
        raise FieldError(Message(N_("is empty")))
    if isinstance(value, bool | date):  # date covers datetime
        raise FieldError(Message(N_("%(value)s is not a code or name"), value=value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores a code typed as 101 as the number 101.0
    text = str(value).strip()
    if not text:
        raise FieldError(Message(N_("is empty")))
    if len(text) > limit:
        raise FieldError(Message(N_("is longer than %(limit)s characters"), limit=limit))
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise FieldError(Message(N_("%(text)r holds a control character"), text=text))
    return text


def parse_code(value: object) -> str:
    """A worker, workshop or machine code that fits CODE_PATTERN (see there)."""
    text = parse_text(value, MAX_CODE)
    if not _CODE.fullmatch(text):
        raise FieldError(Message(N_("%(text)r is not a code: letters A-Z and digits, then "
                                    "also _ . - (at most %(limit)s characters)"),
                                 text=text, limit=MAX_CODE))
    return text


def _date(value: object) -> date:
    if isinstance(value, datetime):  # XLSX date cells arrive as midnight datetimes
        return value.date()
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError(Message(N_("is empty")))
    if not isinstance(value, str):
        raise FieldError(Message(N_("%(value)s is not a date (expected YYYY-MM-DD)"),
                                 value=value))
    match = _DATE.match(value.strip())
    if match is None:
        raise FieldError(Message(N_("%(value)r is not a date (expected YYYY-MM-DD)"),
                                 value=value.strip()))
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise FieldError(Message(N_("%(value)r is not a day of the calendar"),
                                 value=value.strip())) from None


def _number(value: object) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError(Message(N_("is empty")))
    if isinstance(value, bool):
        raise FieldError(Message(N_("%(value)r is not a number"), value=value))
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if _GROUPED_INT.match(text):  # "1,200" as Excel writes a formatted count
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise FieldError(Message(N_("%(value)r is not a number"),
                                     value=value.strip())) from None
    else:
        raise FieldError(Message(N_("%(value)s is not a number"), value=value))
    if not math.isfinite(number):
        raise FieldError(Message(N_("%(value)r is not a number"), value=value))
    if number < 0:
        raise FieldError(Message(N_("is negative (%(value)s)"), value=value))
    return number


def _count(value: object) -> int:
    number = _number(value)
    if not number.is_integer():
        raise FieldError(Message(N_("%(value)r is not a whole number"), value=value))
    return int(number)


def _minutes(value: object) -> float:
    number = _number(value)
    if number > MINUTES_PER_DAY:
        raise FieldError(Message(N_("%(value)r is more than a day (%(minutes)s minutes)"),
                                 value=value, minutes=MINUTES_PER_DAY))
    return number


def parse_date(value: object) -> date:
    """A date as a file or a JSON body writes it (YYYY-MM-DD, also with / or .)."""
    return _date(value)


_PARSERS = {
    "date": _date,
    "shift": lambda v: parse_text(v, MAX_SHIFT),
    "worker_code": parse_code,
    "machine_code": parse_code,
    "planned_minutes": _minutes,
    "run_minutes": _minutes,
    "output": _count,
    "defects": _count,
}


def _parse(number: int, raw: Mapping[str, object]) -> tuple[dict[str, Any], list[RowError]]:
    """The fields that parsed, and a reason for each that did not or that contradicts
    another, so one pass over a file shows every problem of a row."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for name in FIELDS:
        if name not in raw:
            errors.append(field_reason(number, name, Message(N_("missing"))))
            continue
        try:
            values[name] = _PARSERS[name](raw[name])
        except FieldError as exc:
            errors.append(field_reason(number, name, exc.args[0]))
    run, planned = values.get("run_minutes"), values.get("planned_minutes")
    if run is not None and planned is not None and run > planned:
        errors.append(field_reason(number, "run_minutes", Message(
            N_("%(run)s is more than planned_minutes %(planned)s"), run=f"{run:g}",
            planned=f"{planned:g}")))
    defects, output = values.get("defects"), values.get("output")
    if defects is not None and output is not None and defects > output:
        errors.append(field_reason(number, "defects", Message(
            N_("%(defects)s is more than output %(output)s"), defects=defects,
            output=output)))
    return values, errors


def by_code(session: Session, model: type[Coded], codes: Iterable[str]) -> dict[str, Coded]:
    """The stored rows of `model` with these codes, looked up in chunks of bound values."""
    wanted = sorted(set(codes))
    found: dict[str, Coded] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        found.update((row.code, row) for row in session.scalars(select(model).where(
            model.code.in_(chunk))))
    return found


def validate_production_rows(
    session: Session,
    rows: Sequence[Mapping[str, object]],
    *,
    numbers: Sequence[int] | None = None,
    label: str = "row",
    into_open: bool = False,
) -> Validation:
    """Check every row and say what is wrong with each bad one; reads, never writes.

    `numbers` names each row in messages (file line numbers); by default a row's index in
    `rows`. `label` is the word for that number in messages that point at another row.
    A row is refused when a field is missing or malformed, when run_minutes exceed
    planned_minutes or defects exceed output, when its worker code is unknown, or when it
    repeats the key of an earlier row in the same batch (which of the two is right cannot
    be told, so the later one is refused). Inactive workers are accepted: records of a
    worker who has since left are still history. A row dated in a closed period of its
    worker's workshop is refused, naming the period, unless `into_open` lets it in to be
    booked as an adjustment in the first open period.
    """
    if numbers is None:
        numbers = range(len(rows))
    if len(numbers) != len(rows):
        raise ValueError("numbers must name every row")
    parsed = [(n, *_parse(n, raw)) for n, raw in zip(numbers, rows, strict=True)]
    known = by_code(session, Worker, (values["worker_code"] for _, values, _ in parsed
                                      if "worker_code" in values))
    good: list[tuple[int, ProductionRow]] = []
    errors: list[RowError] = []
    late: list[tuple[Worker, date]] = []
    closed = ClosedPeriods(session, {w.workshop_id for w in known.values()})
    seen: dict[Key, int] = {}
    for number, values, problems in parsed:
        code = values.get("worker_code")
        if code is not None and code not in known:
            problems.append(field_reason(number, "worker_code", Message(
                N_("no worker %(code)r"), code=code)))
        if problems:
            errors.extend(problems)
            continue
        row = ProductionRow(**values)
        worker = known[row.worker_code]
        period = closed.on(worker.workshop_id, row.date) if closed else None
        if row.key in seen:
            errors.append(RowError(number, Message(
                N_("repeats the date, shift, worker and machine of %(label)s %(number)s"),
                label=label, number=seen[row.key])))
        elif period is not None and not into_open:
            errors.append(field_reason(number, "date", Message(
                N_("%(closed)s; book it into the open period with --into-open"),
                closed=refusal(period))))
        else:
            seen[row.key] = number
            good.append((number, row))
            if period is not None:
                late.append((worker, row.date))
    return Validation(good, errors, late)


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # a kiosk row that met a record from MES, an import or HR


@dataclass
class UpsertReport:
    """What happened to each row, in the order given, and the machines that were made."""

    outcomes: list[Outcome] = field(default_factory=list)
    created_machines: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o is outcome)

    def to_dict(self) -> dict[str, Any]:
        counts = {o.value: self.count(o) for o in Outcome}
        return {**counts, "created_machines": list(self.created_machines)}


def key_text(day: date, shift: str, worker_id: int, machine_code: str) -> str:
    """A record's natural key as the audit log names it: the worker by id, never by code
    (services/audit.py), as in `2026-03-02/A/worker:12/M1`."""
    return f"{day.isoformat()}/{shift}/worker:{worker_id}/{machine_code}"


def _values(record: ProductionRecord) -> dict[str, Any]:
    return {
        "planned_minutes": record.planned_minutes, "run_minutes": record.run_minutes,
        "output": record.output, "defects": record.defects, "source": record.source.value,
    }


def _machines(
    session: Session, rows: Sequence[ProductionRow], workers: Mapping[str, Worker]
) -> tuple[dict[str, Machine], list[str]]:
    machines = by_code(session, Machine, (row.machine_code for row in rows))
    created: list[str] = []
    for row in rows:  # a new machine goes to the workshop of the first worker seen on it
        if row.machine_code not in machines:
            machine = Machine(code=row.machine_code, name=row.machine_code,
                              workshop=workers[row.worker_code].workshop)
            session.add(machine)
            machines[row.machine_code] = machine
            created.append(row.machine_code)
    if created:
        session.flush()
    return machines, created


def _existing(
    session: Session, rows: Sequence[ProductionRow], worker_ids: Sequence[int]
) -> dict[tuple[date, str, int, int], ProductionRecord]:
    first, last = min(r.date for r in rows), max(r.date for r in rows)
    found: dict[tuple[date, str, int, int], ProductionRecord] = {}
    for start in range(0, len(worker_ids), _CHUNK):
        chunk = worker_ids[start:start + _CHUNK]
        for rec in session.scalars(select(ProductionRecord).where(
            ProductionRecord.worker_id.in_(chunk),
            ProductionRecord.date.between(first, last),
        )):
            found[(rec.date, rec.shift, rec.worker_id, rec.machine_id)] = rec
    return found


def upsert_production(
    session: Session,
    rows: Sequence[ProductionRow],
    source: RecordSource,
    actor: str,
    *,
    audit_context: Mapping[str, Any] | None = None,
) -> UpsertReport:
    """Store rows on their natural key (date, shift, worker, machine); never doubles.

    A new key is created; a key whose stored values are the same is unchanged; otherwise
    the stored record takes the new values and source. MES wins over the kiosk:
      - a record from MES, an import or HR (`manual`) replaces a `kiosk` record, even one
        with the same values (the record then belongs to the new source, so no later kiosk
        row can overwrite it), but
      - a `kiosk` row never overwrites a record from another source: it is skipped.
    Among the other sources the latest wins, since each is a person's or system's
    deliberate correction. Machines named but not yet known are created in the workshop of
    the worker of the first row naming them, and reported.

    Every change is audited: one summary entry per call (counts, created and updated keys,
    created machines, plus `audit_context` such as the file name) and one entry per updated
    record with its values before and after.
    A call that changes nothing writes nothing, so an MES resending its batch does not fill
    the audit log. Rows should come from `validate_production_rows`; an unknown worker or a
    repeated key raises InvalidInput before anything is written. The caller commits.
    """
    report = UpsertReport()
    if not rows:
        return report
    workers = by_code(session, Worker, (row.worker_code for row in rows))
    missing = sorted({row.worker_code for row in rows} - workers.keys())
    if missing:
        raise InvalidInput(f"no worker with code {', '.join(missing)}")
    if len({row.key for row in rows}) != len(rows):
        raise InvalidInput("the same date, shift, worker and machine appear twice")
    machines, report.created_machines = _machines(session, rows, workers)
    stored = _existing(session, rows, sorted({w.id for w in workers.values()}))
    created: list[str] = []
    updated: list[str] = []
    for row in rows:
        worker, machine = workers[row.worker_code], machines[row.machine_code]
        values = {"planned_minutes": row.planned_minutes, "run_minutes": row.run_minutes,
                  "output": row.output, "defects": row.defects}
        record = stored.get((row.date, row.shift, worker.id, machine.id))
        if record is None:
            session.add(ProductionRecord(date=row.date, shift=row.shift, worker=worker,
                                         machine=machine, source=source, **values))
            report.outcomes.append(Outcome.CREATED)
            created.append(key_text(row.date, row.shift, worker.id, row.machine_code))
            continue
        before = _values(record)
        takes_over = record.source is RecordSource.KIOSK and source is not RecordSource.KIOSK
        if source is RecordSource.KIOSK and record.source is not RecordSource.KIOSK:
            report.outcomes.append(Outcome.SKIPPED)
        elif all(before[name] == value for name, value in values.items()) and not takes_over:
            report.outcomes.append(Outcome.UNCHANGED)
        else:
            for name, value in values.items():
                setattr(record, name, value)
            record.source = source
            key = key_text(row.date, row.shift, worker.id, row.machine_code)
            audit(session, actor, "production.update", "production_record", record.id,
                  before={"key": key, **before}, after={"key": key, **_values(record)})
            report.outcomes.append(Outcome.UPDATED)
            updated.append(key)
    if created or updated or report.created_machines:
        audit(session, actor, "production.upsert", "production_record", after={
            **(audit_context or {}), "source": source.value, **report.to_dict(),
            "created_keys": created, "updated_keys": updated,
        })
    return report
