"""Closing, refusing late data, reopening and closing again, on both engines."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    AuditEntry,
    PeriodState,
    ProductionRecord,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    Worker,
)
from server.scoring import period_span
from server.services import Conflict, InvalidInput
from server.services.imports import import_production
from server.services.periods.closing import close_period, list_periods, reopen_period
from server.services.scores.scorecards import leaderboard, worker_scorecard
from support.factory import Plant, last_month_days

HEADER = "date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects\n"


def _zone(app: Flask) -> ZoneInfo:
    return app.config["SHOPFLOOR"].zone


def _month(plant: Plant) -> str:
    return period_span("month", plant.last_month).label


def _close(session: Session, app: Flask, plant: Plant, **kw: object) -> list:
    results = close_period(session, "W1", "month", _month(plant), "hr", _zone(app),
                           plant.today, **kw)  # type: ignore[arg-type]
    session.commit()
    return results


def test_a_closed_month_is_read_from_its_snapshot(app: Flask, session: Session,
                                                   plant: Plant) -> None:
    zone = _zone(app)
    live = worker_scorecard(session, "A001", "month", plant.last_month, zone, today=plant.today)
    [result] = _close(session, app, plant)
    assert (result.workshop, result.period, result.version) == ("W1", _month(plant), 1)
    assert result.workers == 4 and not result.forced
    settled = worker_scorecard(session, "A001", "month", plant.last_month, zone)
    assert settled["settled"]["version"] == 1
    assert settled["total"] == live["total"] and settled["rank"] == live["rank"]
    board = leaderboard(session, "W1", "month", plant.last_month, zone)
    assert board["settled"]["period"] == _month(plant)
    assert [r["code"] for r in board["standings"]][:1] == ["A001"]
    rows = {r["period"]: r for r in list_periods(session, "W1", plant.today)}
    assert rows[_month(plant)]["state"] == "closed"
    assert rows[period_span("month", plant.today).label]["state"] == "open"
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "period.close")) == 1


def test_a_closed_period_is_not_closed_again_even_forced(app: Flask, session: Session,
                                                         plant: Plant) -> None:
    _close(session, app, plant)
    for kw in ({}, {"force": True, "reason": "again"}):
        with pytest.raises(Conflict, match=f"{_month(plant)} is already closed for W1.*reopen"):
            _close(session, app, plant, **kw)
    assert session.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_bad_requests_are_refused_and_change_nothing(app: Flask, session: Session,
                                                     plant: Plant) -> None:
    zone = _zone(app)
    this_month = period_span("month", plant.today).label
    with pytest.raises(InvalidInput, match="has not ended yet"):
        close_period(session, "W1", "month", this_month, "hr", zone, plant.today)
    week = period_span("week", plant.last_month).label
    with pytest.raises(InvalidInput, match="scored by the month.*--month"):
        close_period(session, "W1", "week", week, "hr", zone, plant.today)
    with pytest.raises(InvalidInput, match="not a month like"):
        close_period(session, "W1", "month", "2026-13", "hr", zone, plant.today)
    with pytest.raises(InvalidInput, match="--force needs --reason"):
        close_period(session, "W1", "month", _month(plant), "hr", zone, plant.today,
                     force=True)
    with pytest.raises(Conflict, match="is open for W1: nothing to reopen"):
        reopen_period(session, "W1", "month", _month(plant), "hr", "why not")
    assert session.scalar(select(func.count()).select_from(SettledPeriod)) == 0


def test_gaps_refuse_a_close_unless_forced_with_a_reason(app: Flask, session: Session,
                                                         plant: Plant) -> None:
    gap = last_month_days(plant.today)[3]
    session.execute(delete(ProductionRecord).where(ProductionRecord.date == gap))
    session.commit()
    with pytest.raises(InvalidInput, match=f"{gap.isoformat()} .*no production record"):
        _close(session, app, plant)
    [result] = _close(session, app, plant, force=True, reason="holiday: line stopped")
    assert result.forced and any(gap.isoformat() in f for f in result.flags)
    snapshot = session.scalars(select(Snapshot)).one()
    assert snapshot.reason == "holiday: line stopped" and snapshot.forced


def _late_row(plant: Plant, output: int = 400) -> bytes:
    """A night shift A002 worked last month and nobody reported: with enough good pieces
    it brings A002's defect rate under target (+30 points)."""
    day = last_month_days(plant.today)[2].isoformat()
    return (HEADER + f"{day},night,A002,CNC-01,480,300,{output},0\n").encode()


def test_late_rows_are_refused_naming_the_period(app: Flask, session: Session,
                                                 plant: Plant) -> None:
    _close(session, app, plant)
    before = session.scalar(select(func.sum(ProductionRecord.output)))
    report = import_production(session, _late_row(plant), "late.csv", actor="hr")
    assert not report.imported
    [error] = report.errors
    assert error.row == 2 and error.field == "date"
    assert f"{_month(plant)} is closed for W1" in error.reason and "--into-open" in error.reason
    assert session.scalar(select(func.sum(ProductionRecord.output))) == before


def test_into_open_books_an_adjustment_and_the_snapshot_stays(app: Flask, session: Session,
                                                              plant: Plant) -> None:
    zone = _zone(app)
    _close(session, app, plant)
    frozen = worker_scorecard(session, "A002", "month", plant.last_month, zone)
    report = import_production(session, _late_row(plant, output=5000), "late.csv", actor="hr",
                               into_open=True, zone=zone)
    session.commit()
    assert report.imported and report.created == 1
    [line] = session.scalars(select(Adjustment)).all()
    assert line.points == 30 and line.source == "production"
    assert line.original_date == last_month_days(plant.today)[2]
    assert period_span("month", plant.today).contains(line.booked_on)
    assert report.adjustments[0]["points"] == line.points
    again = worker_scorecard(session, "A002", "month", plant.last_month, zone)
    assert again["total"] == frozen["total"]
    current = worker_scorecard(session, "A002", "month", plant.today, zone, today=plant.today)
    assert [a["points"] for a in current["adjustments"]] == [line.points]
    assert current["adjustment_points"] == line.points


def test_reopen_close_again_shows_what_changed(app: Flask, session: Session,
                                               plant: Plant) -> None:
    zone = _zone(app)
    _close(session, app, plant)
    import_production(session, _late_row(plant, output=5000), "late.csv", actor="hr",
                      into_open=True, zone=zone)
    session.commit()
    with pytest.raises(InvalidInput, match="--reason is required"):
        reopen_period(session, "W1", "month", _month(plant), "admin", "  ")
    row = reopen_period(session, "W1", "month", _month(plant), "admin", "late MES batch")
    session.commit()
    assert row.state is PeriodState.REOPENED
    assert session.scalars(select(Adjustment)).one().cancelled_at is not None
    live = worker_scorecard(session, "A002", "month", plant.last_month, zone)
    assert "settled" not in live
    [result] = _close(session, app, plant)
    assert result.version == 2
    [change] = [c for c in result.changes if c["worker"] == "A002"]
    assert change["total"][1] == change["total"][0] + 30
    settled = worker_scorecard(session, "A002", "month", plant.last_month, zone)
    assert settled["settled"]["version"] == 2 and settled["total"] == change["total"][1]
    # nothing is paid twice: the cancelled line is not replaced by another
    assert session.scalar(select(func.count()).select_from(Adjustment)
                          .where(Adjustment.cancelled_at.is_(None))) == 0
    worker = session.scalars(select(Worker).where(Worker.code == "A002")).one()
    cards = session.scalars(select(SnapshotCard).where(SnapshotCard.worker_id == worker.id))
    assert len(list(cards)) == 2


def test_closing_every_workshop_at_once(app: Flask, session: Session, plant: Plant) -> None:
    results = close_period(session, None, "month", _month(plant), "hr", _zone(app),
                           plant.today)
    session.commit()
    assert [r.workshop for r in results] == ["W1", "W2"]
    assert {r["workshop"] for r in list_periods(session, None, plant.today)
            if r["state"] == "closed"} == {"W1", "W2"}
