"""A kiosk event dated in a closed week, sent over raw HTTP with a kiosk's token: refused
with the period named, kept once however often it is resent, and booked by HR into the
open week as an adjustment, while the closed week's snapshot stays as it was paid."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Adjustment, Event, RefusedEvent
from server.scoring import period_span
from server.services import Conflict
from server.services.events.ingest import book_refused
from server.services.events.refused import list_refused
from server.services.periods.closing import close_period
from server.services.scores.scorecards import worker_scorecard
from support.factory import Factory, make_event

pytestmark = pytest.mark.usefixtures("factory")


def _closed_week(app: Flask, session: Session) -> tuple[ZoneInfo, datetime]:
    """Close last week for W1; returns the zone and 08:00 on last week's Tuesday."""
    zone: ZoneInfo = app.config["SHOPFLOOR"].zone
    today = datetime.now(zone).date()
    last_week = period_span("week", today - timedelta(days=7))
    close_period(session, "W1", "week", last_week.label, "hr", zone, today)
    session.commit()
    tuesday = last_week.start + timedelta(days=1)
    return zone, datetime.combine(tuesday, time(8), zone)


def _post(client: FlaskClient, factory: Factory, *events: dict) -> list[dict]:
    response = client.post("/api/v1/events", json={"events": list(events)},
                           headers={"Authorization": f"Bearer {factory.kiosk_token}"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def test_a_late_kiosk_event_is_refused_kept_once_and_booked(
        app: Flask, session: Session, factory: Factory) -> None:
    client = app.test_client()
    zone, at = _closed_week(app, session)
    week = period_span("week", at.date()).label
    frozen = worker_scorecard(session, "W001", "week", at.date(), zone)
    start = make_event("machine_start", payload={"machine": "M1"}, occurred_at=at)
    stop = make_event("machine_stop", payload={"machine": "M1"},
                      occurred_at=at + timedelta(hours=8))
    results = _post(client, factory, start, stop)
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert all(f"{week} is closed for W1" in r["reason"] for r in results)
    # The kiosk resends what it is unsure of: still refused, still kept once.
    assert [r["status"] for r in _post(client, factory, start)] == ["rejected"]
    assert session.scalar(select(func.count()).select_from(RefusedEvent)) == 2
    assert session.scalar(select(func.count()).select_from(Event)
                          .where(Event.uuid == start["uuid"])) == 0
    # Today's events are taken as ever.
    now = make_event("badge_in", payload={"kind": "card"})
    assert _post(client, factory, now)[0]["status"] == "accepted"

    waiting = list_refused(session)
    assert [r.uuid for r in waiting] == [start["uuid"], stop["uuid"]]
    for row in waiting:
        book_refused(session, row.id, "user:hr", zone)
    session.commit()
    assert list_refused(session) == []
    with pytest.raises(Conflict, match="booked already"):
        book_refused(session, waiting[0].id, "user:hr", zone)
    stored = session.scalar(select(func.count()).select_from(Event)
                            .where(Event.uuid.in_([start["uuid"], stop["uuid"]])))
    assert stored == 2
    lines = session.scalars(select(Adjustment)).all()
    assert lines and all(line.source == "event" for line in lines)
    assert lines[-1].original_date == at.date()
    booked = sum(line.points for line in lines)
    assert booked > 0 and booked == pytest.approx(sum(r.adjustment_points or 0
                                                      for r in list_refused(session, booked=True)))
    # The closed week still reads as it was paid; the open week carries the adjustment.
    assert worker_scorecard(session, "W001", "week", at.date(), zone)["total"] == frozen["total"]
    current = worker_scorecard(session, "W001", "week", datetime.now(zone).date(), zone)
    assert current["adjustment_points"] == pytest.approx(booked)
