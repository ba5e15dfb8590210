"""Formula injection through the exports: workers imported with names a spreadsheet would
run as formulas come out of every XLSX and CSV export as text, on both engines.

openpyxl stores any string starting with `=` as a formula (data type "f"); read back, such
a cell must be a string ("s"). A CSV cell must start with a single quote.
"""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from server.scoring import Period, period_span
from server.services.imports import import_workers
from server.services.periods.closing import close_period
from server.services.reports import payroll, reports
from server.services.reports.cells import append_row, csv_bytes, csv_cell, risky
from support.factory import Plant
from support.factory import plant_zone as _zone

HOSTILE = {
    "A001": '=HYPERLINK("http://x","y")',
    "A002": "@SUM(1)",
    "A003": "＝1+1",  # full-width: some spreadsheets fold it to ASCII
}
# A name starting with + or -, or with a TAB or CR that some programs strip first
MORE = ["+1+2", "-2+3", "\t=1+1", "\r=1+1", "＋1", "－1", "＠SUM(1)"]


def _rename(session: Session) -> None:
    """HR's import, with the names an attacker chose (the outside door)."""
    rows = ["code,name,workshop,role,language"]
    for code, name in HOSTILE.items():
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(f"{code},{quoted},W1,worker,zh_CN")
    report = import_workers(session, "\n".join(rows).encode(), "workers.csv", actor="hr")
    assert report.imported and report.updated == 3, report.to_text()
    session.commit()


def _xlsx_cells(data: bytes) -> dict[str, str]:
    """Every cell holding a hostile name -> its data type, as openpyxl reads the file."""
    found = {}
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in HOSTILE.values():
                    found[f"{sheet.title}!{cell.coordinate}"] = cell.data_type
    return found


def _csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell.lstrip("'") in HOSTILE.values()]


def test_the_report_writes_hostile_names_as_text(app: Flask, session: Session,
                                                 plant: Plant) -> None:
    _rename(session)
    zone = _zone(app)
    _, xlsx = reports.report_file(session, "monthly", "W1", "xlsx", zone, today=plant.today)
    cells = _xlsx_cells(xlsx)
    assert len(cells) >= 2 and set(cells.values()) == {"s"}, cells
    _, data = reports.report_file(session, "monthly", "W1", "csv", zone, today=plant.today)
    names = _csv_cells(data)
    assert len(names) >= 2 and all(name.startswith("'") for name in names), names


def test_the_payroll_export_writes_hostile_names_as_text(app: Flask, session: Session,
                                                         plant: Plant) -> None:
    _rename(session)
    zone = _zone(app)
    month = period_span(Period.MONTH, plant.last_month)
    close_period(session, None, "month", month.label, "test", zone, plant.today)
    session.commit()
    _, xlsx = payroll.payroll_file(session, month.start, "xlsx", zone, plant.today)
    cells = _xlsx_cells(xlsx)
    assert len(cells) >= 2 and set(cells.values()) == {"s"}, cells
    _, data = payroll.payroll_file(session, month.start, "csv", zone, plant.today)
    names = _csv_cells(data)
    assert len(names) >= 2 and all(name.startswith("'") for name in names), names


@pytest.mark.parametrize("value", [*HOSTILE.values(), *MORE])
def test_every_formula_start_is_written_as_text(value: str) -> None:
    assert risky(value) and csv_cell(value) == "'" + value
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    append_row(sheet, [value, 42, -1.5, None, "张三"])
    buffer = io.BytesIO()
    book.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert read is not None
    first, number, negative, empty, name = next(read.iter_rows())
    # XML reads a CR back as a line feed; what matters is that the cell is text
    assert (first.value, first.data_type) == (value.replace("\r", "\n"), "s")
    assert (number.value, number.data_type) == (42, "n")  # numbers stay numbers
    assert (negative.value, negative.data_type) == (-1.5, "n")
    assert empty.value is None and name.value == "张三"


def test_plain_text_and_numbers_are_left_alone() -> None:
    for value in ("张三", "W001", "a=b", "1+1", 5, -3, 2.5, None):
        assert not risky(value)
    data = csv_bytes(["姓名 Name", "总分 Total"], [["张三", -3], ["=1+1", 2.5], [None, 0]])
    assert data.decode("utf-8-sig").splitlines() == [
        "姓名 Name,总分 Total", "张三,-3", "'=1+1,2.5", ",0"]

