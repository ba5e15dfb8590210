"""The server's clock decides which events it takes on a kiosk's word: one older than the
kiosk offline window (SHOPFLOOR_OFFLINE_WINDOW_DAYS, 14 days by default) or more than five
minutes ahead is refused and kept for HR, who can book it (skipping these rules, as booking
skips closed periods)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import create_app
from server.config import Config
from server.models import (
    Event,
    Kiosk,
    PointEntry,
    ProductionRecord,
    RefusedEvent,
    UnknownTap,
    Workshop,
)
from server.services.devices.keys import ServerKeys
from server.services.events.effects import FUTURE_LEEWAY
from server.services.events.ingest import book_refused, ingest, prepare
from support.factory import SUPERVISOR_PIN, PostEvents, bearer, build_factory, make_event
from support.seals import seal_one

OLD = ("occurred_at: older than the kiosk offline window (14 days); HR can book it from the "
       "refused events")
AHEAD = "occurred_at: more than 5 minutes in the future; check the kiosk's clock"
ZONE = ZoneInfo("Asia/Shanghai")  # the tests' zone (tests/conftest.py)


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(**delta)


def _output(at: datetime, worker: str = "W001") -> dict[str, Any]:
    return make_event("output", worker=worker, payload={"machine": "M1", "count": 5},
                      occurred_at=at)


def _refused(session: Session) -> dict[str, RefusedEvent]:
    session.rollback()
    session.expire_all()
    return {row.uuid: row for row in session.scalars(select(RefusedEvent))}


def _stored(session: Session, uuid: str) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.uuid == uuid)) or 0


def _w1(session: Session) -> int:
    return session.scalars(select(Workshop.id).where(Workshop.code == "W1")).one()


@pytest.mark.usefixtures("factory")
def test_an_event_older_than_the_window_is_refused_and_kept_once(
        session: Session, post_events: PostEvents) -> None:
    old, inside = _output(_ago(days=14, minutes=5)), _output(_ago(days=13, hours=23))
    assert post_events(old, inside) == [
        {"uuid": old["uuid"], "status": "rejected", "reason": OLD},
        {"uuid": inside["uuid"], "status": "accepted"}]
    assert post_events(old)[0]["reason"] == OLD  # resent: refused again, kept once
    kept = _refused(session)
    assert list(kept) == [old["uuid"]]
    assert (kept[old["uuid"]].reason, kept[old["uuid"]].workshop_id) == (OLD, _w1(session))
    assert (_stored(session, old["uuid"]), _stored(session, inside["uuid"])) == (0, 1)
    assert session.scalar(select(func.count()).select_from(ProductionRecord)) == 1


@pytest.mark.usefixtures("factory")
def test_an_event_more_than_five_minutes_ahead_is_refused_and_kept(
        session: Session, post_events: PostEvents) -> None:
    assert timedelta(minutes=5) == FUTURE_LEEWAY
    soon, ahead = _output(_ago(minutes=-4)), _output(_ago(minutes=-6))
    assert [r.get("reason") for r in post_events(soon, ahead)] == [None, AHEAD]
    kept = _refused(session)
    assert list(kept) == [ahead["uuid"]] and kept[ahead["uuid"]].reason == AHEAD


def test_the_window_is_the_servers_setting(migrated: Config) -> None:
    app = create_app(replace(migrated, offline_window_days=3))
    try:
        with app.extensions["shopfloor.sessionmaker"]() as session:
            token = build_factory(session).kiosk_token
        old, inside = _output(_ago(days=3, minutes=5)), _output(_ago(days=2, hours=23))
        answer = app.test_client().post("/api/v1/events", json={"events": [old, inside]},
                                        headers=bearer(token))
        assert [r.get("reason") for r in answer.get_json()["results"]] == [
            OLD.replace("14 days", "3 days"), None]
    finally:
        app.extensions["shopfloor.engine"].dispose()


@pytest.mark.usefixtures("factory")
def test_ingest_takes_the_window_it_is_given(session: Session, keys: ServerKeys) -> None:
    kiosk = session.scalars(select(Kiosk).where(Kiosk.name == "K1")).one()
    events = [_output(_ago(days=2)), _output(_ago(days=1))]
    results = ingest(session, kiosk, prepare(events), ZONE, keys=keys,
                     offline_window=timedelta(days=1, hours=12))
    assert [r.reason for r in results] == [OLD.replace("14 days", "1 day"), None]


@pytest.mark.usefixtures("factory")
def test_an_old_act_is_kept_only_with_a_good_proof_and_booked_without_one(
        session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    def remark(pin: str) -> dict[str, Any]:
        return seal_one(keys, pin, make_event("remark", occurred_at=_ago(days=20), payload={
            "category": "fault_fix", "points": 4, "given_by": "S001"}))

    good, forged = remark(SUPERVISOR_PIN), remark("999999")
    assert [r["reason"] for r in post_events(good, forged)] == [
        OLD, "proof: wrong PIN for S001 (4 tries left before a lock)"]
    kept = _refused(session)
    assert list(kept) == [good["uuid"]]  # a forged act is nothing for HR to book
    assert "proof" not in kept[good["uuid"]].body
    book_refused(session, kept[good["uuid"]].id, "user:hr", ZONE)
    session.commit()
    entry = session.scalars(select(PointEntry)).one()
    day = datetime.fromisoformat(good["occurred_at"]).astimezone(ZONE).date()
    assert (entry.points, entry.date) == (4, day)


@pytest.mark.usefixtures("factory")
def test_an_old_decision_without_a_worker_is_kept_for_the_kiosks_workshop(
        session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    claim = make_event("point_claim", payload={"category": "tidy_5s"})
    decision = seal_one(keys, SUPERVISOR_PIN, make_event(
        "claim_decision", worker=None, occurred_at=_ago(days=15),
        payload={"claim": claim["uuid"], "decision": "approve", "decided_by": "S001"}))
    assert [r.get("reason") for r in post_events(claim, decision)] == [None, OLD]
    assert _refused(session)[decision["uuid"]].workshop_id == _w1(session)


@pytest.mark.usefixtures("factory")
def test_an_old_unknown_badge_is_refused_and_not_kept(
        session: Session, post_events: PostEvents) -> None:
    tap = make_event("badge_in", worker=None, occurred_at=_ago(days=15),
                     payload={"card_number": "04C0FFEE", "kind": "card"})
    assert post_events(tap)[0]["reason"] == OLD
    assert _refused(session) == {}
    assert session.scalars(select(UnknownTap)).all() == []


@pytest.mark.usefixtures("factory")
def test_hr_books_an_event_from_before_the_window(
        session: Session, post_events: PostEvents) -> None:
    old = _output(_ago(days=30))
    assert post_events(old)[0]["reason"] == OLD
    row = _refused(session)[old["uuid"]]
    booked = book_refused(session, row.id, "user:hr", ZONE)
    session.commit()
    assert booked.booked_by == "user:hr" and _stored(session, old["uuid"]) == 1
    assert session.scalars(select(ProductionRecord.output)).all() == [5]
    # the kiosk sends it once more: stored now, so a duplicate
    assert post_events(old) == [{"uuid": old["uuid"], "status": "duplicate"}]
