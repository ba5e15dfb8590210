"""XLSX imports: the first sheet, typed cells as Excel stores them, line = sheet row."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import ProductionRecord, Worker
from server.services import InvalidInput
from server.services.imports import import_production, import_workers


def xlsx(*rows: list[Any], first_sheet: str = "人员", extra_sheet: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = first_sheet
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("other").append(["not", "read"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def staffed(session: Session) -> Session:
    data = xlsx(["code", "name", "workshop", "role", "language"],
                [1001, "张伟", "W1", "worker", "zh_CN"],
                ["W002", "李娜", "W1", None, None], extra_sheet=True)
    report = import_workers(session, data, "人员.xlsx", actor="hr")
    session.commit()
    assert report.imported and report.created == 2
    return session


def test_workers_from_the_first_sheet_with_numeric_codes_as_text(staffed: Session) -> None:
    assert sorted(w.code for w in staffed.scalars(select(Worker))) == ["1001", "W002"]


def test_production_cells_as_excel_types_them(staffed: Session) -> None:
    data = xlsx(
        ["date", "shift", "worker_code", "machine_code", "planned_minutes", "run_minutes",
         "output", "defects"],
        [datetime(2026, 3, 2), "A", 1001, "M1", 480, 450.5, 900, 10],
        ["2026/3/3", 2, "W002", 7, 480.0, 400, 800.0, 0],
    )
    report = import_production(staffed, data, "production.xlsx", actor="hr")
    staffed.commit()
    assert report.imported and report.created == 2
    assert report.created_machines == ["M1", "7"]
    records = {r.shift: r for r in staffed.scalars(select(ProductionRecord))}
    assert records["A"].run_minutes == 450.5
    assert records["2"].date.isoformat() == "2026-03-03"

    again = import_production(staffed, data, "production.xlsx", actor="hr")
    assert (again.created, again.unchanged) == (0, 2)


def test_bad_cells_are_named_by_their_sheet_row(staffed: Session) -> None:
    data = xlsx(
        ["date", "shift", "worker_code", "machine_code", "planned_minutes", "run_minutes",
         "output", "defects"],
        [datetime(2026, 3, 2), "A", 1001, "M1", 480, 450, 900, 10],
        [],
        [46083, "A", "W002", "M1", 480, 450, 900, 10],
        [datetime(2026, 3, 4), "A", "W002", "M1", 480, 450, 90, 100],
    )
    report = import_production(staffed, data, "production.xlsx", actor="hr")
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [(4, "date"), (5, "defects")]
    assert report.errors[0].reason == "date: 46083 is not a date (expected YYYY-MM-DD)"


def test_xlsx_header_is_checked_like_csv(session: Session) -> None:
    with pytest.raises(InvalidInput, match="missing column\\(s\\) language"):
        import_workers(session, xlsx(["code", "name", "workshop", "role"]), "w.xlsx", actor="hr")


def test_an_empty_first_sheet_is_an_empty_file(session: Session) -> None:
    with pytest.raises(InvalidInput, match="w.xlsx is empty"):
        import_workers(session, xlsx(), "w.xlsx", actor="hr")


def test_a_zip_that_is_not_a_workbook_is_refused(session: Session) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    for data in (buffer.getvalue(), b"PK\x03\x04 broken"):
        with pytest.raises(InvalidInput, match="not a readable XLSX workbook"):
            import_workers(session, data, "w.xlsx", actor="hr")
