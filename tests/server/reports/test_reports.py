"""The services behind the admin pages, on the seeded plant."""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from server.models import (
    AppealStatus,
    AuditEntry,
    Badge,
    EntryStatus,
    PointEntry,
    ProductionRecord,
    User,
)
from server.scoring import Period
from server.services import Conflict, InvalidInput, audit
from server.services.people import badge_admin
from server.services.people.users import UserChange, update_user
from server.services.points import appeals, claims
from server.services.production.corrections import correct
from server.services.reports import dashboard, payroll, reports
from server.services.scores.preview import preview
from support.admin_plant import Plant, expected_scores, last_month_days


def _zone(app: Flask):  # type: ignore[no-untyped-def]
    return app.config["SHOPFLOOR"].zone


def test_the_monthly_report_agrees_with_the_scoring_engine(
    app: Flask, session: Session, plant: Plant
) -> None:
    report = reports.build_report(session, "W1", Period.MONTH, plant.last_month, _zone(app),
                                  plant.today)
    expected = expected_scores(plant.today)
    assert [(r.code, r.rank, r.total) for r in report.rows] == [
        (c.worker_code, c.rank, c.total) for c in expected]
    for row, card in zip(report.rows, expected, strict=True):
        assert {k: line["points"] for k, line in row.lines.items()} == {
            d.key.value: d.points for d in card.dimensions}
        assert row.tier == (card.tier.name if card.tier else None)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_report_files(app: Flask, session: Session, plant: Plant, fmt: str) -> None:
    name, data = reports.report_file(session, "monthly", "W1", fmt, _zone(app),
                                     today=plant.today)
    assert name.startswith("report-monthly-W1-") and name.endswith(f".{fmt}")
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        assert sheet.cell(3, 1).value == "排名 Rank"
        assert sheet.cell(4, 4).value == expected_scores(plant.today)[0].total
    elif fmt == "csv":
        assert data.startswith("\ufeff".encode())
        assert "张三" in data.decode("utf-8-sig")
    else:
        assert data.startswith(b"%PDF")
        _assert_pdf_text(data, "张三")


def _assert_pdf_text(data: bytes, wanted: str) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    assert wanted in out.stdout.decode()


def test_report_periods() -> None:
    assert reports.parse_period(Period.MONTH, "2026-03").isoformat() == "2026-03-01"
    assert reports.parse_period(Period.WEEK, "2026-W11").isoformat() == "2026-03-09"
    with pytest.raises(InvalidInput):
        reports.parse_period(Period.MONTH, "March")


def test_the_reports_command_writes_the_same_file(app: Flask, plant: Plant,
                                                 tmp_path: Path) -> None:
    from server.cli import Context
    from server.cli import reports as cli_reports

    parser = argparse.ArgumentParser()
    cli_reports.register(parser.add_subparsers())
    out = tmp_path / "m.xlsx"
    args = parser.parse_args(["report", "monthly", "--workshop", "W1", "--format", "xlsx",
                              "--out", str(out)])
    ctx = Context(app.config["SHOPFLOOR"])
    try:
        assert args.handler(args, ctx) == 0
    finally:
        ctx.close()
    sheet = load_workbook(out).worksheets[0]
    assert sheet.cell(4, 2).value == expected_scores(plant.today)[0].worker_code


def test_payroll_pays_the_bonus_of_every_award(app: Flask, session: Session,
                                               plant: Plant) -> None:
    payroll.save_settings(session, payroll.PayrollSettings({"excellent": 300, "good": 100},
                                                           25), "test")
    start = plant.last_month.replace(day=1)
    rows = payroll.payroll_rows(session, start, _zone(app), plant.today)
    best = expected_scores(plant.today)[0]
    mine = next(r for r in rows if r[1] == best.worker_code)
    assert mine[-1] == 300
    assert payroll.reminder_due(payroll.get_settings(session), plant.today.replace(day=25))
    assert not payroll.reminder_due(payroll.get_settings(session), plant.today.replace(day=24))
    with pytest.raises(InvalidInput):
        payroll.save_settings(session, payroll.PayrollSettings({}, 31), "test")


def test_bulk_claim_decisions_are_audited(session: Session, plant: Plant) -> None:
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    assert claims.decide_claims(session, [plant.claim_id], True, "谢谢", admin) == 1
    assert claims.decide_claims(session, [plant.claim_id], False, "", admin) == 0
    entry = session.get(PointEntry, plant.claim_id)
    assert entry is not None and entry.status is EntryStatus.APPROVED
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "point.approve")).one()


def test_a_supervisor_cannot_decide_another_workshops_claim(session: Session,
                                                            plant: Plant) -> None:
    from server.services import NotFound

    admin = session.scalars(select(User).where(User.username == "admin")).one()
    with pytest.raises(NotFound):
        claims.decide_claims(session, [plant.claim_id], True, "", admin, scope={999})


def test_an_appeal_shows_its_records_and_is_resolved(app: Flask, session: Session,
                                                     plant: Plant) -> None:
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    item = appeals.get_appeal(session, plant.appeal_id)
    found = appeals.evidence(session, item, _zone(app), plant.today)
    assert found["line"]["key"] == "uptime"
    assert len(found["production"]) == len(last_month_days(plant.today))
    with pytest.raises(InvalidInput):
        appeals.resolve(session, plant.appeal_id, True, "  ", admin)
    appeals.resolve(session, plant.appeal_id, True, "机器故障已核实", admin)
    assert item.status is AppealStatus.UPHELD and item.resolution == "机器故障已核实"


def test_a_correction_goes_through_the_audited_upsert(session: Session, plant: Plant) -> None:
    record = session.scalars(select(ProductionRecord)).first()
    assert record is not None
    with pytest.raises(InvalidInput):
        correct(session, record.id, 480, 400, 100, 1, "", "test")
    correct(session, record.id, 480, 470, 100, 1, "MES sent the wrong run time", "test")
    assert record.run_minutes == 470 and record.source.value == "manual"
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.update")).first()


def test_the_dashboard_flags_a_missing_day_and_shift(app: Flask, session: Session,
                                                     plant: Plant) -> None:
    day = last_month_days(plant.today)[3]
    session.execute(text("DELETE FROM production_records WHERE date = :d"), {"d": day})
    weeks = dashboard.plant_week(session, day, plant.today, _zone(app), with_scores=False)
    w1 = next(w for w in weeks if w.code == "W1")
    states = {d.day: d.state for d in w1.days}
    assert states[day] == "missing"
    assert states[day - timedelta(days=1)] in ("ok", "missing")  # a Monday has no day before


def test_the_preview_scores_last_period_under_the_draft(app: Flask, session: Session,
                                                        plant: Plant) -> None:
    from support.admin_plant import SCHEME

    draft = SCHEME.format(start="2026-01-01").replace("points: 60", "points: 80")
    result = preview(session, draft, _zone(app), plant.today)
    w1 = next(w for w in result.workshops if w.code == "W1")
    row = next(r for r in w1.rows if r.code == expected_scores(plant.today)[0].worker_code)
    assert row.current is not None and row.draft == row.current + 20
    with pytest.raises(InvalidInput, match="dimensions"):
        preview(session, draft.replace("points: 80", "weight: 80"), _zone(app), plant.today)


def test_the_last_admin_stays(session: Session, plant: Plant) -> None:
    from server.models import UserRole

    admin = session.scalars(select(User).where(User.username == "admin")).one()
    with pytest.raises(Conflict):
        update_user(session, admin.id, UserChange(UserRole.VIEWER, [], True), "test")


def test_a_tapped_card_is_given_and_a_sheet_printed(app: Flask, session: Session,
                                                    plant: Plant, tmp_path: Path) -> None:
    taps = badge_admin.unknown_taps(session, "K1")
    assert len(taps) == 1
    badge = badge_admin.assign_tapped(session, taps[0].event_id, "A002", "test")
    assert badge.worker.code == "A002" and badge.credential_hash == "ab" * 32
    assert badge_admin.unknown_taps(session, "K1") == []
    pdf = badge_admin.badge_sheet(session, ["A002", "A003"], tmp_path, "test")
    _assert_pdf_text(pdf, "李四")
    assert len(session.scalars(select(Badge).where(Badge.kind == "qr")).all()) == 2
    badge_admin.revoke_badge(session, badge.id, "test")
    assert badge.revoked_at is not None
    assert badge_admin.unknown_taps(session, "K1")[0].known_as == "A002"


def test_verification_finds_an_altered_row(session: Session, plant: Plant) -> None:
    session.commit()
    assert audit.verify_chain(session).ok
    session.execute(text("UPDATE audit_entries SET actor = 'someone else' WHERE id = 3"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3


def test_a_claim_photo_is_shown(session: Session, plant: Plant) -> None:
    import base64
    import uuid
    from datetime import UTC, datetime

    from server.models import Event

    jpeg = b"\xff\xd8\xff\xe0 a tiny jpeg"
    event = Event(uuid=str(uuid.uuid4()), kind="point_claim", occurred_at=datetime.now(UTC),
                  payload={"photo_jpeg": base64.b64encode(jpeg).decode()}, body_hash="0" * 64)
    session.add(event)
    session.flush()
    entry = session.get(PointEntry, plant.claim_id)
    assert entry is not None
    assert claims.with_photo(session, [entry]) == set()
    entry.event_id = event.id
    assert claims.with_photo(session, [entry]) == {entry.id}
    assert claims.claim_photo(session, entry.id) == jpeg
