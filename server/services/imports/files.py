"""Reading an imported file within limits: CSV, XLSX or XLS, told from the bytes.

The format is told from the bytes, not the file name: HR renames files, and Excel saves
CSV as UTF-8 with a BOM ("CSV UTF-8") or, on a Chinese Windows, as GB18030 ("CSV"). So a
CSV is decoded as UTF-8 (BOM or not) and, when that fails, as GB18030; anything else is
refused with a message saying how to save it.

An upload may be built to hurt, so a file is read within `Limits`: its size first; for an
XLSX the zip's members (how many, their unpacked total, each one's compression ratio) are
judged before the workbook is opened, and its rows are streamed; an XLS (older Office and
WPS) is read by python-calamine in a child process held to `xls_memory` bytes of address
space and `xls_seconds` of CPU (`xls.py`), since calamine reads every sheet of an XLS at
once and sizes its memory from what the file declares. A row wider than `columns` or more
than `rows` data rows refuse the file. Every refusal is a `Refused`, which the admin shows
translated.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from server.services.imports import xls
from server.services.refusals import N_, Refused

Source = bytes | str | os.PathLike[str]
Cells = list[object]
MB = 1024 * 1024
EXCEL_MAX_ROWS = 1_048_576  # the last row a sheet can have
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # an OLE2 compound file, as Excel 97-2003 wrote


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
    xls_memory: int = 512 * MB  # address space of the process reading an XLS
    xls_seconds: int = 30  # CPU time of that process


LIMITS = Limits()


def too_big(name: str, limits: Limits) -> Refused:
    return Refused(N_("%(file)s is larger than %(mb)s MB; split it into smaller files"),
                   file=name, mb=limits.file_bytes // MB)


def load(data: Source, filename: str | None, limits: Limits) -> tuple[bytes, str]:
    """The file's bytes (at most `limits.file_bytes`, else refused unread) and its name."""
    if isinstance(data, bytes):
        name = filename or "upload"
        if len(data) > limits.file_bytes:
            raise too_big(name, limits)
        return data, name
    path = Path(data)
    name = filename or path.name
    try:
        with path.open("rb") as handle:
            raw = handle.read(limits.file_bytes + 1)
    except OSError as exc:
        raise Refused(N_("cannot read %(path)s: %(error)s"), path=str(path),
                      error=exc.strerror or str(exc)) from None
    if len(raw) > limits.file_bytes:
        raise too_big(name, limits)
    return raw, name


def _decode(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Refused(N_("%(file)s is UTF-16 text (Excel's 'Unicode Text'); save it as "
                         "'CSV UTF-8' or 'CSV'"), file=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_end = exc.start
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        # The file's real encoding is most likely the one that read further before failing.
        line = data.count(b"\n", 0, max(utf8_end, exc.start)) + 1
        raise Refused(N_("%(file)s: line %(line)s: bytes that are neither UTF-8 nor GB18030 "
                         "text; save the file as 'CSV UTF-8'"), file=name, line=line) from None


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def too_wide(name: str, line: int, limits: Limits) -> Refused:
    return Refused(N_("%(file)s: line %(line)s has more than %(columns)s columns; keep only "
                      "the columns the import reads"),
                   file=name, line=line, columns=limits.columns)


def _csv_lines(data: bytes, name: str, limits: Limits) -> Iterator[tuple[int, Cells]]:
    reader = csv.reader(io.StringIO(_decode(data, name), newline=""))
    start = 1
    try:
        for cells in reader:
            # A quoted cell may span lines; a row is named by the line it starts on.
            line, start = start, reader.line_num + 1
            if len(cells) > limits.columns and any(c.strip() for c in cells[limits.columns:]):
                raise too_wide(name, line, limits)
            yield line, [_clean(cell) for cell in cells[:limits.columns]]
    except csv.Error as exc:
        raise Refused(N_("%(file)s: line %(line)s: %(error)s"), file=name, line=start,
                      error=str(exc)) from None


def unreadable(name: str, kind: str = "XLSX") -> Refused:
    return Refused(N_("%(file)s is not a readable %(kind)s workbook"), file=name, kind=kind)


def not_ordinary(name: str) -> Refused:
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
        raise unreadable(name)
    members, directory_size = struct.unpack_from("<HI", data, end + 10)
    if data[max(0, end - 20):end].startswith(b"PK\x06\x07") or members > limits.members \
            or directory_size > limits.members * 1024:
        raise not_ordinary(name)  # zip64 or a crowd of members: no workbook needs them
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise unreadable(name) from None
    if len(infos) > limits.members:
        raise not_ordinary(name)
    if sum(info.file_size for info in infos) > limits.unpacked_bytes:
        raise not_ordinary(name)
    for info in infos:
        if info.file_size >= limits.ratio_from \
                and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise not_ordinary(name)


def _xlsx_lines(data: bytes, name: str, limits: Limits) -> Iterator[tuple[int, Cells]]:
    """The first sheet's rows, streamed (openpyxl's read-only mode), at most `columns`
    wide: a value further right refuses the file; columns past the next one are not read.
    """
    _check_zip(data, name, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, EOFError):
        raise unreadable(name) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong sizes; read what is there
        rows = sheet.iter_rows(min_row=1, max_row=EXCEL_MAX_ROWS, max_col=limits.columns + 1,
                               values_only=True)
        for line, cells in enumerate(rows, start=1):
            if len(cells) > limits.columns and cells[limits.columns] is not None:
                raise too_wide(name, line, limits)
            yield line, [_clean(cell) for cell in cells[:limits.columns]]
    except (zipfile.BadZipFile, ValueError, KeyError, EOFError):
        raise unreadable(name) from None
    finally:
        book.close()


def _xls_lines(data: bytes, name: str, limits: Limits) -> Iterator[tuple[int, Cells]]:
    """The first sheet of an XLS, read in a child process held to the limits (xls.py)."""
    result = xls.read_first_sheet(data, rows=limits.rows + 2, columns=limits.columns,
                                  memory=limits.xls_memory, seconds=limits.xls_seconds,
                                  output=2 * limits.file_bytes + MB)
    if result.problem is xls.Problem.UNREADABLE:
        raise unreadable(name, "XLS")
    if result.problem is xls.Problem.TOO_MUCH:
        raise Refused(N_("%(file)s could not be read within the limits for an old Excel "
                         ".xls workbook; save it as .xlsx or CSV and upload that file"),
                      file=name)
    for line, cells in result.rows:
        yield line, [_clean(cell) for cell in cells]
    if result.wide_line is not None:
        raise too_wide(name, result.wide_line, limits)


def file_lines(data: bytes, name: str, limits: Limits) -> Iterator[tuple[int, Cells]]:
    """Every row of the file (of an XLSX or XLS: its first sheet) as (line, cells), with
    empty cells as None and text stripped; line 1 is the file's first line."""
    if len(data) > limits.file_bytes:
        raise too_big(name, limits)
    if data.startswith(XLS_MAGIC):
        return _xls_lines(data, name, limits)
    if data.startswith(XLSX_MAGIC):
        return _xlsx_lines(data, name, limits)
    return _csv_lines(data, name, limits)
