"""Imported files built to hurt: zip bombs, a crowd of zip members, sheets too wide or too
tall, files too big, and codes no identifier should be. Each is refused with a clear
message (`Refused`, which the admin translates), stores nothing, and the process's memory
stays bounded while it is refused."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Machine, Worker, Workshop
from server.services import InvalidInput
from server.services.imports import (
    LIMITS,
    Limits,
    import_production,
    import_workers,
    read_table,
)
from server.services.production.feed import receive_production
from server.services.refusals import Refused
from support.hostile import (
    bare_cell,
    cell,
    peak_growth,
    row_xml,
    xlsx_bomb,
    xlsx_with_sheet,
)

MB = 1024 * 1024
BOUND = 256 * MB  # what refusing a hostile file may add to the server's memory
WORKER_COLUMNS = ("code", "name", "workshop", "role", "language")
PRODUCTION = "date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects"


def _refused(data: bytes, name: str, limits: Limits = LIMITS) -> Refused:
    with pytest.raises(Refused) as caught:
        read_table(data, name, WORKER_COLUMNS, limits)
    return caught.value


def test_a_zip_bomb_is_refused_before_it_unpacks_with_memory_bounded() -> None:
    bomb = xlsx_bomb(100 * MB)  # a few hundred KB on the wire
    assert len(bomb) < 1 * MB
    caught: list[Refused] = []

    def attack() -> None:
        caught.append(_refused(bomb, "bomb.xlsx"))

    grew = peak_growth(attack)
    assert "bomb.xlsx is not an ordinary Excel workbook" in str(caught[0])
    assert grew < BOUND, f"refusing the bomb took {grew / MB:.0f} MB"


def test_a_member_packed_too_tightly_is_refused_under_the_total_cap() -> None:
    bomb = xlsx_bomb(20 * MB)  # below the 50 MB total, far above 100:1
    sheet = next(i for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()
                 if i.filename.endswith("sheet1.xml"))
    assert sheet.file_size < Limits().unpacked_bytes < sheet.file_size * 3
    assert sheet.file_size > 100 * sheet.compress_size
    assert "not an ordinary Excel workbook" in str(_refused(bomb, "w.xlsx"))


def test_a_crowd_of_zip_members_is_refused_before_it_is_listed() -> None:
    crowd = io.BytesIO()
    with zipfile.ZipFile(crowd, "w") as archive:
        for i in range(2000):
            archive.writestr(f"x/{i}", b"")
    assert "not an ordinary Excel workbook" in str(_refused(crowd.getvalue(), "w.xlsx"))


def test_a_zip_that_is_no_workbook_is_refused_as_unreadable() -> None:
    assert str(_refused(b"PK\x03\x04" + b"\0" * 100, "w.xlsx")) == (
        "w.xlsx is not a readable XLSX workbook")


def test_a_sheet_two_hundred_columns_wide_is_refused_naming_the_line() -> None:
    header = row_xml(1, [cell(_column(i), 1, f"c{i}") for i in range(200)])
    refused = _refused(xlsx_with_sheet([header]), "wide.xlsx")
    assert str(refused) == ("wide.xlsx: line 1 has more than 50 columns; keep only the "
                            "columns the import reads")
    csv = ",".join(f"c{i}" for i in range(200)).encode()
    assert "wide.csv: line 1 has more than 50 columns" in str(_refused(csv, "wide.csv"))


def test_empty_cells_past_the_last_column_are_no_reason_to_refuse() -> None:
    header = ",".join(WORKER_COLUMNS) + "," * 300
    data = f"{header}\nW001,张三,W1,worker,zh_CN{',' * 300}\n".encode()
    assert [line for line, _ in read_table(data, "w.csv", WORKER_COLUMNS)] == [2]


def test_a_sheet_of_two_hundred_thousand_rows_is_streamed_and_refused() -> None:
    header = row_xml(1, [cell(_column(i), 1, name) for i, name in enumerate(WORKER_COLUMNS)])
    rows = row_xml(None, [bare_cell("W")]) * 200_000
    tall = xlsx_with_sheet([header, rows], stored=True)  # 10 MB of sheet, packed 1:1
    limits = Limits(rows=5000)  # the default is 100,000; lowered to keep the test short
    started = time.monotonic()
    refused = _refused(tall, "tall.xlsx", limits)
    assert str(refused) == "tall.xlsx has more than 5000 rows; split it into smaller files"
    # streamed: refused at row 5,002 without reading the other 195,000
    assert time.monotonic() - started < 30


def test_a_csv_over_the_row_cap_is_refused_with_the_default_limits() -> None:
    lines = [",".join(WORKER_COLUMNS)] + [f"W{n},张三,W1,," for n in range(200_000)]
    refused = _refused("\n".join(lines).encode(), "tall.csv")
    assert str(refused) == "tall.csv has more than 100000 rows; split it into smaller files"


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    limits = Limits(file_bytes=1 * MB)
    big = tmp_path / "big.csv"
    big.write_bytes(b"code,name\n" + b"W1,x\n" * (300 * 1024))
    with pytest.raises(Refused, match=r"^big.csv is larger than 1 MB; split it"):
        import_workers(None, big, actor="hr", limits=limits)  # type: ignore[arg-type]
    with pytest.raises(Refused, match=r"^w.csv is larger than 1 MB"):
        import_workers(None, big.read_bytes(), "w.csv", actor="hr",  # type: ignore[arg-type]
                       limits=limits)


# --- codes -----------------------------------------------------------------------------

BAD_CODES = ["=1+1", "@SUM(1)", "-1", "+1", "../x", "W 01", "工号1", "Ｗ001", "W01\u200b",
             "a/b", "'W01", "x" * 33]


@pytest.mark.parametrize("code", BAD_CODES)
def test_a_worker_or_workshop_code_outside_the_safe_pattern_is_refused_by_line(
    session: Session, code: str
) -> None:
    quoted = '"' + code.replace('"', '""') + '"'
    data = (f"{','.join(WORKER_COLUMNS)}\nW001,张三,W1,worker,zh_CN\n"
            f"{quoted},李四,W1,worker,zh_CN\nW003,王五,{quoted},worker,zh_CN\n").encode()
    report = import_workers(session, data, "workers.csv", actor="hr")
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [(3, "code"), (4, "workshop")]
    reason = report.errors[0].reason
    assert reason.startswith("code: ") and ("is not a code: letters A-Z and digits" in reason
                                             or "is longer than 32" in reason)
    assert session.scalar(select(func.count()).select_from(Worker)) == 0
    assert session.scalar(select(func.count()).select_from(Workshop)) == 0


def test_chinese_names_stay_welcome_and_codes_may_be_numbers(session: Session) -> None:
    data = (f"{','.join(WORKER_COLUMNS)}\n1001,张伟,W1,worker,zh_CN\n"
            "S-01.a_b,王建国,ASM_2,supervisor,en\n").encode()
    report = import_workers(session, data, "workers.csv", actor="hr")
    assert report.imported and report.created == 2, report.to_text()


def test_a_machine_code_outside_the_pattern_is_refused_from_a_file_and_from_mes(
    session: Session
) -> None:
    import_workers(session, f"{','.join(WORKER_COLUMNS)}\nW001,张三,W1,,\n".encode(),
                   "w.csv", actor="hr")
    session.commit()
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    data = f"{PRODUCTION}\n2026-03-02,A,W001,=cmd|' /C calc'!A0,480,450,900,10\n".encode()
    report = import_production(session, data, "p.csv", actor="hr")
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [(2, "machine_code")]
    record = {"date": "2026-03-02", "shift": "A", "worker_code": "W001",
              "machine_code": "@SUM(1)", "planned_minutes": 480, "run_minutes": 450,
              "output": 900, "defects": 10}
    with pytest.raises(InvalidInput, match=r"records.0: machine_code: String should match"):
        receive_production(session, [record], False, "mes")
    assert session.scalar(select(func.count()).select_from(Machine)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
