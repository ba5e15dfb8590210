"""Files built to hurt the server (zip bombs, wide and tall sheets, huge pictures), made
cheaply in the test, and a measure of how much the process's memory grew meanwhile."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from openpyxl import Workbook
from PIL import Image

logger = logging.getLogger(__name__)
SHEET = "xl/worksheets/sheet1.xml"
HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="A1"/><sheetData>')  # Excel always says (a) size
TAIL = b"</sheetData></worksheet>"


def xlsx_with_sheet(rows: Iterable[bytes], level: int = 6, stored: bool = False) -> bytes:
    """A real workbook (openpyxl's parts) whose first sheet's rows are the given XML, each
    streamed into the zip (`stored`: not compressed): a sheet of any size costs no more
    memory than one chunk."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["a cell the bomb replaces"])
    base = io.BytesIO()
    book.save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for info in source.infolist():
            if info.filename != SHEET:
                target.writestr(info.filename, source.read(info))
                continue
            info = zipfile.ZipInfo(SHEET)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with target.open(info, "w") as member:
                member.write(HEAD)
                for chunk in rows:
                    member.write(chunk)
                member.write(TAIL)
    return out.getvalue()


def cell(column: str, row: int, text: str) -> bytes:
    return f'<c r="{column}{row}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def row_xml(row: int | None, cells: Iterable[bytes]) -> bytes:
    """A sheet row; without a number it is the row after the one before (and cells without
    a reference the next column), as Excel allows."""
    start = b"<row>" if row is None else f'<row r="{row}">'.encode()
    return start + b"".join(cells) + b"</row>"


def bare_cell(text: str) -> bytes:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def xlsx_bomb(unpacked: int) -> bytes:
    """A small file whose sheet unpacks to `unpacked` bytes of one row, repeated: the shape
    of the upload that held a worker 165 s at 3.6 GB."""
    one = row_xml(2, [cell("A", 2, "x" * 40)])
    block = one * (1024 * 1024 // len(one))
    return xlsx_with_sheet((block for _ in range(unpacked // len(block))), level=9)


def huge_png(side: int = 13000) -> bytes:
    """A 1-bit PNG of side × side pixels: some kilobytes on the wire, hundreds of
    megabytes once decoded to RGB."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG")
    return buffer.getvalue()


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {key} in /proc/self/status")


def peak_growth(action: Callable[[], object]) -> int:
    """How many bytes the process's peak resident size rose above its size before, while
    `action` ran (Linux: the peak is first reset through /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    action()
    grew = _status("VmHWM") - before
    logger.info("peak_growth", extra={"fields": {"before_mb": round(before / 2**20),
                                                  "grew_mb": round(grew / 2**20, 1)}})
    return grew
