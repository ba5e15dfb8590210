"""Metric values in: check plain rows, share a machine's values among its workers, and
upsert on the natural key (date, shift, worker, metric).

A row names a worker (`worker_code`) or a machine (`machine_code`). A machine's value
goes to the workers with a production record on that machine, date and shift:
- a `sum` metric (a count) is split in proportion to their run minutes (evenly when
  none ran);
- a `mean` or `last` metric (a rate, a level) is each worker's value as it is.
A worker on several machines of one file in one shift gets one value: the sum of their
shares for a `sum` metric, else the run-minute weighted mean. So a per-machine file
should hold all of a shift's machines. Ratio metrics hold no values (they are read
from their numerator and denominator).

Sending the same rows again changes nothing. A value from MES or a file replaces one the
kiosk counted; a kiosk count never replaces one from MES or a file; among MES and files
the latest wins. Every change is audited in one summary entry per call (and one entry per
changed value, before and after), which also moves the data version the score caches
are keyed by. The caller commits.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Combine,
    Machine,
    Metric,
    MetricValue,
    ProductionRecord,
    RecordSource,
    Worker,
)
from server.services.audit import record as audit
from server.services.periods.late import ClosedPeriods, refusal
from server.services.production.records import (
    MAX_SHIFT,
    FieldError,
    RowError,
    by_code,
    field_reason,
    parse_code,
    parse_date,
    parse_text,
)
from server.services.refusals import N_, Message

LIMIT = 1e12  # the largest value a metric holds, either sign
_DIGITS = 6
_CHUNK = 500

Key = tuple[date, str, int, int]  # date, shift, worker id, metric id


@dataclass(frozen=True)
class ValueRow:
    """One checked row: a worker's (or a machine's) value of a metric for a shift."""

    date: date
    shift: str
    metric: str
    value: float
    worker_code: str | None = None
    machine_code: str | None = None


@dataclass(frozen=True)
class Checked:
    """The values to store, by key, and the reasons for the rows refused."""

    values: dict[Key, float]
    errors: list[RowError]
    rows: int = 0


def parse_value(value: object) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError(Message(N_("is empty")))
    if isinstance(value, bool):
        raise FieldError(Message(N_("%(value)r is not a number"), value=value))
    text = value.strip().rstrip("%") if isinstance(value, str) else value
    try:
        number = float(text)  # type: ignore[arg-type]  # str, int or float; others raise
    except (TypeError, ValueError):
        raise FieldError(Message(N_("%(value)r is not a number"), value=value)) from None
    if isinstance(value, str) and value.strip().endswith("%"):
        number /= 100  # 95% as a share, 0.95
    if not math.isfinite(number) or abs(number) > LIMIT:
        raise FieldError(Message(N_("%(value)r is not a number"), value=value))
    return number


def _parse(number: int, raw: Mapping[str, object]) -> tuple[ValueRow | None, list[RowError]]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    if raw.get("machine_code") is not None and raw.get("worker_code") is not None:
        return None, [field_reason(number, "machine_code", Message(
            N_("give a worker_code or a machine_code, not both")))]
    by_machine = raw.get("machine_code") is not None and raw.get("worker_code") is None
    who = "machine_code" if by_machine else "worker_code"
    parsers = {"date": parse_date, "shift": lambda v: parse_text(v, MAX_SHIFT),
               who: parse_code, "metric": parse_code, "value": parse_value}
    for name, parse in parsers.items():
        try:
            values[name] = parse(raw.get(name))
        except FieldError as exc:
            errors.append(field_reason(number, name, exc.args[0]))
    if errors:
        return None, errors
    return ValueRow(**values), []


@dataclass
class _Shares:
    """A worker's parts of one key from machine rows: (weight, value) pairs, and the line
    of the first row that gave one."""

    parts: list[tuple[float, float]] = field(default_factory=list)
    line: int = 0


def _runs(session: Session, rows: Sequence[tuple[int, ValueRow]]
          ) -> dict[tuple[date, str, str], list[tuple[int, float]]]:
    """(date, shift, machine code) -> [(worker id, run minutes)] from production records."""
    machines = by_code(session, Machine, {r.machine_code for _, r in rows if r.machine_code})
    if not machines:
        return {}
    codes = {m.id: code for code, m in machines.items()}
    first, last = min(r.date for _, r in rows), max(r.date for _, r in rows)
    found: dict[tuple[date, str, str], list[tuple[int, float]]] = defaultdict(list)
    for day, shift, machine_id, worker_id, run in session.execute(
        select(ProductionRecord.date, ProductionRecord.shift, ProductionRecord.machine_id,
               ProductionRecord.worker_id, ProductionRecord.run_minutes)
        .where(ProductionRecord.machine_id.in_(list(codes)),
               ProductionRecord.date.between(first, last))
        .order_by(ProductionRecord.worker_id)
    ):
        found[(day, shift, codes[machine_id])].append((worker_id, float(run)))
    return found


def check_values(
    session: Session, raw_rows: Sequence[Mapping[str, object]], *,
    numbers: Sequence[int] | None = None, label: str = "row",
    workshops: set[int] | None = None,
) -> Checked:
    """Check every row and work out the values to store, by key; reads, never writes.

    A row is refused when a field is missing or malformed, its metric is unknown or a
    ratio, its worker is unknown (or outside `workshops`, the ids a token is limited to),
    its machine is unknown or had no production record that date and shift, it is dated
    in a closed period, or it repeats the key of an earlier row.
    """
    numbers = list(range(len(raw_rows))) if numbers is None else list(numbers)
    errors: list[RowError] = []
    parsed: list[tuple[int, ValueRow]] = []
    for number, raw in zip(numbers, raw_rows, strict=True):
        row, problems = _parse(number, raw)
        errors += problems
        if row is not None:
            parsed.append((number, row))
    metrics = {m.code: m for m in session.scalars(select(Metric).where(
        Metric.code.in_({r.metric for _, r in parsed})))}
    workers = by_code(session, Worker, {r.worker_code for _, r in parsed if r.worker_code})
    runs = _runs(session, parsed) if any(r.machine_code for _, r in parsed) else {}
    machine_ids = {m.code for m in by_code(session, Machine, {
        r.machine_code for _, r in parsed if r.machine_code}).values()}
    people = {w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(
        {w for shares in runs.values() for w, _ in shares})))} if runs else {}
    known = {w.workshop_id for w in workers.values()} | {w.workshop_id for w in people.values()}
    closed = ClosedPeriods(session, known)
    values: dict[Key, float] = {}
    seen: dict[Key, int] = {}
    shares: dict[Key, _Shares] = defaultdict(_Shares)
    for number, row in parsed:
        metric = metrics.get(row.metric)
        if metric is None:
            errors.append(field_reason(number, "metric", Message(
                N_("no metric %(code)r"), code=row.metric)))
            continue
        if metric.combine is Combine.RATIO:
            errors.append(field_reason(number, "metric", Message(
                N_("%(code)r is a ratio of two metrics: send those instead"),
                code=row.metric)))
            continue
        if row.worker_code is not None:
            worker = workers.get(row.worker_code)
            if worker is None or (workshops is not None
                                  and worker.workshop_id not in workshops):
                errors.append(field_reason(number, "worker_code", Message(
                    N_("no worker %(code)r"), code=row.worker_code)))
                continue
            period = closed.on(worker.workshop_id, row.date) if closed else None
            if period is not None:
                errors.append(field_reason(number, "date", Message(
                    N_("%(closed)s"), closed=refusal(period))))
                continue
            key = (row.date, row.shift, worker.id, metric.id)
            if key in seen:
                errors.append(RowError(number, Message(
                    N_("repeats the date, shift, worker and metric of %(label)s %(number)s"),
                    label=label, number=seen[key])))
                continue
            seen[key] = number
            values[key] = row.value
            continue
        assert row.machine_code is not None
        ran = runs.get((row.date, row.shift, row.machine_code), [])
        if workshops is not None:
            ran = [(w, m) for w, m in ran if people[w].workshop_id in workshops]
        if row.machine_code not in machine_ids or not ran:
            errors.append(field_reason(number, "machine_code", Message(
                N_("nobody has a production record on %(machine)s on %(date)s, shift "
                   "%(shift)s"), machine=row.machine_code, date=row.date.isoformat(),
                shift=row.shift)))
            continue
        period = next((p for p in (closed.on(people[w].workshop_id, row.date)
                                   for w, _ in ran) if p is not None), None) if closed else None
        if period is not None:
            errors.append(field_reason(number, "date", Message(
                N_("%(closed)s"), closed=refusal(period))))
            continue
        total = math.fsum(m for _, m in ran)
        for worker_id, minutes in ran:
            weight = minutes / total if total > 0 else 1 / len(ran)
            part = shares[(row.date, row.shift, worker_id, metric.id)]
            part.line = part.line or number
            if metric.combine is Combine.SUM:
                part.parts.append((1.0, row.value * weight))
            else:
                part.parts.append((minutes if total > 0 else 1.0, row.value))
    by_id = {m.id: m for m in metrics.values()}
    for key, part in shares.items():
        if key in seen:
            errors.append(RowError(part.line, Message(
                N_("repeats the date, shift, worker and metric of %(label)s %(number)s"),
                label=label, number=seen[key])))
            continue
        if by_id[key[3]].combine is Combine.SUM:
            value = math.fsum(v for _, v in part.parts)
        else:
            weight = math.fsum(w for w, _ in part.parts)
            value = (math.fsum(w * v for w, v in part.parts) / weight if weight
                     else part.parts[0][1])
        values[key] = round(value, _DIGITS)
    return Checked(values, sorted(errors, key=lambda e: e.row), len(raw_rows))


@dataclass
class UpsertReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "skipped": self.skipped}


def _key_text(key: Key, codes: Mapping[int, str]) -> str:
    """A value's natural key as the audit log names it: the worker by id."""
    day, shift, worker_id, metric_id = key
    return f"{day.isoformat()}/{shift}/worker:{worker_id}/{codes[metric_id]}"


def upsert_values(
    session: Session, values: Mapping[Key, float], source: RecordSource, actor: str, *,
    audit_context: Mapping[str, Any] | None = None,
) -> UpsertReport:
    """Store values on their natural key; never doubles (see the module's docstring)."""
    report = UpsertReport()
    if not values:
        return report
    workers = sorted({key[2] for key in values})
    first, last = min(k[0] for k in values), max(k[0] for k in values)
    stored: dict[Key, MetricValue] = {}
    for start in range(0, len(workers), _CHUNK):
        for row in session.scalars(select(MetricValue).where(
            MetricValue.worker_id.in_(workers[start:start + _CHUNK]),
            MetricValue.date.between(first, last),
            MetricValue.metric_id.in_({k[3] for k in values}),
        )):
            stored[(row.date, row.shift, row.worker_id, row.metric_id)] = row
    codes: dict[int, str] = {metric_id: code for metric_id, code in session.execute(
        select(Metric.id, Metric.code).where(Metric.id.in_({k[3] for k in values})))}
    created: list[str] = []
    updated: list[str] = []
    for key, value in sorted(values.items()):
        found = stored.get(key)
        if found is None:
            session.add(MetricValue(date=key[0], shift=key[1], worker_id=key[2],
                                    metric_id=key[3], value=value, source=source))
            report.created += 1
            created.append(_key_text(key, codes))
            continue
        row = found
        takes_over = row.source is RecordSource.KIOSK and source is not RecordSource.KIOSK
        if source is RecordSource.KIOSK and row.source is not RecordSource.KIOSK:
            report.skipped += 1
        elif row.value == value and not takes_over:
            report.unchanged += 1
        else:
            before = {"key": _key_text(key, codes), "value": row.value,
                      "source": row.source.value}
            row.value, row.source = value, source
            audit(session, actor, "metric_value.update", "metric_value", row.id,
                  before=before, after={**before, "value": value, "source": source.value})
            report.updated += 1
            updated.append(before["key"])  # type: ignore[arg-type]
    if created or updated:
        session.flush()
        audit(session, actor, "metric_value.upsert", "metric_value", after={
            **(audit_context or {}), "source": source.value, **report.to_dict(),
            "created_keys": created, "updated_keys": updated})
    return report
