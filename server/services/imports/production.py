"""Production records from a file:
`date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects`
(日期,班次,工号,设备,计划分钟,运行分钟,产量,次品).

Rows are checked by `validate_production_rows` and stored by `upsert_production` with
source `import`, so re-importing a file changes nothing, an imported row replaces a
kiosk-reported one (白班/夜班 are the kiosks' `day`/`night`, headers.py), and machines the
file names are created and reported, unless the caller limits them: `create` lists the new
machine codes HR confirmed (anything else new is a bad row) and `strict` without `create`
allows none. A worker code must already exist: import the workers first. A row dated in a
closed period is a bad row naming the period, unless `into_open` books what it changes as
an adjustment in the first open period (`zone` is then needed to score the closed period
again).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server.models import Machine, RecordSource
from server.services.imports.files import LIMITS, Limits, Source, load
from server.services.imports.headers import PRODUCTION_COLUMNS, Table, read_table, shift
from server.services.imports.messages import N_, Message
from server.services.imports.report import ImportPreview, ImportReport
from server.services.imports.rows import dry_run, new_codes
from server.services.periods.late import settle_days
from server.services.production.records import (
    Outcome,
    RowError,
    Validation,
    by_code,
    upsert_production,
    validate_production_rows,
)


def _relabeled(errors: list[RowError], labels: Mapping[str, str]) -> list[RowError]:
    """The reasons `validate_production_rows` gives, each naming its column as the file's
    header writes it (工号 rather than worker_code)."""
    return [RowError(e.row, Message(e.reason.text, **{
        **e.reason.params, "column": labels.get(e.field or "", e.field)}), e.field)
            if isinstance(e.reason, Message) and "column" in e.reason.params else e
            for e in errors]


@dataclass
class _Checked:
    table: Table
    validation: Validation
    new_machines: list[str]


def _check(session: Session, data: Source, filename: str | None, *,
           create: Collection[str] | None, strict: bool, into_open: bool,
           limits: Limits) -> tuple[str, _Checked]:
    raw, name = load(data, filename, limits)
    table = read_table(raw, name, PRODUCTION_COLUMNS, limits)
    rows = [{**values, "shift": shift(values["shift"])} for _, values in table]
    validation = validate_production_rows(session, rows, numbers=[line for line, _ in table],
                                          label="line", into_open=into_open)
    codes = {row.machine_code for _, row in validation.good}
    new_machines = sorted(codes - by_code(session, Machine, codes).keys())
    good, refused = new_codes(
        validation.good, lambda item: (item[0], item[1].machine_code), "machine_code",
        new_machines, create, strict, table.labels,
        N_("there is no machine %(code)s, and creating it was not confirmed"))
    kept = {(row.worker_code, row.date) for _, row in good}
    late = [(w, day) for w, day in validation.late if (w.code, day) in kept]
    errors = sorted(_relabeled(validation.errors, table.labels) + refused,
                    key=lambda error: error.row)
    return name, _Checked(table, Validation(good, errors, late), new_machines)


def _store(session: Session, checked: _Checked, report: ImportReport, actor: str,
           zone: ZoneInfo | None) -> None:
    validation, name = checked.validation, report.filename
    upserted = upsert_production(
        session, validation.rows, RecordSource.IMPORT, actor,
        audit_context={"file": name, "rejected_lines": sorted({e.row for e in report.errors})})
    report.created = upserted.count(Outcome.CREATED)
    report.updated = upserted.count(Outcome.UPDATED)
    report.unchanged = upserted.count(Outcome.UNCHANGED)
    report.created_machines = upserted.created_machines
    session.flush()
    if validation.late:
        if zone is None:
            raise ValueError("into_open needs the factory's zone")
        lines = settle_days(session, validation.late, actor=actor, zone=zone,
                            today=datetime.now(zone).date(), source="production",
                            what=f"production imported late from {name}")
        report.adjustments = [{"worker": line.worker.code, "points": line.points,
                               "booked_on": line.booked_on.isoformat(),
                               "original_date": line.original_date.isoformat()}
                              for line in lines]


def import_production(
    session: Session,
    data: Source,
    filename: str | None = None,
    *,
    skip_bad: bool = False,
    actor: str,
    into_open: bool = False,
    zone: ZoneInfo | None = None,
    create: Collection[str] | None = None,
    strict: bool = False,
    limits: Limits = LIMITS,
) -> ImportReport:
    """Upsert production records from a file (see the module's docstring). A file with a
    bad row imports nothing unless `skip_bad`. The caller commits."""
    name, checked = _check(session, data, filename, create=create, strict=strict,
                           into_open=into_open, limits=limits)
    report = ImportReport("production", name, rows=len(checked.table),
                          errors=checked.validation.errors)
    if report.errors and not skip_bad:
        return report
    _store(session, checked, report, actor, zone)
    report.imported = True
    return report


def preview_production(
    session: Session,
    data: Source,
    filename: str | None = None,
    *,
    skip_bad: bool = False,
    into_open: bool = False,
    zone: ZoneInfo | None = None,
    limits: Limits = LIMITS,
) -> ImportPreview:
    """What `import_production` would do with every new machine allowed, nothing stored
    (run in a savepoint that is rolled back), and the machines it would create."""
    name, checked = _check(session, data, filename, create=None, strict=False,
                           into_open=into_open, limits=limits)
    report = ImportReport("production", name, rows=len(checked.table),
                          errors=checked.validation.errors)
    if not report.errors or skip_bad:
        with dry_run(session):
            _store(session, checked, report, "preview", zone)
        report.imported = True
    return ImportPreview(report, new_machines=checked.new_machines)
