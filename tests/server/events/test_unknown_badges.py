"""A badge_in without a worker: the kiosk did not know the badge. The server looks again
(people/badges.py `note_unknown_tap`): a card its roster did not carry yet is attendance
for its worker, an unknown one waits on HR's unknown-taps page. A card's number is never
stored with the event, nor hashed into it."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Badge, BadgeDigest, BadgeKind, Event, UnknownTap, Worker
from server.scoring import period_span
from server.services.devices.keys import ServerKeys
from server.services.people.badges import assign_card
from server.services.periods.closing import close_period
from shopfloor_trust.cards import legacy_card_digest
from support.factory import Factory, PostEvents, make_event

CARD = "04A1B2C3"


def _tap(number: str = CARD, **payload: Any) -> dict[str, Any]:
    return make_event("badge_in", worker=None,
                      payload={"card_number": number, "kind": "card", "reader": "ACS",
                               **payload})


def _events(session: Session) -> list[tuple[str | None, dict[str, Any]]]:
    session.rollback()
    session.expire_all()
    codes: dict[int, str] = dict(session.execute(select(Worker.id, Worker.code)).all())
    return [(codes.get(e.worker_id) if e.worker_id else None, e.payload)
            for e in session.scalars(select(Event).order_by(Event.id))]


def _nowhere_but_the_taps(session: Session, number: str) -> None:
    """The number is in no stored event, refused event or audit entry."""
    rows: list[Any] = [e.payload for e in session.scalars(select(Event))]
    rows += [a.after for a in session.scalars(select(AuditEntry))]
    text = json.dumps(rows) + "".join(e.body_hash for e in session.scalars(select(Event)))
    assert number not in text.upper() and legacy_card_digest(number) not in text


def test_a_card_the_kiosks_roster_lacked_is_its_workers_tap(
        session: Session, keys: ServerKeys, factory: Factory, post_events: PostEvents) -> None:
    assign_card(session, keys, "W002", CARD, "test")
    session.commit()
    tap = _tap("04:a1:b2:c3")  # as a reader may give it
    assert post_events(tap)[0]["status"] == "accepted"
    assert _events(session) == [("W002", {"kind": "card", "reader": "ACS"})]
    assert session.scalars(select(UnknownTap)).all() == []
    assert post_events(tap)[0]["status"] == "duplicate"
    _nowhere_but_the_taps(session, CARD)


def test_a_card_enrolled_before_keyed_digests_is_recognised_and_upgraded(
        session: Session, keys: ServerKeys, factory: Factory, post_events: PostEvents) -> None:
    worker = session.scalars(select(Worker).where(Worker.code == "W001")).one()
    session.add(Badge(worker=worker, kind=BadgeKind.CARD, digest=BadgeDigest.LEGACY,
                      credential_hash=legacy_card_digest(CARD)))
    session.commit()
    assert post_events(_tap())[0]["status"] == "accepted"
    assert _events(session) == [("W001", {"kind": "card", "reader": "ACS"})]
    badge = session.scalars(select(Badge)).one()
    assert (badge.digest, badge.credential_hash) == (BadgeDigest.KEYED, keys.card_digest(CARD))


def test_an_unknown_card_waits_for_hr_without_its_number_in_the_event(
        session: Session, factory: Factory, post_events: PostEvents) -> None:
    tap = _tap()
    assert post_events(tap)[0]["status"] == "accepted"
    assert _events(session) == [(None, {"kind": "card", "reader": "ACS", "unknown": True})]
    [kept] = session.scalars(select(UnknownTap)).all()
    assert (kept.number, kept.event_uuid) == (CARD, tap["uuid"])
    _nowhere_but_the_taps(session, CARD)
    # an old kiosk's card digest is not kept either
    legacy = make_event("badge_in", worker=None,
                        payload={"badge_hash": legacy_card_digest("04DEAD01"), "kind": "card"})
    assert post_events(legacy)[0]["status"] == "accepted"
    _nowhere_but_the_taps(session, "04DEAD01")


def test_another_workshops_card_is_an_unknown_tap_here(
        session: Session, keys: ServerKeys, factory: Factory, post_events: PostEvents) -> None:
    assign_card(session, keys, "W101", CARD, "test")
    session.commit()
    assert post_events(_tap())[0]["status"] == "accepted"
    assert _events(session) == [(None, {"kind": "card", "reader": "ACS", "unknown": True})]


def test_a_card_number_is_sent_only_for_a_badge_no_one_matched(
        factory: Factory, post_events: PostEvents) -> None:
    known = make_event("badge_in", payload={"card_number": CARD, "kind": "card"})
    both = _tap(badge_hash="ab" * 32)
    qr = _tap(kind="qr")
    bad = [_tap("XYZ"), _tap("0"), _tap("AB" * 17)]
    results = post_events(known, both, qr, *bad)
    assert [r["status"] for r in results] == ["rejected"] * 6
    assert "card_number is sent only for a badge that matched no worker" in results[0]["reason"]
    assert "card_number or badge_hash, not both" in results[1]["reason"]
    assert "a QR badge sends badge_hash" in results[2]["reason"]
    assert all(r["reason"].startswith("payload.card_number:") for r in results[3:])


def test_a_recognised_card_for_a_closed_day_is_refused(
        session: Session, keys: ServerKeys, factory: Factory, post_events: PostEvents) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.now(zone).date()
    last_week = period_span("week", today - timedelta(days=7))
    close_period(session, "W1", "week", last_week.label, "hr", zone, today)
    assign_card(session, keys, "W002", CARD, "test")
    session.commit()
    tap = _tap()
    tap["occurred_at"] = datetime.combine(last_week.start, time(8), zone).isoformat()
    [result] = post_events(tap)
    assert result["status"] == "rejected" and "is closed for W1" in result["reason"]
    assert _events(session) == []
