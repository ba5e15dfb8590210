"""Reports on the seeded plant: they agree with the scoring engine, come as xlsx, csv and
pdf, and the CLI writes the same file."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from server.models import RecordSource
from server.scoring import Period, period_span
from server.services import InvalidInput
from server.services.periods.closing import close_period, reopen_period
from server.services.production.records import ProductionRow, upsert_production
from server.services.reports import reports
from support.factory import Plant, expected_scores, last_month_days
from support.factory import plant_zone as _zone
from support.pdf import assert_pdf_text as _assert_pdf_text


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


def test_a_closed_month_is_reported_from_its_snapshot_with_what_changed(
    app: Flask, session: Session, plant: Plant
) -> None:
    zone, month = _zone(app), period_span("month", plant.last_month).label
    live = reports.build_report(session, "W1", Period.MONTH, plant.last_month, zone,
                                plant.today)
    assert live.settled is None and live.changes == []
    close_period(session, "W1", "month", month, "test", zone, plant.today)
    closed = reports.build_report(session, "W1", Period.MONTH, plant.last_month, zone,
                                  plant.today)
    assert closed.version == 1 and closed.changes == []
    assert [(r.code, r.total, r.lines) for r in closed.rows] == [
        (r.code, r.total, r.lines) for r in live.rows]
    reopen_period(session, "W1", "month", month, "test", "late MES batch")
    day = last_month_days(plant.today)[2]
    upsert_production(session, [ProductionRow(day, "night", "A002", "CNC-01", 480, 300, 5000,
                                              0)], RecordSource.IMPORT, "test")
    close_period(session, "W1", "month", month, "test", zone, plant.today)
    again = reports.build_report(session, "W1", Period.MONTH, plant.last_month, zone,
                                 plant.today)
    assert again.version == 2 and [c["worker"] for c in again.changes] == ["A002"]
    book = load_workbook(io.BytesIO(reports.render(again, "xlsx")))
    assert "version 2" in str(book["Scores"]["A2"].value)
    changes = [[c.value for c in row] for row in book["Changes"].iter_rows(min_row=3)]
    assert changes[0][0] == "A002" and changes[0][2] == changes[0][1] + 30
    _assert_pdf_text(reports.render(again, "pdf"), "Changes from version 1 to 2")
