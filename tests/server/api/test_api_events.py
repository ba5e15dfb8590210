"""POST /events: per-event results, idempotence by UUID and body, malformed input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.api import feeds
from server.models import Event
from server.services.events.kinds import body_hash, event_adapter
from support.factory import Factory, PostEvents, bearer, make_event

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Event)) or 0


def test_a_batch_is_answered_event_by_event_in_order(post_events: PostEvents,
                                                     session: Session) -> None:
    good = make_event("badge_in")
    bad = make_event("output", payload={"machine": "M1", "count": 0})
    other = make_event("output", payload={"machine": "M1", "count": 3})
    results = post_events(good, bad, other)
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert [r["uuid"] for r in results] == [good["uuid"], bad["uuid"], other["uuid"]]
    assert results[1]["reason"].startswith("payload.count:")
    assert "reason" not in results[0]
    assert _count(session) == 2


def test_a_resent_event_is_a_duplicate_and_stored_once(post_events: PostEvents,
                                                       session: Session) -> None:
    event = make_event("output", payload={"machine": "M1", "count": 5})
    assert post_events(event)[0]["status"] == "accepted"
    assert post_events(event)[0] == {"uuid": event["uuid"], "status": "duplicate"}
    assert _count(session) == 1


def test_the_same_event_twice_in_one_batch_counts_once(post_events: PostEvents,
                                                       session: Session) -> None:
    event = make_event("output", payload={"machine": "M1", "count": 5})
    assert [r["status"] for r in post_events(event, event)] == ["accepted", "duplicate"]
    assert _count(session) == 1


def test_a_resent_event_spelt_differently_is_still_a_duplicate(post_events: PostEvents) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    event = make_event("output", payload={"machine": "M1", "count": 5},
                       occurred_at=at.astimezone(SHANGHAI).isoformat())
    post_events(event)
    respelt = {**event, "uuid": event["uuid"].upper(),
               "occurred_at": at.isoformat().replace("+00:00", "Z"),
               "payload": {"count": 5, "machine": "M1"}}
    assert post_events(respelt)[0]["status"] == "duplicate"


def test_the_same_uuid_with_another_body_is_rejected_not_merged(
    post_events: PostEvents, session: Session
) -> None:
    event = make_event("output", payload={"machine": "M1", "count": 5})
    post_events(event)
    changed = {**event, "payload": {"machine": "M1", "count": 6}}
    result = post_events(changed)[0]
    assert result["status"] == "rejected" and result["reason"].startswith("uuid:")
    stored = session.scalars(select(Event)).one()
    assert stored.payload == {"machine": "M1", "count": 5}
    # and inside one batch
    fresh = make_event("badge_in")
    results = post_events(fresh, {**fresh, "worker": "W002"})
    assert [r["status"] for r in results] == ["accepted", "rejected"]


def test_a_rejected_event_sent_twice_in_a_batch_is_rejected_twice(
    post_events: PostEvents
) -> None:
    event = make_event("badge_in", worker="NOBODY")
    results = post_events(event, event)
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[0]["reason"] == results[1]["reason"] == "unknown worker 'NOBODY'"


@pytest.mark.parametrize(("event", "reason"), [
    (make_event("badge_in", worker="NOBODY"), "unknown worker 'NOBODY'"),
    (make_event("badge_in", worker="W101"), "worker 'W101' is not in this kiosk's workshops"),
    (make_event("badge_in", worker="W999"), "worker 'W999' is not active"),
    (make_event("output", payload={"machine": "M9", "count": 1}),
     "machine 'M9' is not in this kiosk's workshops"),
    (make_event("output", payload={"machine": "MX", "count": 1}), "unknown machine 'MX'"),
    (make_event("badge_in", occurred_at=datetime.now(UTC) + timedelta(hours=2)),
     "occurred_at: more than 5 minutes in the future; check the kiosk's clock"),
    (make_event("badge_in", occurred_at=datetime.now(UTC) - timedelta(days=15)),
     "occurred_at: older than the kiosk offline window (14 days); HR can book it from the "
     "refused events"),
])
def test_events_naming_what_the_kiosk_may_not_are_rejected(
    post_events: PostEvents, session: Session, event: dict, reason: str  # type: ignore[type-arg]
) -> None:
    assert post_events(event)[0] == {"uuid": event["uuid"], "status": "rejected",
                                     "reason": reason}
    assert _count(session) == 0


def test_an_unknown_badge_is_logged_with_no_worker_and_no_number(post_events: PostEvents,
                                                                 session: Session) -> None:
    card = make_event("badge_in", worker=None, payload={"card_number": "04c0ffee",
                                                        "kind": "card", "reader": "ACS 00 00"})
    qr = make_event("badge_in", worker=None, payload={"badge_hash": "ab" * 32, "kind": "qr"})
    assert [r["status"] for r in post_events(card, qr)] == ["accepted", "accepted"]
    stored = {e.uuid: e for e in session.scalars(select(Event))}
    assert stored[card["uuid"]].worker_id is None
    assert stored[card["uuid"]].payload == {"kind": "card", "reader": "ACS 00 00",
                                            "unknown": True}
    assert stored[qr["uuid"]].payload == {"badge_hash": "ab" * 32, "kind": "qr",
                                          "unknown": True}
    assert post_events(card)[0]["status"] == "duplicate"
    assert post_events(make_event("badge_in", worker=None))[0]["reason"].startswith("event:")


@pytest.mark.parametrize(("change", "field"), [
    ({"uuid": "not-a-uuid"}, "uuid"),
    ({"kind": "teleport"}, "kind"),
    ({"occurred_at": "2026-11-23T08:00:00"}, "occurred_at"),  # no offset
    ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
    ({"worker": ""}, "worker"),
    ({"payload": {"machine": "M1", "count": 1, "extra": 1}}, "payload.extra"),
    ({"payload": {"machine": "M1", "count": "many"}}, "payload.count"),
    ({"payload": {"machine": "M\x00", "count": 1}}, "payload.machine"),
    ({"surprise": True}, "surprise"),
])
def test_a_malformed_event_is_rejected_naming_the_field(
    post_events: PostEvents, change: dict, field: str  # type: ignore[type-arg]
) -> None:
    event = make_event("output", payload={"machine": "M1", "count": 1}) | change
    result = post_events(event)[0]
    assert result["status"] == "rejected"
    assert result["reason"].startswith(f"{field}:") or f"; {field}:" in result["reason"]


def test_a_missing_kind_says_so(post_events: PostEvents) -> None:
    event = make_event("badge_in")
    del event["kind"]
    assert post_events(event)[0]["reason"].startswith("kind: Field required")


def test_non_objects_in_the_batch_are_rejected_one_by_one(post_events: PostEvents) -> None:
    results = post_events(7, "x", make_event("badge_in"))  # type: ignore[arg-type]
    assert [r["status"] for r in results] == ["rejected", "rejected", "accepted"]
    assert results[0] == {"uuid": None, "status": "rejected",
                          "reason": "event: must be a JSON object"}


@pytest.mark.parametrize(("body", "status", "needle"), [
    ({}, 422, "events: Field required"),
    ({"events": "x"}, 422, "events:"),
    ({"events": [], "extra": 1}, 422, "extra:"),
    ({"events": [make_event("badge_in")] * 501}, 422, "events: List should have at most 500"),
    ([1, 2], 422, "Input should be a valid dictionary"),
])
def test_a_malformed_envelope_is_a_4xx_naming_the_field(
    client: FlaskClient, kiosk_headers: dict[str, str], body: object, status: int, needle: str
) -> None:
    response = client.post("/api/v1/events", json=body, headers=kiosk_headers)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == "invalid_body" and needle in error["message"]


def test_a_body_that_is_not_json_is_400(client: FlaskClient,
                                        kiosk_headers: dict[str, str]) -> None:
    for data, content_type in (("{nope", "application/json"), ("events=1", "text/plain")):
        response = client.post("/api/v1/events", data=data, content_type=content_type,
                               headers=kiosk_headers)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_json"


def test_a_full_batch_of_500_is_taken(post_events: PostEvents, session: Session) -> None:
    events = [make_event("badge_in") for _ in range(500)]
    assert {r["status"] for r in post_events(*events)} == {"accepted"}
    assert _count(session) == 500


def test_events_are_stored_with_kiosk_worker_and_canonical_body(
    post_events: PostEvents, session: Session
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    event = make_event("output", payload={"machine": "M1", "count": 5},
                       occurred_at=at.astimezone(SHANGHAI).isoformat(),
                       kiosk_time="1970-01-01T08:03:00+08:00")  # a kiosk without a clock
    post_events(event)
    stored = session.scalars(select(Event)).one()
    assert stored.kind == "output" and stored.kiosk_id is not None
    assert stored.occurred_at == at
    assert stored.kiosk_time == datetime(1970, 1, 1, 0, 3, tzinfo=UTC)
    assert stored.body_hash == body_hash(event_adapter.validate_python(event))
    # the kiosk's own clock is not part of the body: sent without it, still a duplicate
    assert post_events({k: v for k, v in event.items() if k != "kiosk_time"})[0]["status"] \
        == "duplicate"


def test_another_kiosk_resending_an_event_gets_duplicate(
    client: FlaskClient, factory: Factory, post_events: PostEvents
) -> None:
    event = make_event("badge_in", worker="W101")
    assert post_events(event, headers=bearer(factory.other_kiosk_token))[0]["status"] == \
        "accepted"
    assert post_events(event, headers=bearer(factory.other_kiosk_token))[0]["status"] == \
        "duplicate"


def test_a_batch_racing_another_request_is_retried(client: FlaskClient,
                                                   kiosk_headers: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL two requests can store one UUID at once; the loser's flush fails on
    the unique index, and the batch is run again, now answering `duplicate`."""
    real, calls = feeds.ingest, []

    def racing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO events", {}, Exception("UNIQUE constraint"))
        return real(*args, **kwargs)

    monkeypatch.setattr(feeds, "ingest", racing)
    event = make_event("badge_in")
    response = client.post("/api/v1/events", json={"events": [event]}, headers=kiosk_headers)
    assert response.status_code == 200
    assert response.get_json()["results"][0]["status"] == "accepted"
    assert len(calls) == 2
