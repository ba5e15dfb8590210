"""The plant dashboard's week: a day without production is flagged."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from server.services.reports import dashboard
from support.factory import Plant, last_month_days
from support.factory import plant_zone as _zone


def test_the_dashboard_flags_a_missing_day_and_shift(app: Flask, session: Session,
                                                     plant: Plant) -> None:
    day = last_month_days(plant.today)[3]
    session.execute(text("DELETE FROM production_records WHERE date = :d"), {"d": day})
    weeks = dashboard.plant_week(session, day, plant.today, _zone(app), with_scores=False)
    w1 = next(w for w in weeks if w.code == "W1")
    states = {d.day: d.state for d in w1.days}
    assert states[day] == "missing"
    assert states[day - timedelta(days=1)] in ("ok", "missing")  # a Monday has no day before
