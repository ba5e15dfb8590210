"""Ingest writes plain events and kiosk production records with Core statements, which the
day sums' flush hook cannot see: it marks them itself (services/scores/aggregates.py), the
badge-ins it inserted as added (counted, not summed again)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Kiosk, Worker
from server.services.devices.keys import ServerKeys
from server.services.events import effects
from server.services.events.effects import DEFAULT_OFFLINE_WINDOW
from server.services.events.ingest import ingest, prepare
from server.services.production import from_kiosk
from support.factory import make_event

ZONE = ZoneInfo("Asia/Shanghai")  # the tests' zone (tests/conftest.py)


@pytest.mark.usefixtures("factory")
def test_core_written_events_and_records_are_marked(
        session: Session, keys: ServerKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[tuple[int | None, datetime]] = []
    days: list[tuple[int, date]] = []
    real_events, real_days = effects.mark_added_badge_ins, from_kiosk.mark_days

    def mark_added(session: Session, rows: Iterable[tuple[int | None, datetime]]) -> None:
        rows = list(rows)
        events.extend(rows)
        real_events(session, rows)

    def mark_days(session: Session, keys: Iterable[tuple[int, date]]) -> None:
        keys = list(keys)
        days.extend(keys)
        real_days(session, keys)

    monkeypatch.setattr(effects, "mark_added_badge_ins", mark_added)
    monkeypatch.setattr(from_kiosk, "mark_days", mark_days)
    kiosk = session.scalars(select(Kiosk).where(Kiosk.name == "K1")).one()
    worker = session.scalars(select(Worker.id).where(Worker.code == "W001")).one()
    # 10:00 in the factory yesterday: the day shift of yesterday's date
    at = (datetime.now(ZONE) - timedelta(days=1)).replace(hour=10, minute=0, second=0,
                                                          microsecond=0).astimezone(UTC)
    sent: list[dict[str, Any]] = [
        make_event("badge_in", occurred_at=at),
        make_event("machine_start", payload={"machine": "M1"}, occurred_at=at),
        make_event("output", payload={"machine": "M1", "count": 5},
                   occurred_at=at + timedelta(minutes=5)),
    ]
    results = ingest(session, kiosk, prepare(sent), ZONE, keys=keys,
                     offline_window=DEFAULT_OFFLINE_WINDOW)
    assert {r.status for r in results} == {"accepted"}
    assert events == [(worker, at)]  # the badge-in; the others make a production record
    assert days == [(worker, at.astimezone(ZONE).date())]

    # a second count changes the record: marked again
    events.clear()
    days.clear()
    more = [make_event("output", payload={"machine": "M1", "count": 2},
                       occurred_at=at + timedelta(minutes=9))]
    ingest(session, kiosk, prepare(more), ZONE, keys=keys,
           offline_window=DEFAULT_OFFLINE_WINDOW)
    assert events == []
    assert days == [(worker, at.astimezone(ZONE).date())]
