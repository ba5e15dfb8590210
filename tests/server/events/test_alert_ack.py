"""`alert_ack`: a supervisor's act with proof, by a supervisor of the alert's workshop,
once. Each refusal is told with its reason and changes nothing (through the API with
kiosk tokens; acts sealed as a kiosk seals them, tests/support/seals.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Alert, AuditEntry, Worker
from server.services.devices.keys import ServerKeys
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.events.proof import NOT_THIS_EVENT, REQUIRED
from support.factory import (
    OTHER_SUPERVISOR_PIN,
    SUPERVISOR_PIN,
    Factory,
    PostEvents,
    bearer,
    make_event,
)
from support.seals import proof, seal_one

pytestmark = pytest.mark.usefixtures("factory")
WRONG_PIN = "135791"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _fresh(session: Session) -> Session:
    session.rollback()
    session.expire_all()
    return session


def _ack(alert: int, by: str = "S001", **fields: Any) -> dict[str, Any]:
    return make_event("alert_ack", worker=by, payload={"alert": alert}, **fields)


def _sealed(keys: ServerKeys, event: dict[str, Any], pin: str = SUPERVISOR_PIN,
            supervisor: str | None = None) -> dict[str, Any]:
    # the supervisor of an alert_ack is the event's worker, not a payload field
    return seal_one(keys, pin, event, supervisor=supervisor or event["worker"])


def _state(session: Session, alert_id: int) -> tuple[Any, ...]:
    alert = _fresh(session).get(Alert, alert_id)
    assert alert is not None
    acks = session.scalars(select(AuditEntry.id).where(
        AuditEntry.action == "alert.acknowledge")).all()
    return alert.acknowledged_at, alert.acknowledged_by, len(acks)


@pytest.fixture
def alert_id(session: Session, post_events: PostEvents) -> int:
    fault = make_event("machine_fault", occurred_at=_now() - timedelta(minutes=5),
                       payload={"machine": "M1", "fault": "E12"})
    assert post_events(fault)[0]["status"] == "accepted"
    return _fresh(session).scalars(select(Alert.id)).one()


def test_a_supervisor_acknowledges_with_proof_once(
        session: Session, keys: ServerKeys, post_events: PostEvents, alert_id: int,
        app: Flask, factory: Factory) -> None:
    act = _sealed(keys, _ack(alert_id))
    assert post_events(act) == [{"uuid": act["uuid"], "status": "accepted"}]
    s001 = session.scalars(select(Worker).where(Worker.code == "S001")).one()
    at, by, count = _state(session, alert_id)
    assert (at, by, count) == (datetime.fromisoformat(act["occurred_at"]),
                               f"worker:{s001.id}", 1)
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "alert.acknowledge")).one()
    assert entry.actor == f"kiosk:K1/worker:{s001.id}"
    assert post_events(act) == [{"uuid": act["uuid"], "status": "duplicate"}]
    again = _sealed(keys, _ack(alert_id))
    assert post_events(again) == [{
        "uuid": again["uuid"], "status": "rejected",
        "reason": f"payload.alert: alert {alert_id} was acknowledged already"}]
    assert _state(session, alert_id) == (at, by, 1)
    listed = app.test_client().get("/api/v1/alerts?workshop=W1",
                                   headers=bearer(factory.kiosk_token))
    assert listed.get_json()["alerts"][0]["acknowledged_by_name"] == "王主管"


def test_an_acknowledgement_without_its_supervisors_proof_changes_nothing(
        session: Session, keys: ServerKeys, post_events: PostEvents, alert_id: int) -> None:
    before = _state(session, alert_id)
    event = _ack(alert_id)
    other = _ack(alert_id)
    attempts = {
        REQUIRED: event,
        "proof: sealed by 'S101', not by worker 'S001'":
            _sealed(keys, event, OTHER_SUPERVISOR_PIN, supervisor="S101"),
        NOT_THIS_EVENT: {**event, "proof": proof(keys, SUPERVISOR_PIN, [other],
                                                 supervisor="S001")},
        "proof: wrong PIN for S001 (4 tries left before a lock)":
            _sealed(keys, event, WRONG_PIN),
        "proof: does not open for this act (altered, or made for another act)":
            {**event, "proof": proof(keys, SUPERVISOR_PIN, [event], supervisor="S001",
                                     kind="remark")},
    }
    for reason, attempt in attempts.items():
        assert post_events(attempt) == [{"uuid": event["uuid"], "status": "rejected",
                                         "reason": reason}]
        assert _state(session, alert_id) == before
    # the proof is bound to the payload: an act sealed for one alert does not fit another
    moved = {**_sealed(keys, other), "payload": {"alert": alert_id + 1}}
    assert post_events(moved)[0]["reason"] == NOT_THIS_EVENT


def test_only_a_supervisor_of_the_alerts_workshop_acknowledges_it(
        session: Session, keys: ServerKeys, post_events: PostEvents, alert_id: int) -> None:
    before = _state(session, alert_id)
    both = enroll(session, add_kiosk(session, "K3", ["W1", "W2"], "test").code)[1]
    session.commit()
    w2_fault = make_event("machine_fault", worker="W101", payload={"machine": "M9"})
    assert post_events(w2_fault, headers=bearer(both))[0]["status"] == "accepted"
    w2_alert = _fresh(session).scalars(select(Alert.id).where(Alert.id != alert_id)).one()
    cases = [
        # S001 leads W1, not W2, though the kiosk serves both
        (_sealed(keys, _ack(w2_alert)), both,
         f"worker: 'S001' does not lead the workshop of alert {w2_alert}"),
        # S101 leads W2: not a worker K1 serves
        (_sealed(keys, _ack(alert_id, "S101"), OTHER_SUPERVISOR_PIN), None,
         "worker: worker 'S101' is not in this kiosk's workshops"),
        # a worker is no supervisor, whatever seal comes with it
        (_sealed(keys, _ack(alert_id, "W001"), "123456"), None,
         "worker: worker 'W001' is not a supervisor"),
        (_sealed(keys, _ack(999_999)), None, "payload.alert: no alert 999999"),
    ]
    for act, token, reason in cases:
        headers = bearer(token) if token else None
        assert post_events(act, headers=headers) == [
            {"uuid": act["uuid"], "status": "rejected", "reason": reason}]
    assert _state(session, alert_id) == before
    assert _state(session, w2_alert)[:2] == (None, None)
    s101 = _sealed(keys, _ack(w2_alert, "S101"), OTHER_SUPERVISOR_PIN)
    assert post_events(s101, headers=bearer(both))[0]["status"] == "accepted"


def test_an_acknowledgement_is_exactly_an_alert_id(
        session: Session, keys: ServerKeys, post_events: PostEvents, alert_id: int) -> None:
    before = _state(session, alert_id)
    for payload, reason in (
            ({"alert": alert_id, "note": "x"}, "payload.note: Extra inputs are not permitted"),
            ({"alert": "1; drop"}, "payload.alert: Input should be a valid integer, unable "
                                   "to parse string as an integer"),
            ({"alert": 0}, "payload.alert: Input should be greater than or equal to 1"),
            ({}, "payload.alert: Field required")):
        event = make_event("alert_ack", worker="S001", payload=payload)
        assert post_events(_sealed(keys, event))[0]["reason"] == reason
    no_worker = _sealed(keys, make_event("alert_ack", worker=None,
                                         payload={"alert": alert_id}), supervisor="S001")
    assert post_events(no_worker)[0]["reason"] == "worker: Input should be a valid string"
    assert _state(session, alert_id) == before


def test_one_batch_acknowledges_an_alert_once(
        session: Session, keys: ServerKeys, post_events: PostEvents, alert_id: int) -> None:
    first, second = _sealed(keys, _ack(alert_id)), _sealed(keys, _ack(alert_id))
    assert [r["status"] for r in post_events(first, second)] == ["accepted", "rejected"]
    assert _state(session, alert_id)[2] == 1
