"""CSV imports of workers and production: encodings, headers, bad rows, re-imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    AuditEntry,
    Language,
    Machine,
    ProductionRecord,
    RecordSource,
    Role,
    Worker,
    Workshop,
)
from server.services import InvalidInput
from server.services.imports import import_production, import_workers

DEMO_DATA = Path(__file__).resolve().parents[2] / "server" / "demo" / "data"

WORKERS = """code,name,workshop,role,language
W001,张伟,W1,worker,zh_CN
W002,李娜,W1,,
S001,王建国,W1,supervisor,zh_CN
E001,Tom Baker,W2,worker,en
"""

PRODUCTION = """date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects
2026-03-02,A,W001,M1,480,450,900,10
2026-03-02,A,W002,M2,480,400,800,20
2026-03-03,夜班,W001,M1,480,470,950,5
"""


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def staffed(session: Session) -> Session:
    import_workers(session, WORKERS.encode(), "workers.csv", actor="hr")
    session.commit()
    return session


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_workers_csv_in_every_encoding_excel_writes(session: Session, encoding: str) -> None:
    report = import_workers(session, WORKERS.encode(encoding), "workers.csv", actor="hr")
    session.commit()
    assert report.imported and report.errors == []
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.created_workshops == ["W1", "W2"]
    names = {w.code: w.name for w in session.scalars(select(Worker))}
    assert names["W001"] == "张伟" and names["S001"] == "王建国"
    assert session.scalars(select(Workshop).where(Workshop.code == "W2")).one().name == "W2"


def test_gb18030_bytes_are_really_not_utf8() -> None:
    data = WORKERS.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_empty_role_and_language_mean_worker_and_chinese(staffed: Session) -> None:
    workers = {w.code: w for w in staffed.scalars(select(Worker))}
    assert (workers["W002"].role, workers["W002"].language) == (Role.WORKER, Language.ZH_CN)
    assert workers["S001"].role is Role.SUPERVISOR
    assert workers["E001"].language is Language.EN


def test_reimporting_workers_changes_nothing_and_updates_are_audited(staffed: Session) -> None:
    again = import_workers(staffed, WORKERS.encode(), "workers.csv", actor="hr")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert again.created_workshops == []

    moved = WORKERS.replace("W002,李娜,W1,,", "W002,李娜,W3,supervisor,EN")
    report = import_workers(staffed, moved.encode(), "workers.csv", actor="hr")
    staffed.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert report.created_workshops == ["W3"]
    worker = staffed.scalars(select(Worker).where(Worker.code == "W002")).one()
    assert (worker.workshop.code, worker.role, worker.language) == (
        "W3", Role.SUPERVISOR, Language.EN)
    entry = staffed.scalars(select(AuditEntry).where(AuditEntry.action == "worker.update")).one()
    # People by id, never by code or name (services/audit.py)
    assert (entry.entity_id, entry.actor) == (str(worker.id), "hr")
    assert entry.before == {"workshop": "W1", "role": "worker", "language": "zh_CN"}
    assert entry.after == {"workshop": "W3", "role": "supervisor", "language": "en",
                           "name_changed": False}
    summaries = staffed.scalars(select(AuditEntry).where(
        AuditEntry.action == "workers.import").order_by(AuditEntry.id)).all()
    assert len(summaries) == 2  # the unchanged re-import wrote nothing
    assert summaries[0].after is not None
    ids = {w.code: w.id for w in staffed.scalars(select(Worker))}
    assert summaries[0].after["created"] == [ids[c] for c in ("W001", "W002", "S001", "E001")]


def test_bad_worker_rows_are_named_by_line_and_nothing_is_imported(session: Session) -> None:
    data = (WORKERS + "W001,重复,W1,worker,zh_CN\n,无工号,W1,worker,zh_CN\n"
            "W009,赵六,W1,boss,fr\n").encode()
    report = import_workers(session, data, "workers.csv", actor="hr")
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [
        (6, "code"), (7, "code"), (8, "role"), (8, "language")]
    assert report.errors[0].reason == "code: worker 'W001' is already on line 2"
    assert report.errors[2].reason == ("role: 'boss' is not one of worker (员工), "
                                       "supervisor (主管)")
    assert not session.new and not session.dirty
    session.commit()
    assert count(session, Worker) == count(session, Workshop) == count(session, AuditEntry) == 0


def test_skip_bad_imports_the_good_worker_rows(session: Session) -> None:
    data = (WORKERS + "W009,赵六,W1,boss,zh_CN\n").encode()
    report = import_workers(session, data, "workers.csv", skip_bad=True, actor="hr")
    session.commit()
    assert report.imported and report.created == 4
    assert [e.row for e in report.errors] == [6]
    assert count(session, Worker) == 4
    summary = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "workers.import")).one()
    assert summary.after is not None and summary.after["rejected_lines"] == [6]


def test_production_import_then_reimport_never_doubles(staffed: Session) -> None:
    report = import_production(staffed, PRODUCTION.encode("gb18030"), "production.csv",
                               actor="hr")
    staffed.commit()
    assert report.imported and (report.created, report.updated) == (3, 0)
    assert report.created_machines == ["M1", "M2"]
    assert staffed.scalars(select(Machine).where(Machine.code == "M2")).one().workshop.code == "W1"
    # 夜班 is the kiosks' "night": an imported shift replaces the kiosk's record of it
    record = staffed.scalars(select(ProductionRecord).where(
        ProductionRecord.shift == "night")).one()
    assert record.source is RecordSource.IMPORT

    again = import_production(staffed, PRODUCTION.encode("utf-8-sig"), "production.csv",
                              actor="hr")
    staffed.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert again.created_machines == []
    assert count(staffed, ProductionRecord) == 3

    corrected = PRODUCTION.replace("480,400,800,20", "480,410,800,18")
    fixed = import_production(staffed, corrected.encode(), "production.csv", actor="hr")
    assert (fixed.created, fixed.updated, fixed.unchanged) == (0, 1, 2)
    summary = staffed.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.upsert").order_by(AuditEntry.id)).first()
    assert summary is not None and summary.after is not None
    assert summary.after["file"] == "production.csv"
    w001 = staffed.scalars(select(Worker).where(Worker.code == "W001")).one()
    assert summary.after["created_keys"][0] == f"2026-03-02/A/worker:{w001.id}/M1"


def test_bad_production_rows_are_named_by_line_and_nothing_is_imported(
    staffed: Session,
) -> None:
    data = (PRODUCTION + "2026-03-02,A,W001,M1,480,450,900,10\n"
            "\n"
            "2026-13-01,A,W999,M1,480,500,900,10\n").encode()
    audits = count(staffed, AuditEntry)
    report = import_production(staffed, data, "production.csv", actor="hr")
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [
        (5, None), (7, "date"), (7, "run_minutes"), (7, "worker_code")]
    assert report.errors[0].reason == ("repeats the date, shift, worker and machine of line 2")
    assert not staffed.new and not staffed.dirty
    staffed.commit()
    assert count(staffed, ProductionRecord) == count(staffed, Machine) == 0
    assert count(staffed, AuditEntry) == audits


def test_skip_bad_imports_the_good_production_rows(staffed: Session) -> None:
    data = (PRODUCTION + "2026-03-04,A,W999,M1,480,450,900,10\n").encode()
    report = import_production(staffed, data, "production.csv", skip_bad=True, actor="hr")
    staffed.commit()
    assert report.imported and report.created == 3
    assert report.to_dict()["errors"] == [
        {"line": 5, "field": "worker_code", "reason": "worker_code: no worker 'W999'"}]
    assert count(staffed, ProductionRecord) == 3


def test_a_quoted_cell_over_two_lines_keeps_the_following_line_numbers(
    session: Session,
) -> None:
    data = ('code,name,workshop,role,language\nW001,"张\n伟",W1,worker,zh_CN\n'
            "W002,李娜,W1,chief,zh_CN\n").encode()
    report = import_workers(session, data, "workers.csv", actor="hr")
    assert [(e.row, e.field) for e in report.errors] == [(2, "name"), (4, "role")]
    assert report.errors[0].reason == "name: '张\\n伟' holds a control character"


@pytest.mark.parametrize(("header", "words"), [
    ("code,name,workshop,role", "missing column(s) language"),
    ("code,name,workshop,role,language,phone", "unknown column(s) phone"),
    ("code,name,name,workshop,role,language", "repeated column(s) name"),
    ("code;name;workshop;role;language", "separated by commas"),
])
def test_a_wrong_header_refuses_the_file_and_says_why(
    session: Session, header: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match="line 1 \\(header\\)") as caught:
        import_workers(session, f"{header}\nW001,张伟,W1,worker,zh_CN\n".encode(), "w.csv",
                       actor="hr")
    assert words in str(caught.value)
    assert "expected code,name,workshop,role,language" in str(caught.value)


def test_header_names_ignore_case_and_spaces(session: Session) -> None:
    data = " Code , NAME,workshop,Role,language\nW001,张伟,W1,worker,zh_CN\n".encode()
    assert import_workers(session, data, "w.csv", actor="hr").created == 1


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n,,,\n"])
def test_an_empty_file_is_refused(session: Session, data: bytes) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        import_workers(session, data, "w.csv", actor="hr")


def test_a_header_without_rows_imports_nothing_without_complaint(session: Session) -> None:
    report = import_production(session, PRODUCTION.splitlines()[0].encode(), "p.csv",
                               actor="hr")
    assert report.imported and report.rows == 0 and report.created == 0


def test_undecodable_bytes_are_refused_with_the_line(session: Session) -> None:
    data = WORKERS.encode() + b"W009,\xff\xfe\xff,W1,worker,zh_CN\n"
    with pytest.raises(InvalidInput, match="line 6: bytes that are neither UTF-8 nor GB18030"):
        import_workers(session, data, "workers.csv", actor="hr")


def test_utf16_and_broken_excel_files_are_refused_with_advice(session: Session) -> None:
    with pytest.raises(InvalidInput, match="UTF-16"):
        import_workers(session, WORKERS.encode("utf-16"), "workers.txt", actor="hr")
    with pytest.raises(InvalidInput, match=r"workers.xls is not a readable XLS workbook"):
        import_workers(session, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "workers.xls", actor="hr")


def test_a_path_is_read_and_named_by_its_file_name(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "人员.csv"
    path.write_bytes(WORKERS.encode("gb18030"))
    report = import_workers(session, path, actor="hr")
    assert (report.filename, report.created) == ("人员.csv", 4)
    with pytest.raises(InvalidInput, match="cannot read"):
        import_workers(session, tmp_path / "missing.csv", actor="hr")


def test_the_sample_files_import_cleanly(session: Session) -> None:
    workers = import_workers(session, DEMO_DATA / "workers.sample.csv", actor="demo")
    production = import_production(session, DEMO_DATA / "production.sample.csv", actor="demo")
    session.commit()
    assert workers.imported and workers.errors == [] and workers.created > 0
    assert production.imported and production.errors == [] and production.created > 0
    assert production.created_machines


def test_report_to_dict_is_json_shaped(staffed: Session) -> None:
    report = import_production(staffed, PRODUCTION.encode(), "p.csv", actor="hr")
    assert report.to_dict() == {
        "kind": "production", "file": "p.csv", "rows": 3, "imported": True, "created": 3,
        "updated": 0, "unchanged": 0, "rejected": 0, "errors": [],
        "created_workshops": [], "created_machines": ["M1", "M2"], "adjustments": [],
        "cards_assigned": 0, "cards_replaced": 0,
    }


def test_report_text_names_counts_creations_and_bad_lines(staffed: Session) -> None:
    data = (PRODUCTION + "2026-03-04,A,W999,M1,480,450,900,10\n").encode()
    refused = import_production(staffed, data, "p.csv", actor="hr")
    assert refused.to_text() == (
        "p.csv: 4 production row(s)\n"
        "line 5: worker_code: no worker 'W999'\n"
        "1 bad row(s) - nothing imported")
    skipped = import_production(staffed, data, "p.csv", skip_bad=True, actor="hr")
    assert skipped.to_text() == (
        "p.csv: 4 production row(s): 3 created, 0 updated, 0 unchanged\n"
        "created machines: M1, M2\n"
        "line 5: worker_code: no worker 'W999'\n"
        "1 bad row(s) skipped")
