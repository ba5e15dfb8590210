"""Workers and production as CSV or XLSX (docs/ARCHITECTURE.md, "Files HR brings in").

The format is told from the bytes, not the file name: HR renames files, and Excel saves
CSV as UTF-8 with a BOM ("CSV UTF-8") or, on a Chinese Windows, as GB18030 ("CSV"). So a
CSV is decoded as UTF-8 (BOM or not) and, when that fails, as GB18030; anything else is
refused with a message saying how to save it.

Problems with the file as a whole (unreadable, empty, wrong header) raise InvalidInput.
A file is read within `Limits`, since an upload may be built to hurt: its size, and for an
XLSX the zip's members (how many, their unpacked total, each one's compression ratio)
are checked before the workbook is opened; its rows are streamed, and a file with more
rows or columns than the limits is refused (`Refused`, which the admin translates).
Worker, workshop and machine codes must fit `records.CODE_PATTERN`.
Problems with rows are collected, each with the row's line in the file (the header is
line 1), so HR can fix them all in one go. A file with any bad row imports nothing unless
`skip_bad` is given; then the good rows are imported and the bad ones reported. Nothing is
added to the session before every row has been checked. The caller commits.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import struct
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Language, RecordSource, Role, Worker, Workshop
from server.services import InvalidInput
from server.services.audit import record as audit
from server.services.periods.late import settle_days
from server.services.production.records import FIELDS as PRODUCTION_COLUMNS
from server.services.production.records import (
    FieldError,
    Outcome,
    RowError,
    by_code,
    parse_code,
    parse_text,
    upsert_production,
    validate_production_rows,
)
from server.services.refusals import N_, Refused

WORKER_COLUMNS = ("code", "name", "workshop", "role", "language")
MAX_NAME = 100
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
# Spellings HR types for the two languages; an empty cell means Chinese.
_LANGUAGES = {"zh_cn": Language.ZH_CN, "zh": Language.ZH_CN, "en": Language.EN}

Source = bytes | str | os.PathLike[str]
Line = tuple[int, dict[str, object]]
MB = 1024 * 1024
EXCEL_MAX_ROWS = 1_048_576  # the last row a sheet can have


@dataclass(frozen=True)
class Limits:
    """What one imported file may hold. A factory's month of production is some tens of
    thousands of rows of eight columns (about 3 MB as CSV, 25 MB unpacked as XLSX)."""

    file_bytes: int = 20 * MB  # the file as uploaded or read from disk
    rows: int = 100_000  # data rows (the header aside)
    columns: int = 50
    unpacked_bytes: int = 50 * MB  # an XLSX's members, unpacked, all together
    ratio: int = 100  # an XLSX member's unpacked size to its packed size
    members: int = 1000  # an XLSX's zip members (Excel writes about 10)
    ratio_from: int = 1 * MB  # members smaller than this are not judged by their ratio


LIMITS = Limits()


@dataclass
class ImportReport:
    """The outcome of one file; `imported` is False when bad rows stopped the whole file."""

    kind: str
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    created_workshops: list[str] = field(default_factory=list)
    created_machines: list[str] = field(default_factory=list)
    # Late rows let in with `into_open`: the adjustment lines they booked.
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    imported: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "file": self.filename, "rows": self.rows,
            "imported": self.imported, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": len(self.errors),
            "errors": [{"line": e.row, "field": e.field, "reason": e.reason}
                       for e in self.errors],
            "created_workshops": list(self.created_workshops),
            "created_machines": list(self.created_machines),
            "adjustments": list(self.adjustments),
        }

    def to_text(self) -> str:
        """For a person at a terminal: the counts, what was created, then each bad row."""
        lines = [f"{self.filename}: {self.rows} {self.kind} row(s)"]
        if self.imported:
            lines[0] += (f": {self.created} created, {self.updated} updated, "
                         f"{self.unchanged} unchanged")
        if self.created_workshops:
            lines.append(f"created workshops: {', '.join(self.created_workshops)}")
        if self.created_machines:
            lines.append(f"created machines: {', '.join(self.created_machines)}")
        lines += [f"adjustment for {a['worker']}: {a['points']:+g} points on {a['booked_on']} "
                  f"(for {a['original_date']})" for a in self.adjustments]
        lines += [f"line {e.row}: {e.reason}" for e in self.errors]
        if self.errors:
            lines.append(f"{len({e.row for e in self.errors})} bad row(s) "
                         + ("skipped" if self.imported else "- nothing imported"))
        return "\n".join(lines)


def _too_big(name: str, limits: Limits) -> Refused:
    return Refused(N_("%(file)s is larger than %(mb)s MB; split it into smaller files"),
                   file=name, mb=limits.file_bytes // MB)


def _load(data: Source, filename: str | None, limits: Limits) -> tuple[bytes, str]:
    if isinstance(data, bytes):
        name = filename or "upload"
        if len(data) > limits.file_bytes:
            raise _too_big(name, limits)
        return data, name
    path = Path(data)
    name = filename or path.name
    try:
        with path.open("rb") as handle:
            raw = handle.read(limits.file_bytes + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > limits.file_bytes:
        raise _too_big(name, limits)
    return raw, name


def _decode(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput(f"{name} is UTF-16 text (Excel's 'Unicode Text'); "
                           "save it as 'CSV UTF-8' or 'CSV'")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_end = exc.start
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        # The file's real encoding is most likely the one that read further before failing.
        line = data.count(b"\n", 0, max(utf8_end, exc.start)) + 1
        raise InvalidInput(f"{name}: line {line}: bytes that are neither UTF-8 nor GB18030 "
                           "text; save the file as 'CSV UTF-8'") from None


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _too_wide(name: str, line: int, limits: Limits) -> Refused:
    return Refused(N_("%(file)s: line %(line)s has more than %(columns)s columns; keep only "
                      "the columns the import reads"),
                   file=name, line=line, columns=limits.columns)


def _csv_lines(data: bytes, name: str, limits: Limits) -> Iterator[tuple[int, list[object]]]:
    reader = csv.reader(io.StringIO(_decode(data, name), newline=""))
    start = 1
    try:
        for cells in reader:
            # A quoted cell may span lines; a row is named by the line it starts on.
            line, start = start, reader.line_num + 1
            if len(cells) > limits.columns and any(c.strip() for c in cells[limits.columns:]):
                raise _too_wide(name, line, limits)
            yield line, [_clean(cell) for cell in cells[:limits.columns]]
    except csv.Error as exc:
        raise InvalidInput(f"{name}: line {start}: {exc}") from None


def _unreadable(name: str) -> Refused:
    return Refused(N_("%(file)s is not a readable XLSX workbook"), file=name)


def _not_ordinary(name: str) -> Refused:
    return Refused(N_("%(file)s is not an ordinary Excel workbook: it would unpack to far "
                      "more than it holds. Open it in Excel, save it again as .xlsx, and "
                      "upload that file"), file=name)


def _check_zip(data: bytes, name: str, limits: Limits) -> None:
    """Refuse a workbook whose zip would unpack to too much, before anything unpacks it.

    The central directory is judged from its end record first (how many members, how
    large), since even listing a zip of a million members costs memory. The sizes a zip
    declares are binding: Python's zipfile stops each member at its declared size and
    fails on a wrong checksum, so the declared total bounds what openpyxl can read.
    """
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))
    if end < 0 or end + 22 > len(data):
        raise _unreadable(name)
    members, directory_size = struct.unpack_from("<HI", data, end + 10)
    if data[max(0, end - 20):end].startswith(b"PK\x06\x07") or members > limits.members \
            or directory_size > limits.members * 1024:
        raise _not_ordinary(name)  # zip64 or a crowd of members: no workbook needs them
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _unreadable(name) from None
    if len(infos) > limits.members:
        raise _not_ordinary(name)
    if sum(info.file_size for info in infos) > limits.unpacked_bytes:
        raise _not_ordinary(name)
    for info in infos:
        if info.file_size >= limits.ratio_from \
                and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise _not_ordinary(name)


def _xlsx_lines(data: bytes, name: str, limits: Limits) -> Iterator[tuple[int, list[object]]]:
    """The first sheet's rows, streamed (openpyxl's read-only mode), at most `columns`
    wide: a value further right refuses the file; columns past the next one are not read.
    """
    _check_zip(data, name, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, EOFError):
        raise _unreadable(name) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong sizes; read what is there
        rows = sheet.iter_rows(min_row=1, max_row=EXCEL_MAX_ROWS, max_col=limits.columns + 1,
                               values_only=True)
        for line, cells in enumerate(rows, start=1):
            if len(cells) > limits.columns and cells[limits.columns] is not None:
                raise _too_wide(name, line, limits)
            yield line, [_clean(cell) for cell in cells[:limits.columns]]
    except (zipfile.BadZipFile, ValueError, KeyError, EOFError):
        raise _unreadable(name) from None
    finally:
        book.close()


def read_table(data: bytes, name: str, columns: Sequence[str],
               limits: Limits = LIMITS) -> list[Line]:
    """The file's data rows as (line, {column: value}), after checking the header.

    The header is the first non-blank row; column names are matched ignoring case and
    surrounding spaces, and unnamed columns are ignored. Blank rows are skipped. More
    than `limits.rows` data rows, or a row wider than `limits.columns`, refuses the file.
    """
    if len(data) > limits.file_bytes:
        raise _too_big(name, limits)
    if data.startswith(_XLS_MAGIC):
        raise InvalidInput(f"{name} is an old Excel .xls workbook; save it as .xlsx or CSV")
    lines = (_xlsx_lines(data, name, limits) if data.startswith(_XLSX_MAGIC)
             else _csv_lines(data, name, limits))
    rows = ((line, cells) for line, cells in lines if any(c is not None for c in cells))
    first = next(rows, None)
    if first is None:
        raise InvalidInput(f"{name} is empty")
    header_line, cells = first
    header = ["" if c is None else str(c).strip().lower() for c in cells]
    _check_header(name, header_line, header, columns)
    positions = {column: header.index(column) for column in columns}
    table: list[Line] = []
    for line, cells in rows:
        if len(table) >= limits.rows:
            raise Refused(N_("%(file)s has more than %(rows)s rows; split it into smaller "
                             "files"), file=name, rows=limits.rows)
        table.append((line, {column: cells[i] if i < len(cells) else None
                             for column, i in positions.items()}))
    return table


def _check_header(name: str, line: int, header: list[str], columns: Sequence[str]) -> None:
    named = [h for h in header if h]
    problems = []
    if missing := [c for c in columns if c not in named]:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown := [h for h in named if h not in columns]:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if repeated := sorted({h for h in named if named.count(h) > 1}):
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if not problems:
        return
    if len(named) == 1 and any(sep in named[0] for sep in ";\t"):
        problems.append("the columns must be separated by commas")
    raise InvalidInput(f"{name}: line {line} (header): {'; '.join(problems)}; "
                       f"expected {','.join(columns)}")


@dataclass(frozen=True)
class _WorkerRow:
    code: str
    name: str
    workshop: str
    role: Role
    language: Language


def _choice(value: object, options: Mapping[str, Any], default: Any, expected: str) -> Any:
    if value is None:
        return default
    key = str(value).strip().lower().replace("-", "_")
    if key not in options:
        raise FieldError(f"{value!r} is not one of {expected}")
    return options[key]


def _parse_worker(line: int, raw: Mapping[str, object]) -> _WorkerRow | list[RowError]:
    parsers = {
        "code": parse_code,
        "name": lambda v: parse_text(v, MAX_NAME),
        "workshop": parse_code,
        "role": lambda v: _choice(v, {r.value: r for r in Role}, Role.WORKER,
                                  "worker, supervisor"),
        "language": lambda v: _choice(v, _LANGUAGES, Language.ZH_CN, "zh_CN, en"),
    }
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for column, parse in parsers.items():
        try:
            values[column] = parse(raw[column])
        except FieldError as exc:
            errors.append(RowError(line, f"{column}: {exc}", column))
    return errors or _WorkerRow(**values)


def _validate_workers(table: list[Line]) -> tuple[list[_WorkerRow], list[RowError]]:
    good: list[_WorkerRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, raw in table:
        row = _parse_worker(line, raw)
        if isinstance(row, list):
            errors.extend(row)
        elif row.code in seen:
            errors.append(RowError(line, f"code: worker {row.code!r} is already on line "
                                   f"{seen[row.code]}", "code"))
        else:
            seen[row.code] = line
            good.append(row)
    return good, errors


def _worker_state(worker: Worker, workshop_code: str) -> dict[str, str]:
    return {"name": worker.name, "workshop": workshop_code, "role": worker.role.value,
            "language": worker.language.value}


def _audited(state: Mapping[str, str]) -> dict[str, str]:
    """A worker's state as the audit log keeps it: no name (services/audit.py)."""
    return {key: value for key, value in state.items() if key != "name"}


def _store_workers(session: Session, rows: list[_WorkerRow], report: ImportReport,
                   actor: str) -> None:
    # A factory has a few dozen workshops: all of them, to name every worker's current one.
    workshops = {w.code: w for w in session.scalars(select(Workshop))}
    workshop_codes = {w.id: w.code for w in workshops.values()}
    for code in sorted({row.workshop for row in rows} - workshops.keys()):
        workshops[code] = Workshop(code=code, name=code)
        session.add(workshops[code])
        report.created_workshops.append(code)
    existing = by_code(session, Worker, (row.code for row in rows))
    created: list[Worker] = []
    updated: list[int] = []
    for row in rows:
        after = {"name": row.name, "workshop": row.workshop, "role": row.role.value,
                 "language": row.language.value}
        worker = existing.get(row.code)
        if worker is None:
            worker = Worker(code=row.code, name=row.name, workshop=workshops[row.workshop],
                            role=row.role, language=row.language)
            session.add(worker)
            created.append(worker)
            continue
        before = _worker_state(worker, workshop_codes[worker.workshop_id])
        if before == after:
            report.unchanged += 1
            continue
        worker.name, worker.role, worker.language = row.name, row.role, row.language
        worker.workshop = workshops[row.workshop]
        audit(session, actor, "worker.update", "worker", worker.id, before=_audited(before),
              after={**_audited(after), "name_changed": before["name"] != after["name"]})
        updated.append(worker.id)
    report.created, report.updated = len(created), len(updated)
    if created or updated or report.created_workshops:
        session.flush()  # the new workers' ids, which the log names them by
        audit(session, actor, "workers.import", "worker", after={
            "file": report.filename, "created": [worker.id for worker in created],
            "updated": updated,
            "unchanged": report.unchanged, "created_workshops": report.created_workshops,
            "rejected_lines": sorted({e.row for e in report.errors}),
        })
    session.flush()


def import_workers(
    session: Session,
    data: Source,
    filename: str | None = None,
    *,
    skip_bad: bool = False,
    actor: str,
    limits: Limits = LIMITS,
) -> ImportReport:
    """Create or update workers from `code,name,workshop,role,language` rows.

    A worker is found by code; a known worker takes the file's name, workshop, role and
    language (each change audited with before and after). An empty role means worker and
    an empty language zh_CN. Workshops the file names that do not exist are created with
    the code as their name, and reported. PINs, badges and `active` are left alone: the
    file says who works where, not who may log in. A code twice in one file is a bad row.
    """
    raw, name = _load(data, filename, limits)
    table = read_table(raw, name, WORKER_COLUMNS, limits)
    report = ImportReport("workers", name, rows=len(table))
    good, report.errors = _validate_workers(table)
    if report.errors and not skip_bad:
        return report
    if good:
        _store_workers(session, good, report, actor)
    report.imported = True
    return report


def import_production(
    session: Session,
    data: Source,
    filename: str | None = None,
    *,
    skip_bad: bool = False,
    actor: str,
    into_open: bool = False,
    zone: ZoneInfo | None = None,
    limits: Limits = LIMITS,
) -> ImportReport:
    """Upsert production records from
    `date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects` rows.

    Rows are checked by `validate_production_rows` and stored by `upsert_production` with
    source `import`, so re-importing a file changes nothing, an imported row replaces a
    kiosk-reported one, and machines the file names are created and reported. A worker
    code must already exist: import the workers first. A row dated in a closed period is a
    bad row naming the period, unless `into_open` books what it changes as an adjustment
    in the first open period (`zone` is then needed to score the closed period again).
    """
    raw, name = _load(data, filename, limits)
    table = read_table(raw, name, PRODUCTION_COLUMNS, limits)
    report = ImportReport("production", name, rows=len(table))
    validation = validate_production_rows(
        session, [values for _, values in table], numbers=[line for line, _ in table],
        label="line", into_open=into_open)
    report.errors = validation.errors
    if report.errors and not skip_bad:
        return report
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
    report.imported = True
    return report
