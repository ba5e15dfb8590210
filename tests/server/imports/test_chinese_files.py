"""Files as a Chinese HR clerk makes them: Chinese headers and values, in the CSV encodings
Excel writes (GB18030, UTF-8 with BOM), XLSX and old XLS, each bad row's reason in
Chinese on the admin's page."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from babel.support import Translations
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Language,
    Machine,
    ProductionRecord,
    RecordSource,
    Role,
    Worker,
    Workshop,
)
from server.services.imports import (
    PRODUCTION_COLUMNS,
    ImportReport,
    import_production,
    import_workers,
    read_table,
    translated,
)
from server.services.refusals import Refused

TRANSLATIONS = Path(__file__).resolve().parents[3] / "server" / "translations"

WORKERS_ZH = """工号,姓名,车间,角色,语言
W001,张伟,W1,员工,中文
W002,李娜,W1,,
S001,王建国,W1,主管,中文
E001,Tom Baker,W2,员工,英文
S002,刘洋,W2,班组长,English
"""

PRODUCTION_ZH = """日期,班次,工号,设备,计划分钟,运行分钟,产量,次品
2026-03-02,白班,W001,M1,480,450,900,10
2026-03-02,夜班,W002,M2,480,400,800,20
2026-03-03,A,W001,M1,480,470,950,5
"""


def zh_gettext() -> Callable[[str], str]:
    return Translations.load(str(TRANSLATIONS), ["zh_Hans_CN"]).gettext


def xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rows(text: str) -> list[list[object]]:
    return [[cell or None for cell in line.split(",")] for line in text.strip().splitlines()]


def _check_workers(session: Session, report: ImportReport) -> None:
    session.commit()
    assert report.imported and report.errors == [], report.to_text()
    assert (report.created, report.created_workshops) == (5, ["W1", "W2"])
    workers = {w.code: w for w in session.scalars(select(Worker))}
    assert (workers["W001"].role, workers["W001"].language) == (Role.WORKER, Language.ZH_CN)
    assert (workers["W002"].role, workers["W002"].language) == (Role.WORKER, Language.ZH_CN)
    assert workers["S001"].role is Role.SUPERVISOR
    assert (workers["E001"].language, workers["S002"].role, workers["S002"].language) == (
        Language.EN, Role.SUPERVISOR, Language.EN)
    assert workers["W001"].name == "张伟"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_chinese_headers_and_values_in_a_csv_as_excel_saves_it(session: Session,
                                                                 encoding: str) -> None:
    data = WORKERS_ZH.encode(encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really not UTF-8: the GB18030 path is taken
    _check_workers(session, import_workers(session, data, "员工.csv", actor="hr"))


def test_chinese_headers_and_values_in_an_xlsx(session: Session) -> None:
    _check_workers(session, import_workers(session, xlsx(*_rows(WORKERS_ZH)), "员工.xlsx",
                                           actor="hr"))


def test_chinese_headers_and_values_in_an_old_xls(session: Session,
                                                  make_xls: Callable[..., bytes]) -> None:
    data = make_xls(*_rows(WORKERS_ZH))
    assert data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    _check_workers(session, import_workers(session, data, "员工.xls", actor="hr"))


def test_headers_in_any_case_spacing_width_bom_or_mix_of_languages(session: Session) -> None:
    header = "\ufeff\ufeff 工号 ,NAME,　车间　,Role,ＬＡＮＧＵＡＧＥ"  # a BOM too many, full width
    data = f"{header}\nW001,张伟,W1,员工,中文\n".encode("utf-8-sig")
    report = import_workers(session, data, "w.csv", actor="hr")
    assert report.imported and report.created == 1, report.to_text()
    table = read_table("Planned Minutes,run-minutes,日期,班次,工号,设备,产量,次品\n"
                       "480,450,2026-03-02,白班,W001,M1,900,10\n".encode(), "p.csv",
                       PRODUCTION_COLUMNS)
    assert table.rows[0][1]["planned_minutes"] == "480"
    assert table.labels["planned_minutes"] == "Planned Minutes"


def test_a_header_in_chinese_is_refused_naming_both_header_sets(session: Session) -> None:
    with pytest.raises(Refused) as caught:
        import_workers(session, "工号,姓名,车间,角色,电话\nW001,张伟,W1,员工,1\n".encode(),
                       "w.csv", actor="hr")
    assert str(caught.value) == (
        "w.csv: line 1 (header): missing column(s) language; unknown column(s) 电话; "
        "expected code,name,workshop,role,language or 工号,姓名,车间,角色,语言")
    refusal = caught.value
    params = {k: translated(v, zh_gettext()) for k, v in refusal.params.items()}
    assert zh_gettext()(refusal.text) % params == (
        "w.csv：第 1 行（表头）：缺少列 language；无法识别的列 电话；"
        "应为 工号,姓名,车间,角色,语言 或 code,name,workshop,role,language")


def test_bad_chinese_values_are_named_in_the_columns_the_file_uses_and_translated(
    session: Session,
) -> None:
    data = (WORKERS_ZH + "W009,赵六,W1,老板,法语\nW010,钱七,W1,员工,粤语\n").encode()
    report = import_workers(session, data, "w.csv", actor="hr")
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [(7, "role"), (7, "language")]
    english = report.to_dict()["errors"]
    assert english[0]["reason"] == "角色: '老板' is not one of worker (员工), supervisor (主管)"
    assert english[1]["reason"] == ("语言: '法语' is not one of zh_CN (中文), en (英文), "
                                    "yue (粤语)")
    chinese = report.to_dict(gettext=zh_gettext())["errors"]
    assert [e["reason"] for e in chinese] == [
        "角色：'老板' 不是 worker (员工), supervisor (主管) 之一",
        "语言：'法语' 不是 zh_CN (中文), en (英文), yue (粤语) 之一",
    ]


def test_a_broken_translation_falls_back_to_english(session: Session) -> None:
    data = (WORKERS_ZH + "W009,赵六,W1,老板,\n").encode()
    report = import_workers(session, data, "w.csv", actor="hr")
    broken = report.to_dict(gettext=lambda text: "%(nothing)s")["errors"]
    assert broken[0]["reason"] == "角色: '老板' is not one of worker (员工), supervisor (主管)"


def test_day_and_night_shifts_are_the_shifts_the_kiosks_record(session: Session) -> None:
    import_workers(session, WORKERS_ZH.encode(), "w.csv", actor="hr")
    session.commit()
    # A kiosk-made record of W002's night shift: the imported 夜班 row must replace it.
    w002 = session.scalars(select(Worker).where(Worker.code == "W002")).one()
    workshop = session.scalars(select(Workshop).where(Workshop.code == "W1")).one()
    m2 = Machine(code="M2", name="M2", workshop=workshop)
    session.add_all([m2, ProductionRecord(
        date=date(2026, 3, 2), shift="night", worker=w002, machine=m2, planned_minutes=480,
        run_minutes=300, output=600, defects=30, source=RecordSource.KIOSK)])
    session.commit()
    report = import_production(session, PRODUCTION_ZH.encode("gb18030"), "产量.csv",
                               actor="hr")
    session.commit()
    assert report.imported and (report.created, report.updated) == (2, 1), report.to_text()
    shifts = {(r.worker.code, r.date.day): (r.shift, r.source, r.output)
              for r in session.scalars(select(ProductionRecord))}
    assert shifts == {("W001", 2): ("day", RecordSource.IMPORT, 900),
                      ("W002", 2): ("night", RecordSource.IMPORT, 800),
                      ("W001", 3): ("A", RecordSource.IMPORT, 950)}


def test_chinese_production_headers_in_xlsx_and_xls(session: Session,
                                                    make_xls: Callable[..., bytes]) -> None:
    import_workers(session, WORKERS_ZH.encode(), "w.csv", actor="hr")
    session.commit()
    rows: list[list[object]] = [
        ["日期", "班次", "工号", "设备", "计划分钟", "运行分钟", "产量", "次品"],
        [date(2026, 3, 2), "白班", "W001", "M1", 480, 450.5, 900, 10],
        ["2026/3/3", "夜班", "W002", 7, 480.0, 400, 800.0, 0],
    ]
    for name, data in (("p.xlsx", xlsx(*rows)), ("p.xls", make_xls(*rows))):
        report = import_production(session, data, name, actor="hr")
        assert report.imported and report.errors == [], report.to_text()
    session.commit()
    records = {(r.shift, r.machine.code): r for r in session.scalars(select(ProductionRecord))}
    assert set(records) == {("day", "M1"), ("night", "7")}
    assert records[("day", "M1")].run_minutes == 450.5
    assert records[("night", "7")].date == date(2026, 3, 3)
