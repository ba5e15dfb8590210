"""A typo'd workshop or machine code is no longer silently created: the preview lists every
workshop and machine a file would create, HR confirms them (`create=`), and `strict`
refuses them all as named bad rows. A preview stores nothing, on either database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Machine, ProductionRecord, Worker, Workshop
from server.services.imports import (
    import_production,
    import_workers,
    preview_production,
    preview_workers,
)

WORKERS = """工号,姓名,车间,角色,语言
W001,张伟,W1,员工,中文
W002,李娜,WI,员工,中文
W003,刘洋,W2,员工,中文
"""
PRODUCTION = """date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects
2026-03-02,day,W001,M1,480,450,900,10
2026-03-02,day,W003,MI,480,450,900,10
"""


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def w1(session: Session) -> Session:
    session.add(Workshop(code="W1", name="机加工"))
    session.commit()
    return session


def test_strict_refuses_every_row_that_would_create_a_workshop(w1: Session) -> None:
    report = import_workers(w1, WORKERS.encode(), "w.csv", actor="hr", strict=True)
    assert not report.imported
    assert [(e.row, e.field, str(e.reason)) for e in report.errors] == [
        (3, "workshop", "车间: there is no workshop WI, and creating it was not confirmed"),
        (4, "workshop", "车间: there is no workshop W2, and creating it was not confirmed")]
    skipped = import_workers(w1, WORKERS.encode(), "w.csv", actor="hr", strict=True,
                             skip_bad=True)
    w1.commit()
    assert skipped.created == 1 and skipped.created_workshops == []
    assert [w.code for w in w1.scalars(select(Workshop))] == ["W1"]


def test_without_strict_the_import_creates_them_and_says_so(w1: Session) -> None:
    report = import_workers(w1, WORKERS.encode(), "w.csv", actor="hr")
    assert report.imported and report.created_workshops == ["W2", "WI"]
    assert "created workshops: W2, WI" in report.to_text()


def test_only_the_workshops_hr_confirmed_are_created(w1: Session) -> None:
    preview = preview_workers(w1, WORKERS.encode(), "w.csv", keys=None, card_format="10D",
                              card_reversed=False)
    assert preview.new_workshops == ["W2", "WI"] and preview.new_machines == []
    assert preview.report.imported and preview.report.created == 3
    assert preview.report.created_workshops == ["W2", "WI"]
    w1.commit()
    assert (count(w1, Worker), count(w1, Workshop), count(w1, AuditEntry)) == (0, 1, 0)

    report = import_workers(w1, WORKERS.encode(), "w.csv", actor="hr", create=["W2"])
    assert not report.imported
    assert [(e.row, e.field) for e in report.errors] == [(3, "workshop")]
    nothing = import_workers(w1, WORKERS.encode(), "w.csv", actor="hr", create=[])
    assert [e.row for e in nothing.errors] == [3, 4]
    # what HR confirmed is created even with strict
    report = import_workers(w1, WORKERS.replace("WI", "W1").encode(), "w.csv", actor="hr",
                            create=["W2"], strict=True)
    w1.commit()
    assert report.imported and report.created_workshops == ["W2"]


def test_a_preview_lists_new_workshops_even_when_rows_are_bad(w1: Session) -> None:
    data = (WORKERS + "W004,赵六,W3,老板,中文\n").encode()
    preview = preview_workers(w1, data, "w.csv", keys=None)
    assert not preview.report.imported and [e.row for e in preview.report.errors] == [5]
    assert preview.new_workshops == ["W2", "WI"]
    with_skip = preview_workers(w1, data, "w.csv", keys=None, skip_bad=True)
    assert with_skip.report.imported and with_skip.report.created == 3
    w1.commit()
    assert count(w1, Worker) == 0


def test_machines_alike_for_production(w1: Session) -> None:
    import_workers(w1, WORKERS.encode(), "w.csv", actor="hr")
    w1.add(Machine(code="M1", name="CNC", workshop=w1.scalars(select(Workshop)).first()))
    w1.commit()
    audits = count(w1, AuditEntry)
    preview = preview_production(w1, PRODUCTION.encode(), "p.csv")
    assert preview.new_machines == ["MI"] and preview.new_workshops == []
    assert preview.report.imported and preview.report.created == 2
    assert preview.report.created_machines == ["MI"]
    w1.commit()
    assert (count(w1, Machine), count(w1, ProductionRecord), count(w1, AuditEntry)) == (
        1, 0, audits)

    strict = import_production(w1, PRODUCTION.encode(), "p.csv", actor="hr", strict=True)
    assert [(e.row, e.field, str(e.reason)) for e in strict.errors] == [
        (3, "machine_code", "machine_code: there is no machine MI, and creating it was not "
                            "confirmed")]
    unconfirmed = import_production(w1, PRODUCTION.encode(), "p.csv", actor="hr", create=[],
                                    skip_bad=True)
    w1.commit()
    assert unconfirmed.imported and unconfirmed.created == 1
    assert unconfirmed.created_machines == []
    confirmed = import_production(w1, PRODUCTION.encode(), "p.csv", actor="hr",
                                  create=["MI"])
    w1.commit()
    assert confirmed.created_machines == ["MI"] and count(w1, ProductionRecord) == 2
