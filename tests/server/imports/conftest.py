"""An XLS writer for the import tests: Excel 97-2003 (BIFF8) in an OLE2 compound file.

No package on the machine writes .xls (xlwt is unmaintained), so the tests make their
workbooks here, as Excel and WPS lay them out: a `Workbook` stream with the globals (BOF,
CODEPAGE, XF, BOUNDSHEET, SST, EOF) and one substream per sheet (BOF, DIMENSION, LABELSST
and NUMBER cells, EOF), in 512-byte sectors with a FAT. Text cells go through the shared
string table as Excel writes them; numbers are NUMBER records; a `date` is a NUMBER with a
date format (serial days since 1899-12-30). Hostile workbooks change one part of this.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pytest

SECTOR = 512
END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
MAX_RECORD = 8224


def record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _unicode(text: str, length_bytes: int = 2) -> bytes:
    """XLUnicodeString: a length, a flags byte (1: UTF-16), the characters."""
    try:
        chars, flags = text.encode("latin-1"), 0
    except UnicodeEncodeError:
        chars, flags = text.encode("utf-16-le"), 1
    size = struct.pack("<H" if length_bytes == 2 else "<B", len(text))
    return size + bytes([flags]) + chars


@dataclass
class XlsSheet:
    name: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    dimension: tuple[int, int, int, int] | None = None  # first row, row after, cols alike


def _sst(strings: Sequence[str]) -> bytes:
    head = struct.pack("<II", len(strings), len(strings))
    records: list[bytes] = []
    body = head
    for text in strings:
        piece = _unicode(text)
        if len(body) + len(piece) > MAX_RECORD:
            records.append(record(0x00FC if not records else 0x003C, body))
            body = b""
        body += piece
    records.append(record(0x00FC if not records else 0x003C, body))
    return b"".join(records)


def biff8(sheets: Sequence[XlsSheet], extra_globals: bytes = b"", aliases: int = 0) -> bytes:
    """The Workbook stream of these sheets; `aliases` more BOUNDSHEET records name the
    first sheet again (a hostile file: each one is parsed anew)."""
    strings: list[str] = []
    index: dict[str, int] = {}
    bodies = []
    for sheet in sheets:
        cells = []
        rows = [r for r, _ in sheet.cells] or [0]
        cols = [c for _, c in sheet.cells] or [0]
        dim = sheet.dimension or (min(rows), max(rows) + 1, min(cols), max(cols) + 1)
        cells.append(record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC,
                                                0, 6)))
        cells.append(record(0x0200, struct.pack("<IIHHH", *dim, 0)))
        for (row, col), value in sorted(sheet.cells.items()):
            if isinstance(value, str):
                isst = index.setdefault(value, len(strings))
                if isst == len(strings):
                    strings.append(value)
                cells.append(record(0x00FD, struct.pack("<HHHI", row, col, 0, isst)))
            elif isinstance(value, date):
                serial = (value - date(1899, 12, 30)).days
                cells.append(record(0x0203, struct.pack("<HHHd", row, col, 1, serial)))
            elif isinstance(value, int | float):
                cells.append(record(0x0203, struct.pack("<HHHd", row, col, 0, float(value))))
        cells.append(record(0x000A, b""))
        bodies.append(b"".join(cells))
    xf = [record(0x00E0, struct.pack("<HH", 0, fmt) + bytes(16)) for fmt in (0, 14)]
    head = (record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
            + record(0x0042, struct.pack("<H", 1200)) + b"".join(xf))
    tail = extra_globals + _sst(strings) + record(0x000A, b"")

    def boundsheets(positions: Sequence[int]) -> bytes:
        named = list(zip(positions, sheets, strict=True))
        named += [named[0]] * aliases
        return b"".join(record(0x0085, struct.pack("<IBB", pos, 0, 0) + _unicode(s.name, 1))
                        for pos, s in named)

    start = len(head) + len(boundsheets([0] * len(sheets))) + len(tail)
    positions = []
    for body in bodies:
        positions.append(start)
        start += len(body)
    return head + boundsheets(positions) + tail + b"".join(bodies)


def compound(stream: bytes, *, name: str = "Workbook",
             fat_patch: Callable[[list[int]], None] | None = None) -> bytes:
    """An OLE2 compound file (version 3) holding one stream, never in the mini stream."""
    stream = stream + bytes(max(0, 4096 - len(stream)))
    stream += bytes(-len(stream) % SECTOR)
    data_sectors = len(stream) // SECTOR
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + 1 + data_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109, "too large for this writer"
    fat = [FATSECT] * fat_sectors + [END]  # the FAT itself, then the directory
    first = len(fat)
    fat += [first + i + 1 for i in range(data_sectors - 1)] + [END]
    if fat_patch is not None:
        fat_patch(fat)
    fat += [FREE] * (fat_sectors * 128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, fat_sectors, fat_sectors, 0, 4096, END, 0, END,
                            0)
              + struct.pack("<109I", *range(fat_sectors), *[FREE] * (109 - fat_sectors)))

    def entry(entry_name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (entry_name + "\0").encode("utf-16-le") if entry_name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", NOSTREAM, NOSTREAM, child) + bytes(16 + 4 + 16)
                + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, END, 0) + entry(name, 2, NOSTREAM, first,
                                                           len(stream))
                 + entry("", 0, NOSTREAM, 0, 0) * 2)
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + stream


def xls(*rows: Sequence[object], others: Sequence[XlsSheet] = ()) -> bytes:
    """A workbook whose first sheet holds these rows (None: an empty cell)."""
    first = XlsSheet("Sheet1", {(r, c): v for r, row in enumerate(rows)
                                for c, v in enumerate(row) if v is not None and v != ""})
    return compound(biff8([first, *others]))


class XlsWriter:
    """The writer's parts, for tests that build a workbook piece by piece."""

    Sheet = XlsSheet
    record = staticmethod(record)
    biff8 = staticmethod(biff8)
    compound = staticmethod(compound)
    xls = staticmethod(xls)


@pytest.fixture
def make_xls() -> Callable[..., bytes]:
    return xls


@pytest.fixture
def xls_writer() -> type[XlsWriter]:
    return XlsWriter
