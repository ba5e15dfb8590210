"""Metric values from a file: `date,shift,worker_code,metric,value`
(日期,班次,工号,指标,数值), or per machine with `machine_code` (设备) instead of
`worker_code`, shared among the workers who ran the machine that shift
(services/metrics/values.py). 白班/夜班 are `day`/`night`; a value may be written as a
percentage (95%, read as 0.95).

Values are stored with source `import` on (date, shift, worker, metric): re-importing a
file changes nothing. A file with a bad row imports nothing unless `skip_bad`; `strict`
is accepted for the same command line as the other imports and changes nothing (a
metrics file creates no workshop, machine or metric: each must exist).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.models import RecordSource
from server.services.imports.files import LIMITS, Limits, Source, load
from server.services.imports.headers import METRIC_COLUMNS, read_table, shift
from server.services.imports.messages import N_, Message
from server.services.imports.report import ImportReport
from server.services.metrics.values import check_values, upsert_values
from server.services.production.records import RowError
from server.services.refusals import Refused


def import_metrics(
    session: Session, data: Source, filename: str | None = None, *, skip_bad: bool = False,
    actor: str, strict: bool = False, limits: Limits = LIMITS,
) -> ImportReport:
    """Upsert metric values from a file (see the module's docstring). The caller commits."""
    del strict  # nothing to create: see the module's docstring
    raw, name = load(data, filename, limits)
    table = read_table(raw, name, METRIC_COLUMNS, limits)
    if not {"worker_code", "machine_code"} & table.present:
        raise Refused(N_("%(file)s: needs a worker_code (工号) or a machine_code (设备) "
                         "column"), file=name)
    rows = [{**values, "shift": shift(values["shift"])} for _, values in table]
    checked = check_values(session, rows, numbers=[line for line, _ in table], label="line")
    errors = [RowError(e.row, Message(e.reason.text, **{
        **e.reason.params, "column": table.labels.get(e.field or "", e.field)}), e.field)
        if isinstance(e.reason, Message) and "column" in e.reason.params else e
        for e in checked.errors]
    report = ImportReport("metrics", name, rows=len(table), errors=errors)
    if errors and not skip_bad:
        return report
    upserted = upsert_values(session, checked.values, RecordSource.IMPORT, actor,
                             audit_context={"file": name,
                                            "rejected_lines": sorted({e.row for e in errors})})
    report.created, report.updated = upserted.created, upserted.updated
    report.unchanged = upserted.unchanged + upserted.skipped
    report.imported = True
    return report
