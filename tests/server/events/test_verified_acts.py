"""A supervisor's act counts only with proof that the supervisor typed their PIN for it
(server/services/events/proof.py): each rule on its own, for each kind of act, through the
API with kiosk K1's token. Every refused act gives nothing."""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    Alert,
    EntryStatus,
    Event,
    PointEntry,
    Redemption,
    RefusedSeal,
    Role,
    Worker,
)
from server.services.devices.keys import ServerKeys
from server.services.events import proof as proof_module
from server.services.events.kinds import ACT_KINDS
from server.services.events.proof import NOT_THIS_EVENT, REQUIRED
from server.services.people.pins import unlock
from server.services.points import ledger
from server.services.rewards.catalogue import RewardSpec, add_reward
from shopfloor_trust.seal import seal_pin
from support.factory import SUPERVISOR_PIN, PostEvents, make_event, pin_fields
from support.seals import ACTING, digest, proof, seal_one, sealed

WRONG_PIN = "135791"
pytestmark = pytest.mark.usefixtures("factory")


def _remark(worker: str = "W001", by: str = "S001", points: float = 5) -> dict[str, Any]:
    return make_event("remark", worker=worker,
                      payload={"category": "fault_fix", "points": points, "given_by": by})


def _fresh(session: Session) -> Session:
    """The test's session, seeing what the requests committed since it last looked."""
    session.rollback()
    session.expire_all()
    return session


def _balance(session: Session, code: str = "W001") -> float:
    _fresh(session)
    worker = session.scalars(select(Worker).where(Worker.code == code)).one()
    return ledger.balance(session, worker.id)


def _failures(session: Session, code: str = "S001") -> tuple[int, bool]:
    _fresh(session)
    worker = session.scalars(select(Worker).where(Worker.code == code)).one()
    return worker.pin_failures, worker.pin_locked_at is not None


# An act of each kind, unsealed, ready to send; and what it would change.
Act = tuple[dict[str, Any], Callable[[], object]]


def _act(kind: str, session: Session, keys: ServerKeys, post_events: PostEvents) -> Act:
    if kind == "remark":
        return _remark(), lambda: _balance(session)
    if kind == "claim_decision":
        claim = make_event("point_claim", payload={"category": "help_colleague"})
        assert post_events(claim)[0]["status"] == "accepted"
        decision = make_event("claim_decision", worker=None, payload={
            "claim": claim["uuid"], "decision": "approve", "decided_by": "S001"})

        def status() -> object:
            _fresh(session)
            return session.scalars(select(PointEntry.status)).one()
        return decision, status
    if kind == "alert_ack":
        fault = make_event("machine_fault", payload={"machine": "M1"})
        assert post_events(fault)[0]["status"] == "accepted"
        alert = _fresh(session).scalars(select(Alert.id)).one()
        ack = make_event("alert_ack", worker="S001", payload={"alert": alert})

        def acknowledged() -> object:
            _fresh(session)
            return session.scalars(select(Alert.acknowledged_by)).one()
        return ack, acknowledged
    add_reward(session, "GLOVES", RewardSpec(name="手套", cost=5), "test")
    session.commit()
    redeem = make_event("reward_redeem", payload={"reward": "GLOVES"})
    assert [r["status"] for r in post_events(seal_one(keys, SUPERVISOR_PIN, _remark()),
                                             redeem)] == ["accepted", "accepted"]
    handover = make_event("reward_handover", worker="W001",
                          payload={"redemption": redeem["uuid"], "handed_by": "S001"})

    def state() -> object:
        _fresh(session)
        return session.scalars(select(Redemption.state)).one()
    return handover, state


def test_the_acts_that_need_proof_are_one_list() -> None:
    assert ACT_KINDS == {"remark": "given_by", "claim_decision": "decided_by",
                         "reward_handover": "handed_by", "alert_ack": "worker"}
    assert ACTING == ACT_KINDS  # the tests seal what the server checks


@pytest.mark.parametrize("kind", sorted(ACT_KINDS))
def test_each_act_needs_a_proof_made_for_it_by_its_supervisor(
        kind: str, session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    event, effect = _act(kind, session, keys, post_events)
    before = effect()
    field = ACT_KINDS[kind]
    where = "worker" if field == "worker" else f"payload.{field}"
    attempts = {  # (a refused event is not stored: the same one may come again, mended)
        REQUIRED: event,
        f"proof: sealed by 'S101', not by {where} 'S001'":
            seal_one(keys, SUPERVISOR_PIN, event, supervisor="S101"),
        NOT_THIS_EVENT: {**event, "proof": proof(keys, SUPERVISOR_PIN, [_remark("W002")])},
        "proof: wrong PIN for S001 (4 tries left before a lock)":
            seal_one(keys, WRONG_PIN, event),
    }
    for reason, attempt in attempts.items():
        assert post_events(attempt) == [{"uuid": event["uuid"], "status": "rejected",
                                         "reason": reason}]
        assert effect() == before
    good = seal_one(keys, SUPERVISOR_PIN, event)
    assert post_events(good)[0]["status"] == "accepted"
    assert effect() != before
    assert _failures(session) == (0, False)  # the right PIN clears the count


def test_an_event_changed_after_sealing_does_not_fit_its_proof(
        session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    act = sealed(keys, SUPERVISOR_PIN, [_remark(points=2)])[0]
    more = {**act, "payload": {**act["payload"], "points": 10}}
    elsewhere = {**act, "worker": "W002"}
    for changed in (more, elsewhere):
        assert post_events(changed)[0]["reason"] == NOT_THIS_EVENT
    # listing the changed event in the proof breaks the seal, which binds the list
    patched = {**more, "proof": {**more["proof"], "items": [digest(more)]}}
    [result] = post_events(patched)
    assert result["reason"] == ("proof: does not open for this act (altered, or made for "
                                "another act)")
    assert _balance(session) == 0
    assert _balance(session, "W002") == 0


def test_a_forged_proof_is_refused(session: Session, keys: ServerKeys,
                                   post_events: PostEvents) -> None:
    event = _remark()
    stranger = X25519PrivateKey.generate().public_key().public_bytes_raw()
    foreign = {**event, "proof": seal_pin(SUPERVISOR_PIN, stranger, "remark", "S001",
                                          [digest(event)])}
    made_up = {**event, "uuid": str(uuid.uuid4())}
    made_up["proof"] = {**proof(keys, SUPERVISOR_PIN, [made_up]),
                        "ct": base64.b64encode(os.urandom(32)).decode()}
    results = post_events(foreign, made_up)
    assert [r["reason"] for r in results] == [
        "proof: key: sealed to another server's key; enrol the kiosk with this server",
        "proof: does not open for this act (altered, or made for another act)"]
    assert _balance(session) == 0
    assert _failures(session) == (0, False)  # no PIN was tried


def test_a_seal_replayed_on_a_new_uuid_replays_nothing(
        session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    act = sealed(keys, SUPERVISOR_PIN, [_remark("W001"), _remark("W002")])
    assert [r["status"] for r in post_events(*act)] == ["accepted", "accepted"]
    assert post_events(*act) == [{"uuid": e["uuid"], "status": "duplicate"} for e in act]
    replay = {**act[0], "uuid": str(uuid.uuid4())}
    assert post_events(replay)[0]["reason"] == NOT_THIS_EVENT
    assert (_balance(session), _balance(session, "W002")) == (5, 5)


def test_a_wrong_pin_counts_once_per_act_and_the_fifth_locks(
        session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    act = sealed(keys, WRONG_PIN, [_remark("W001"), _remark("W002"), _remark("W001")])
    reason = "proof: wrong PIN for S001 (4 tries left before a lock)"
    assert [r["reason"] for r in post_events(*act)] == [reason] * 3
    assert [r["reason"] for r in post_events(*act)] == [reason] * 3  # resent: not again
    assert _failures(session) == (1, False)  # committed, though every event was rejected
    for left in (3, 2, 1):
        [result] = post_events(seal_one(keys, WRONG_PIN, _remark()))
        assert result["reason"] == f"proof: wrong PIN for S001 ({left} tries left before a lock)"
    locked = ("proof: S001's acts are locked after 5 wrong PINs; HR can unlock them in the "
              "admin (PIN locks)")
    assert post_events(seal_one(keys, WRONG_PIN, _remark()))[0]["reason"] == locked
    assert post_events(seal_one(keys, SUPERVISOR_PIN, _remark()))[0]["reason"] == locked
    assert _failures(session) == (5, True)
    assert session.scalar(select(func.count()).select_from(RefusedSeal)) == 5
    assert _balance(session) == 0
    unlock(session, "S001", "user:hr")
    session.commit()
    assert post_events(seal_one(keys, SUPERVISOR_PIN, _remark()))[0]["status"] == "accepted"
    assert _balance(session) == 5


def test_an_act_of_fifty_events_checks_the_pin_once(
        session: Session, keys: ServerKeys, post_events: PostEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = proof_module.check_act_pin

    def counting(*args: Any, **kwargs: Any) -> None:
        calls.append(args[1].code)
        real(*args, **kwargs)

    monkeypatch.setattr(proof_module, "check_act_pin", counting)
    act = sealed(keys, SUPERVISOR_PIN, [_remark(("W001", "W002")[i % 2], points=1)
                                        for i in range(50)])
    assert {r["status"] for r in post_events(*act)} == {"accepted"}
    assert calls == ["S001"]
    assert (_balance(session), _balance(session, "W002")) == (25, 25)


def test_neither_the_proof_nor_the_pin_is_kept_or_logged(
        session: Session, keys: ServerKeys, post_events: PostEvents,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    act = seal_one(keys, SUPERVISOR_PIN, _remark())
    wrong = seal_one(keys, WRONG_PIN, _remark())
    post_events(act, wrong)
    _fresh(session)
    [stored] = session.scalars(select(Event)).all()
    assert stored.payload == act["payload"]
    assert SUPERVISOR_PIN not in caplog.text and WRONG_PIN not in caplog.text
    assert act["proof"]["ct"] not in caplog.text
    reasons = session.scalars(select(RefusedSeal.reason)).all()
    assert reasons and not any(WRONG_PIN in r for r in reasons)


def test_nobody_decides_their_own_claim(session: Session, keys: ServerKeys,
                                        post_events: PostEvents) -> None:
    claim = make_event("point_claim", worker="S001", payload={"category": "help_colleague"})
    assert post_events(claim)[0]["status"] == "accepted"
    own = seal_one(keys, SUPERVISOR_PIN, make_event("claim_decision", worker=None, payload={
        "claim": claim["uuid"], "decision": "approve", "decided_by": "S001"}))
    assert post_events(own)[0]["reason"] == \
        "payload.decided_by: a supervisor cannot decide their own claim"
    _fresh(session)
    assert session.scalars(select(PointEntry.status)).one() is EntryStatus.PENDING


def test_nobody_remarks_themselves_or_hands_over_their_own_reward(
        session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    w1 = session.scalars(select(Worker.workshop_id).where(Worker.code == "S001")).one()
    session.add(Worker(code="S002", name="二主管", workshop_id=w1, role=Role.SUPERVISOR,
                       **pin_fields("S002", "975310")))
    add_reward(session, "CUP", RewardSpec(name="杯子", cost=5), "test")
    session.commit()
    self_remark = seal_one(keys, SUPERVISOR_PIN, _remark("S001", "S001"))
    assert post_events(self_remark)[0]["reason"] == \
        "payload.given_by: a supervisor cannot remark themselves"
    assert post_events(seal_one(keys, "975310", _remark("S001", "S002")))[0]["status"] == \
        "accepted"
    redeem = make_event("reward_redeem", worker="S001", payload={"reward": "CUP"})
    assert post_events(redeem)[0]["status"] == "accepted"

    def handover(by: str, pin: str) -> dict[str, Any]:
        return seal_one(keys, pin, make_event("reward_handover", worker="S001", payload={
            "redemption": redeem["uuid"], "handed_by": by}))

    assert post_events(handover("S001", SUPERVISOR_PIN))[0]["reason"] == \
        "payload.handed_by: a supervisor cannot hand a reward to themselves"
    assert post_events(handover("S002", "975310"))[0]["status"] == "accepted"


def test_a_lock_reached_at_a_kiosk_locks_the_supervisors_acts_on_the_server(
        session: Session, keys: ServerKeys, post_events: PostEvents) -> None:
    """Wrong PINs a kiosk's typo check caught never reach the server, so the kiosk reports
    the lock it reached: HR sees every lock in one place, and one unlock opens both."""
    report = make_event("pin_locked", worker="S001", payload={"failures": 5, "epoch": 0})
    assert post_events(report)[0]["status"] == "accepted"
    assert _failures(session) == (5, True)
    locked = post_events(seal_one(keys, SUPERVISOR_PIN, _remark()))[0]
    assert locked["reason"].startswith("proof: S001's acts are locked")
    unlock(session, "S001", "user:hr")
    session.commit()
    # A report counted before the unlock (the old epoch), arriving late, changes nothing.
    stale = make_event("pin_locked", worker="S001", payload={"failures": 5, "epoch": 0})
    assert post_events(stale)[0]["status"] == "accepted"
    assert _failures(session) == (0, False)
    assert post_events(seal_one(keys, SUPERVISOR_PIN, _remark()))[0]["status"] == "accepted"
    # Only a supervisor can be locked.
    worker = make_event("pin_locked", worker="W001", payload={"failures": 5, "epoch": 0})
    assert post_events(worker)[0]["reason"] == "worker: 'W001' is not a supervisor"
