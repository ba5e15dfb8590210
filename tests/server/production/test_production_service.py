"""Production rows: field checks with reasons, and the upsert on the natural key."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    AuditEntry,
    Machine,
    ProductionRecord,
    RecordSource,
    Worker,
    Workshop,
)
from server.services import InvalidInput
from server.services.audit import verify_chain
from server.services.production.records import (
    Outcome,
    ProductionRow,
    upsert_production,
    validate_production_rows,
)


@pytest.fixture
def floor(session: Session) -> Session:
    """Two workshops, three workers, one machine."""
    w1, w2 = Workshop(code="W1", name="机加工"), Workshop(code="W2", name="装配")
    session.add_all([
        w1, w2,
        Worker(code="W001", name="张伟", workshop=w1),
        Worker(code="W002", name="李娜", workshop=w1),
        Worker(code="W201", name="杨帆", workshop=w2),
        Machine(code="M1", name="车床一号", workshop=w1),
    ])
    session.commit()
    return session


def raw(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "date": "2026-03-02", "shift": "A", "worker_code": "W001", "machine_code": "M1",
        "planned_minutes": 480, "run_minutes": 450, "output": 900, "defects": 10,
    }
    row.update(changes)
    return row


def row(**changes: Any) -> ProductionRow:
    values: dict[str, Any] = {
        "date": date(2026, 3, 2), "shift": "A", "worker_code": "W001", "machine_code": "M1",
        "planned_minutes": 480.0, "run_minutes": 450.0, "output": 900, "defects": 10,
    }
    values.update(changes)
    return ProductionRow(**values)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def reasons(session: Session, *rows: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    result = validate_production_rows(session, list(rows))
    return [(e.row, e.field, e.reason) for e in result.errors]


def test_a_good_row_becomes_a_typed_row(floor: Session) -> None:
    result = validate_production_rows(floor, [raw(output="1,200", defects=" 7 ")])
    assert result.errors == []
    assert result.rows == [row(output=1200, defects=7)]
    assert result.good[0][0] == 0


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"date": "02/03/2026"}, "date", "'02/03/2026' is not a date (expected YYYY-MM-DD)"),
    ({"date": "2026-02-30"}, "date", "is not a day of the calendar"),
    ({"date": ""}, "date", "date: is empty"),
    ({"shift": "  "}, "shift", "shift: is empty"),
    ({"shift": "x" * 17}, "shift", "longer than 16 characters"),
    ({"worker_code": None}, "worker_code", "worker_code: is empty"),
    ({"machine_code": "M\x001"}, "machine_code", "holds a control character"),
    ({"planned_minutes": -5}, "planned_minutes", "planned_minutes: is negative (-5)"),
    ({"planned_minutes": 2000}, "planned_minutes", "more than a day"),
    ({"run_minutes": "abc"}, "run_minutes", "'abc' is not a number"),
    ({"run_minutes": 481}, "run_minutes", "run_minutes: 481 is more than planned_minutes 480"),
    ({"output": 9.5}, "output", "9.5 is not a whole number"),
    ({"output": True}, "output", "is not a number"),
    ({"defects": 901}, "defects", "defects: 901 is more than output 900"),
    ({"worker_code": "W999"}, "worker_code", "worker_code: no worker 'W999'"),
])
def test_each_bad_field_is_named_with_a_reason(
    floor: Session, changes: dict[str, Any], field: str, words: str
) -> None:
    [(number, named, reason)] = reasons(floor, raw(**changes))
    assert number == 0
    assert named == field
    assert words in reason


def test_every_bad_field_of_a_row_is_reported_and_missing_fields_named(floor: Session) -> None:
    bad = raw(date="yesterday", output=-1)
    del bad["defects"]
    found = reasons(floor, bad)
    assert [named for _, named, _ in found] == ["date", "output", "defects"]
    assert found[2][2] == "defects: missing"


def test_dates_as_excel_and_chinese_excel_write_them(floor: Session) -> None:
    result = validate_production_rows(floor, [
        raw(date="2026/3/2"), raw(date=datetime(2026, 3, 3), shift="B"),
        raw(date=date(2026, 3, 4)),
    ])
    assert result.errors == []
    assert [r.date for r in result.rows] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]


def test_a_repeated_key_in_one_batch_refuses_the_later_row(floor: Session) -> None:
    result = validate_production_rows(
        floor, [raw(), raw(output=800), raw(shift="B")], numbers=[2, 3, 4], label="line")
    assert [n for n, _ in result.good] == [2, 4]
    [error] = result.errors
    assert (error.row, error.reason) == (3, "repeats the date, shift, worker and machine of line 2")


def test_numbers_must_match_rows(floor: Session) -> None:
    with pytest.raises(ValueError):
        validate_production_rows(floor, [raw()], numbers=[1, 2])


def test_upsert_creates_then_resending_changes_nothing(floor: Session) -> None:
    rows = [row(), row(shift="B"), row(worker_code="W002")]
    first = upsert_production(floor, rows, RecordSource.MES, "mes:erp")
    floor.commit()
    assert first.outcomes == [Outcome.CREATED] * 3
    audits = count(floor, AuditEntry)

    again = upsert_production(floor, rows, RecordSource.MES, "mes:erp")
    floor.commit()
    assert again.outcomes == [Outcome.UNCHANGED] * 3
    assert again.to_dict() == {"created": 0, "updated": 0, "unchanged": 3, "skipped": 0,
                               "created_machines": []}
    assert count(floor, ProductionRecord) == 3
    assert count(floor, AuditEntry) == audits  # nothing changed, nothing to audit


def test_changed_values_update_in_place_with_an_audit_of_before_and_after(
    floor: Session,
) -> None:
    upsert_production(floor, [row()], RecordSource.IMPORT, "hr")
    report = upsert_production(floor, [row(output=950, defects=5)], RecordSource.IMPORT, "hr")
    floor.commit()
    assert report.outcomes == [Outcome.UPDATED]
    record = floor.scalars(select(ProductionRecord)).one()
    assert (record.output, record.defects) == (950, 5)
    entry = floor.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.update")).one()
    assert entry.entity_id == str(record.id)
    assert entry.before is not None and entry.after is not None
    assert (entry.before["output"], entry.after["output"]) == (900, 950)
    key = f"2026-03-02/A/worker:{record.worker_id}/M1"  # the worker by id, not code
    assert entry.after["key"] == key
    summary = floor.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.upsert").order_by(AuditEntry.id)).all()
    assert summary[-1].after is not None
    assert summary[-1].after["updated_keys"] == [key]
    assert verify_chain(floor).ok


def test_mes_replaces_a_kiosk_record(floor: Session) -> None:
    upsert_production(floor, [row(output=700)], RecordSource.KIOSK, "kiosk:k1")
    report = upsert_production(floor, [row(output=880)], RecordSource.MES, "mes:erp")
    record = floor.scalars(select(ProductionRecord)).one()
    assert report.outcomes == [Outcome.UPDATED]
    assert (record.output, record.source) == (880, RecordSource.MES)


def test_mes_takes_over_a_kiosk_record_with_the_same_values(floor: Session) -> None:
    upsert_production(floor, [row()], RecordSource.KIOSK, "kiosk:k1")
    report = upsert_production(floor, [row()], RecordSource.MES, "mes:erp")
    assert report.outcomes == [Outcome.UPDATED]
    assert floor.scalars(select(ProductionRecord)).one().source is RecordSource.MES


def test_a_kiosk_row_never_overwrites_mes(floor: Session) -> None:
    upsert_production(floor, [row(output=880)], RecordSource.MES, "mes:erp")
    report = upsert_production(floor, [row(output=700), row(shift="B")],
                               RecordSource.KIOSK, "kiosk:k1")
    assert report.outcomes == [Outcome.SKIPPED, Outcome.CREATED]
    kept = floor.scalars(select(ProductionRecord).where(ProductionRecord.shift == "A")).one()
    assert (kept.output, kept.source) == (880, RecordSource.MES)


def test_kiosk_updates_its_own_record_and_later_sources_win_among_the_rest(
    floor: Session,
) -> None:
    upsert_production(floor, [row(output=700)], RecordSource.KIOSK, "kiosk:k1")
    assert upsert_production(floor, [row(output=710)], RecordSource.KIOSK,
                             "kiosk:k1").outcomes == [Outcome.UPDATED]
    upsert_production(floor, [row(output=880)], RecordSource.MES, "mes:erp")
    assert upsert_production(floor, [row(output=870)], RecordSource.MANUAL,
                             "hr").outcomes == [Outcome.UPDATED]
    record = floor.scalars(select(ProductionRecord)).one()
    assert (record.output, record.source) == (870, RecordSource.MANUAL)


def test_unknown_machines_are_created_in_the_workers_workshop_and_reported(
    floor: Session,
) -> None:
    report = upsert_production(
        floor, [row(machine_code="M9"), row(worker_code="W201", machine_code="M9", shift="B"),
                row(worker_code="W201", machine_code="M20")],
        RecordSource.IMPORT, "hr")
    floor.commit()
    assert report.created_machines == ["M9", "M20"]
    machines = {m.code: m.workshop.code for m in floor.scalars(select(Machine))}
    assert machines == {"M1": "W1", "M9": "W1", "M20": "W2"}
    summary = floor.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.upsert")).one()
    assert summary.after is not None
    assert summary.after["created_machines"] == ["M9", "M20"]
    assert summary.after["created"] == 3
    assert len(summary.after["created_keys"]) == 3


def test_upsert_refuses_rows_that_were_not_validated(floor: Session) -> None:
    with pytest.raises(InvalidInput, match="W999"):
        upsert_production(floor, [row(worker_code="W999")], RecordSource.MES, "mes:erp")
    with pytest.raises(InvalidInput, match="twice"):
        upsert_production(floor, [row(), row()], RecordSource.MES, "mes:erp")
    assert not floor.new
    assert count(floor, ProductionRecord) == 0


def test_an_empty_batch_is_an_empty_report(floor: Session) -> None:
    assert upsert_production(floor, [], RecordSource.MES, "mes:erp").to_dict()["created"] == 0
