"""Notices over the API: a claim decided at the kiosk becomes a notice in the worker's
scorecard `tasks` on every visit, until a kiosk of the worker's workshop sends
`notice_seen`; another workshop's kiosk, another worker's notice, an unknown notice and
a malformed payload are each rejected with a reason, changing nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Notice
from support.factory import (
    OTHER_SUPERVISOR_PIN,
    SUPERVISOR_PIN,
    Factory,
    PostEvents,
    bearer,
    make_event,
)
from support.seals import app_keys, seal_one

PINS = {"S001": SUPERVISOR_PIN, "S101": OTHER_SUPERVISOR_PIN}


def _decided_claim(app: Flask, post_events: PostEvents, worker: str = "W001",
                   supervisor: str = "S001", headers: dict[str, str] | None = None) -> None:
    claim = make_event("point_claim", worker=worker, payload={"category": "help_colleague"})
    decision = seal_one(app_keys(app), PINS[supervisor], make_event(
        "claim_decision", worker=None, payload={
            "claim": claim["uuid"], "decision": "approve", "decided_by": supervisor,
            "note": "谢谢帮忙"}))
    assert [r["status"] for r in post_events(claim, decision, headers=headers)] == [
        "accepted", "accepted"]


def _notices(client: FlaskClient, headers: dict[str, str], code: str = "W001"
             ) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/workers/{code}/scorecard", headers=headers)
    assert response.status_code == 200, response.get_json()
    notices: list[dict[str, Any]] = response.get_json()["tasks"]["notices"]
    return notices


def _seen(notice: int, worker: str = "W001") -> dict[str, Any]:
    return make_event("notice_seen", worker=worker, payload={"notice": notice})


def test_a_notice_is_told_until_a_kiosk_reports_it_seen(
        app: Flask, client: FlaskClient, session: Session, factory: Factory,
        post_events: PostEvents, kiosk_headers: dict[str, str]) -> None:
    _decided_claim(app, post_events)
    [notice] = _notices(client, kiosk_headers)
    assert (notice["kind"], notice["note"]) == ("claim_approved", "谢谢帮忙")
    assert notice["points"] > 0 and notice["category"] == "help_colleague"
    assert _notices(client, kiosk_headers) == [notice]  # every visit, not once
    first = _seen(notice["id"])
    assert post_events(first) == [{"uuid": first["uuid"], "status": "accepted"}]
    assert _notices(client, kiosk_headers) == []
    stored = session.get(Notice, notice["id"])
    assert stored is not None and stored.seen_event_uuid == first["uuid"]
    # resent: a duplicate; reported again by another visit: accepted, the first stands
    assert post_events(first)[0]["status"] == "duplicate"
    again = _seen(notice["id"])
    assert post_events(again)[0]["status"] == "accepted"
    session.expire_all()
    assert session.get(Notice, notice["id"]).seen_event_uuid == first["uuid"]  # type: ignore[union-attr]


def test_a_kiosk_cannot_mark_another_workshops_or_workers_notice(
        app: Flask, client: FlaskClient, session: Session, factory: Factory,
        post_events: PostEvents, kiosk_headers: dict[str, str]) -> None:
    other_kiosk = bearer(factory.other_kiosk_token)
    _decided_claim(app, post_events, "W101", "S101", headers=other_kiosk)
    [theirs] = _notices(client, other_kiosk, "W101")
    _decided_claim(app, post_events)
    [mine] = _notices(client, kiosk_headers)
    results = post_events(
        _seen(theirs["id"], "W101"),           # K1 does not serve W2's worker
        _seen(theirs["id"]),                   # W001 reporting W101's notice
        _seen(999_999),                        # no such notice
        make_event("notice_seen", payload={"notice": "seven"}),
        make_event("notice_seen", payload={"notice": 0}),
        make_event("notice_seen", payload={}),
        make_event("notice_seen", worker=None, payload={"notice": mine["id"]}),
    )
    assert [r["status"] for r in results] == ["rejected"] * len(results)
    reasons = [r["reason"] for r in results]
    assert "not in this kiosk's workshops" in reasons[0]
    assert reasons[1] == f"payload.notice: notice {theirs['id']} is not 'W001''s"
    assert reasons[2] == "payload.notice: no notice 999999"
    assert all(r.startswith("payload.notice:") for r in reasons[3:6])
    assert reasons[6].startswith("worker:")
    # K2 does not serve W001 either
    response = client.post("/api/v1/events", json={"events": [_seen(mine["id"])]},
                           headers=other_kiosk)
    assert response.get_json()["results"][0]["status"] == "rejected"
    assert session.scalars(select(Notice).where(Notice.seen_at.is_not(None))).all() == []
    assert _notices(client, other_kiosk, "W101") == [theirs]
    assert _notices(client, kiosk_headers) == [mine]
