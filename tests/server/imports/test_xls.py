"""Old Excel .xls workbooks (Office 97-2003, WPS), read by python-calamine in a child
process held to limits. An ordinary one imports like an XLSX; one built to hurt is refused
with a clear message, and the server's process neither dies nor grows while it is refused
(an allocation that fails inside calamine aborts the process that makes it)."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Worker
from server.services.imports import LIMITS, Limits, import_workers, read_table
from server.services.refusals import Refused
from support.hostile import peak_growth

MB = 1024 * 1024
BOUND = 256 * MB  # what refusing a hostile file may add to the server's memory
COLUMNS = ("code", "name", "workshop", "role", "language")
HEADER = ["code", "name", "workshop", "role", "language"]
TOO_MUCH = ("could not be read within the limits for an old Excel .xls workbook; save it "
            "as .xlsx or CSV and upload that file")

# The XLS writer lives in this folder's conftest.py (`make_xls`, `xls_writer`).
XlsParts = Callable[..., bytes]


def _refused(data: bytes, limits: Limits = LIMITS) -> str:
    caught: list[Refused] = []

    def attack() -> None:
        with pytest.raises(Refused) as error:
            read_table(data, "w.xls", COLUMNS, limits)
        caught.append(error.value)

    grew = peak_growth(attack)
    assert grew < BOUND, f"refusing it took {grew / MB:.0f} MB"
    return str(caught[0])


def test_an_ordinary_xls_imports_like_an_xlsx(session: Session, make_xls: XlsParts) -> None:
    data = make_xls(HEADER, [1001, "张伟", "W1", "worker", "zh_CN"], [],
                    ["W002", "李娜", "W1", None, "en"])
    table = read_table(data, "w.xls", COLUMNS)
    assert [line for line, _ in table] == [2, 4]  # the sheet's rows, blank ones skipped
    report = import_workers(session, data, "w.xls", actor="hr")
    session.commit()
    assert report.imported and report.created == 2, report.to_text()
    assert sorted(w.code for w in session.scalars(select(Worker))) == ["1001", "W002"]


def test_a_table_further_down_and_right_keeps_its_lines_and_columns(xls_writer: Any) -> None:
    cells = {(2, 1): "code", (2, 2): "name", (4, 1): "W1", (4, 2): "张三", (4, 3): None}
    data = xls_writer.compound(xls_writer.biff8([xls_writer.Sheet("S", cells)]))
    assert list(read_table(data, "w.xls", ("code", "name"))) == [
        (5, {"code": "W1", "name": "张三"})]


def test_an_empty_first_sheet_is_an_empty_file(xls_writer: Any) -> None:
    data = xls_writer.compound(xls_writer.biff8([
        xls_writer.Sheet("empty"), xls_writer.Sheet("S", {(0, 0): "code"})]))
    with pytest.raises(Refused, match="^w.xls is empty$"):
        read_table(data, "w.xls", COLUMNS)


def test_dates_and_numbers_arrive_typed(make_xls: XlsParts) -> None:
    data = make_xls(["date", "output"], [date(2026, 3, 2), 900], [date(2026, 12, 31), 0.5])
    rows = [values for _, values in read_table(data, "p.xls", ("date", "output"))]
    assert [r["date"] for r in rows] == [date(2026, 3, 2), date(2026, 12, 31)]
    assert [r["output"] for r in rows] == [900, 0.5]


def test_only_the_first_sheet_is_read_and_only_its_width_counts(xls_writer: Any,
                                                                make_xls: XlsParts) -> None:
    wide = xls_writer.Sheet("wide", {(0, c): f"c{c}" for c in range(120)})
    data = make_xls(HEADER, ["W001", "张伟", "W1", None, None], others=[wide])
    assert len(read_table(data, "w.xls", COLUMNS)) == 1


def test_a_first_sheet_too_wide_is_refused_naming_the_line(make_xls: XlsParts) -> None:
    row: list[object] = ["W001", "张伟", "W1", None, None, *[None] * 55, "x"]
    assert _refused(make_xls(HEADER, row)) == (
        "w.xls: line 2 has more than 50 columns; keep only the columns the import reads")


def test_rows_past_the_limit_are_refused_without_reading_on(make_xls: XlsParts) -> None:
    rows = [[f"W{n}", "张三", "W1", None, None] for n in range(300)]
    assert _refused(make_xls(HEADER, *rows), Limits(rows=100)) == (
        "w.xls has more than 100 rows; split it into smaller files")


def test_a_declared_dimension_of_terabytes_is_refused_and_the_server_lives_on(
    xls_writer: Any,
) -> None:
    # calamine reserves memory for the rows x columns a DIMENSION record declares: in the
    # server's own process this allocation failure would abort it (tried: it does).
    sheet = xls_writer.Sheet("Sheet1", {(0, 0): "code", (1, 0): "W1"},
                           dimension=(0, 0xFFFFFFFF, 0, 0xFF))
    bomb = xls_writer.compound(xls_writer.biff8([sheet]))
    assert len(bomb) < 10_000
    assert _refused(bomb) == f"w.xls {TOO_MUCH}"


def test_far_apart_cells_on_hidden_sheets_are_refused_within_the_memory_cap(
    xls_writer: Any,
) -> None:
    # Two cells 65,535 rows and 255 columns apart make calamine lay out 16.7 million cells
    # (~0.5 GB) for each such sheet, although the file is 6 KB; three of them need 1.6 GB.
    first = xls_writer.Sheet("Sheet1", {(0, 0): "code", (1, 0): "W1"})
    others = [xls_writer.Sheet(f"s{i}", {(0, 0): 1, (65535, 255): 2})
              for i in range(3)]
    bomb = xls_writer.compound(xls_writer.biff8([first, *others]))
    assert len(bomb) < 10_000
    assert _refused(bomb) == f"w.xls {TOO_MUCH}"


def test_one_long_shared_string_in_every_cell_is_refused(xls_writer: Any) -> None:
    # Each LABELSST cell (14 bytes in the file) gets its own copy of an 8,000-character
    # string: 20,000 cells are 160 million characters from a 300 KB file.
    cells = {(0, 0): "code"} | {(row, 0): "长" * 8000 for row in range(1, 20_000)}
    bomb = xls_writer.compound(xls_writer.biff8([xls_writer.Sheet("Sheet1", cells)]))
    assert len(bomb) < 400_000
    assert _refused(bomb) == f"w.xls {TOO_MUCH}"


def test_a_sector_chain_that_loops_is_refused(xls_writer: Any) -> None:
    def loop(fat: list[int]) -> None:
        fat[1] = 1  # the directory's sector points to itself: calamine reads it forever

    stream = xls_writer.biff8([xls_writer.Sheet("Sheet1", {(0, 0): "code"})])
    bomb = xls_writer.compound(stream, fat_patch=loop)
    assert _refused(bomb) == f"w.xls {TOO_MUCH}"


def test_one_sheet_named_thousands_of_times_runs_out_of_time(xls_writer: Any) -> None:
    # Every BOUNDSHEET record has its sheet parsed anew: 4,000 of them pointing at one
    # sheet of 20,000 cells are 80 million cells to parse from a 500 KB file. The memory
    # stays small (the sheets share a name); the CPU limit ends it.
    cells = {(row, 0): float(row) for row in range(20_000)}
    stream = xls_writer.biff8([xls_writer.Sheet("Sheet1", cells)], aliases=4000)
    bomb = xls_writer.compound(stream)
    assert len(bomb) < 600_000
    started = time.monotonic()
    assert _refused(bomb, Limits(xls_seconds=1)) == f"w.xls {TOO_MUCH}"
    assert time.monotonic() - started < 10


def test_a_password_protected_workbook_is_refused_as_unreadable(xls_writer: Any) -> None:
    # calamine tells no password from any other unreadable file in an XLS
    filepass = xls_writer.record(0x002F, struct.pack("<HHH", 1, 1, 1) + bytes(48))
    stream = xls_writer.biff8([xls_writer.Sheet("Sheet1", {(0, 0): "code"})],
                         extra_globals=filepass)
    assert _refused(xls_writer.compound(stream)) == "w.xls is not a readable XLS workbook"


@pytest.mark.parametrize("data", [b"\xd0\xcf\x11\xe0" + b"\0" * 100,
                                  b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 4000])
def test_an_ole_file_that_is_no_workbook_is_refused_as_unreadable(data: bytes) -> None:
    assert _refused(data) == "w.xls is not a readable XLS workbook"


def test_a_workbook_stream_under_another_name_is_refused_as_unreadable(xls_writer: Any) -> None:
    stream = xls_writer.biff8([xls_writer.Sheet("Sheet1", {(0, 0): "code"})])
    other = xls_writer.compound(stream, name="Contents")
    assert _refused(other) == "w.xls is not a readable XLS workbook"
