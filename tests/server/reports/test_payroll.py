"""Payroll on the seeded plant: the bonus of every award, the monthly reminder, and that
it is paid from closed periods only (snapshots), on both engines."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from server.scoring import period_span
from server.services import InvalidInput
from server.services.imports import import_production, import_workers
from server.services.periods.closing import close_period, reopen_period
from server.services.reports import payroll
from support.factory import Factory, Plant, expected_scores, last_month_days
from support.factory import plant_zone as _zone


def test_payroll_pays_the_bonus_of_every_award(app: Flask, session: Session,
                                               plant: Plant) -> None:
    payroll.save_settings(session, payroll.PayrollSettings({"excellent": 300, "good": 100},
                                                           25), "test")
    start = plant.last_month.replace(day=1)
    # Payroll is paid from closed months only: close last month first.
    close_period(session, None, "month", period_span("month", start).label, "test",
                 _zone(app), plant.today)
    rows = payroll.payroll_rows(session, start, _zone(app), plant.today)
    best = expected_scores(plant.today)[0]
    mine = next(r for r in rows if r[1] == best.worker_code)
    assert mine[-1] == 300
    assert payroll.reminder_due(payroll.get_settings(session), plant.today.replace(day=25))
    assert not payroll.reminder_due(payroll.get_settings(session), plant.today.replace(day=24))
    with pytest.raises(InvalidInput):
        payroll.save_settings(session, payroll.PayrollSettings({}, 31), "test")


# --- Paid from closed periods only ---------------------------------------------------

HEADER = "date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects\n"


def _label(plant: Plant) -> str:
    return period_span("month", plant.last_month).label


def _rows(app: Flask, session: Session, plant: Plant, **kw: str) -> list[list[object]]:
    return payroll.payroll_rows(session, plant.last_month.replace(day=1), _zone(app),
                                plant.today, **kw)


def test_an_open_month_is_refused_saying_how_to_close_it(app: Flask, session: Session,
                                                          plant: Plant) -> None:
    month = _label(plant)
    with pytest.raises(InvalidInput) as refused:
        _rows(app, session, plant)
    assert str(refused.value) == (
        f"{month} is not closed for W1: close it with `shopfloor-server period close "
        f"--workshop W1 --month {month}` or on the Periods page; also not closed: W2 {month}")
    close_period(session, "W1", "month", month, "test", _zone(app), plant.today)
    assert {row[0] for row in _rows(app, session, plant, workshop="W1")} == {"W1"}
    with pytest.raises(InvalidInput, match=f"^{month} is not closed for W2: .*--workshop W2"):
        _rows(app, session, plant)
    running = period_span("month", plant.today)
    with pytest.raises(InvalidInput, match=f"^{running.label} has not ended yet for W1"):
        payroll.payroll_rows(session, running.start, _zone(app), plant.today)
    with pytest.raises(InvalidInput, match="format: xlsx or csv"):
        payroll.payroll_file(session, running.start, "pdf", _zone(app), plant.today)


def test_payroll_reads_the_snapshot_not_late_data(app: Flask, session: Session,
                                                  plant: Plant) -> None:
    zone, month = _zone(app), _label(plant)
    close_period(session, None, "month", month, "test", zone, plant.today)
    session.commit()
    paid = _rows(app, session, plant)
    assert {row[3] for row in paid} == {month} and {row[4] for row in paid} == {1}
    # A late row booked into the open month, and a hire who did not work that month.
    day = last_month_days(plant.today)[2].isoformat()
    import_production(session, (HEADER + f"{day},night,A002,CNC-01,480,300,5000,0\n").encode(),
                      "late.csv", actor="test", into_open=True, zone=zone)
    import_workers(session, b"code,name,workshop,role,language\nN001,New,W1,worker,en\n",
                   "new.csv", actor="test")
    session.commit()
    assert _rows(app, session, plant) == paid
    # Reopened, the month is not paid from until it is closed again, as version 2.
    reopen_period(session, "W1", "month", month, "test", "late MES batch")
    with pytest.raises(InvalidInput, match=f"^{month} is not closed for W1"):
        _rows(app, session, plant)
    close_period(session, "W1", "month", month, "test", zone, plant.today)
    again = {row[1]: row for row in _rows(app, session, plant, workshop="W1")}
    assert {row[4] for row in again.values()} == {2}
    before = {row[1]: row for row in paid}
    assert again["A002"][5] == before["A002"][5] + 30  # the late night shift, now in place


def test_the_weeks_of_a_month_are_those_whose_thursday_falls_in_it() -> None:
    labels = [w.label for w in payroll.weeks_of(period_span("month", date(2026, 3, 1)))]
    assert labels == ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
    december = [w.label for w in payroll.weeks_of(period_span("month", date(2026, 12, 1)))]
    assert december == ["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"]
    january = payroll.weeks_of(period_span("month", date(2027, 1, 1)))
    assert january[0].label == "2027-W01" and january[0].start == date(2027, 1, 4)


def test_a_weekly_scheme_is_paid_week_by_week(app: Flask, session: Session,
                                              factory: Factory) -> None:
    """March 2026 under the factory's weekly scheme: its four weeks, each closed."""
    zone, today = _zone(app), date(2026, 12, 6)
    march = date(2026, 3, 1)
    for week in ("2026-W10", "2026-W11", "2026-W12"):
        close_period(session, "W1", "week", week, "test", zone, today)
    with pytest.raises(InvalidInput) as refused:
        payroll.payroll_rows(session, march, zone, today, workshop="W1")
    assert str(refused.value) == (
        "payroll 2026-03: 2026-W13 is not closed for W1: close it with `shopfloor-server "
        "period close --workshop W1 --week 2026-W13` or on the Periods page")
    close_period(session, "W1", "week", "2026-W13", "test", zone, today)
    rows = payroll.payroll_rows(session, march, zone, today, workshop="W1")
    weeks = [row[3] for row in rows]
    assert sorted(set(weeks)) == ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
    assert weeks.count("2026-W10") == len(rows) // 4
