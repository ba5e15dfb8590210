"""Every event the kiosk writes fits the server's own event models (services.events.kinds),
so a kiosk event is never rejected for its shape."""

from __future__ import annotations

import json

import pytest
from act_support import SUPERVISOR, wrong_pin
from camera_support import StillCamera
from kiosk_fakes import (
    LI_UID,
    SUPERVISOR_PIN,
    ZHANG_UID,
    card_credential,
    give_test_keys,
    scorecard_json,
)
from kiosk_support import badge, tap_button, tap_card

from kiosk.model import alerts_key
from kiosk.store import REWARDS_KEY, claims_key, points_key, redemptions_key
from shopfloor_trust.pins import MAX_WRONG_PINS

event_kinds = pytest.importorskip("server.services.events.kinds")

CLAIM = "0f8fad5b-d9cb-469f-a165-70867728950e"
REDEEMED = "6f1c1c52-4a47-4a39-9d0e-3f0e0e2c7a11"


def every_kind(app, store) -> None:
    give_test_keys(store)  # as enrolment hands them over: supervisors' acts are sealed
    card = scorecard_json()
    card["tasks"]["notices"] = [{"id": 5, "kind": "claim_approved", "points": 5.0}]
    store.save_scorecard("W001", "week", card)
    store.save_cached(REWARDS_KEY, {"rewards": [
        {"code": "TOWEL", "name": "毛巾", "name_en": "Towel", "cost": 50, "stock": None,
         "tier": None, "approval": False, "picture": None}]})
    store.save_cached(points_key("W001"), {
        "worker": "W001", "balance": 120, "lines": [],
        "entitlements": [{"id": 7, "tier": "good", "tier_name": "良好", "period": "2026-11",
                          "rewards": ["TOWEL"]}], "redemptions": []})
    app.ctx.camera = StillCamera()
    badge(app, card_credential(ZHANG_UID))
    clock = app.ctx.clock
    app.ctx.clock = lambda: clock() + 3600  # the notice has been up long enough: seen
    app.step()
    app.ctx.clock = clock
    for kind in ("machine_start", "machine_stop", "machine_fault", "quality_issue"):
        tap_button(app, "log")
        tap_button(app, kind)
        tap_button(app, "machine:M2")
        app.scenes.pop_to("scorecard")
    for kind in ("output", "defect"):
        tap_button(app, "log")
        tap_button(app, kind)
        tap_button(app, "key:9")
        tap_button(app, "done")
        app.scenes.pop_to("scorecard")
    tap_button(app, "rewards")
    tap_button(app, "reward:TOWEL:")
    tap_button(app, "confirm")
    app.scenes.pop_to("scorecard")
    tap_button(app, "rewards")
    tap_button(app, "reward:TOWEL:7")
    tap_button(app, "confirm")
    app.scenes.pop_to("scorecard")
    tap_button(app, "claim")
    tap_button(app, "category:IDEA")
    tap_button(app, "photo")
    tap_button(app, "take")
    app.step()  # the camera's PHOTO event: the next frame
    tap_button(app, "use")
    tap_button(app, "send")
    app.scenes.pop_to("scorecard")
    tap_button(app, "dim:uptime")
    tap_button(app, "disagree")
    tap_button(app, "reason:not_my_shift")
    app.scenes.pop_to("scorecard")
    tap_button(app, "language")
    tap_button(app, "language:yue")
    app.scenes.reset()  # from idle (while a card is open, a QR code no one has is ignored)
    badge(app, "ef" * 32, "qr")
    store.set_setting(claims_key("W1"), json.dumps([
        {"id": CLAIM, "worker": "W001", "worker_name": "张三", "category": "IDEA",
         "points": 20}]))
    badge(app, card_credential(LI_UID))
    tap_button(app, "supervisor")
    for digit in SUPERVISOR_PIN:
        tap_button(app, f"key:{digit}")
    tap_button(app, "ok")
    tap_button(app, "worker:W100")
    tap_button(app, "worker:W101")
    tap_button(app, "remark")
    tap_button(app, "category:HELP")
    tap_button(app, "send")
    tap_button(app, "undo")
    app.scenes.update(2.0)
    assert type(app.scenes.top).__name__ == "SupervisorScene" and not app.scenes.top.selected
    tap_button(app, "claims")
    tap_button(app, f"approve:{CLAIM}")
    tap_button(app, "back")
    store.save_cached(redemptions_key("W1"), [
        {"uuid": REDEEMED, "worker": "W001", "worker_name": "张三", "reward": "TOWEL",
         "reward_name": "毛巾", "at": "2026-11-20T10:00:00+08:00", "state": "pending"}])
    tap_button(app, "handover")
    tap_button(app, f"handover:{REDEEMED}")
    tap_button(app, "confirm")
    app.scenes.pop_to("supervisor")
    store.save_cached(alerts_key("W1"), [
        {"id": 7, "kind": "machine_fault", "workshop": "W1", "machine": "M1",
         "machine_name": "1号数控", "reason": None, "reporter": "W001",
         "reporter_name": "张三", "opened_at": "2026-11-20T10:00:00+08:00",
         "acknowledged_at": None, "acknowledged_by_name": None, "resolved_at": None,
         "downtime_s": None}])
    tap_button(app, "alerts")
    tap_button(app, "ack:7")
    # Five wrong PINs lock the supervisor on this kiosk, which reports it (pin_locked).
    badge(app, card_credential(LI_UID))
    tap_button(app, "supervisor")
    for _ in range(MAX_WRONG_PINS):
        for digit in wrong_pin(SUPERVISOR, SUPERVISOR_PIN):
            tap_button(app, f"key:{digit}")
        tap_button(app, "ok")


def test_every_kiosk_event_fits_the_server_models(app, store):
    every_kind(app, store)
    items = store.claim_batch(100)
    kinds = {item.kind for item in items}
    assert kinds == set(event_kinds.KINDS) - {"training_progress"}
    for item in items:
        event = event_kinds.event_adapter.validate_python(item.as_api())
        assert event.kind == item.kind
    unknown = [i for i in items if i.kind == "badge_in" and i.worker is None]
    assert unknown and unknown[0].payload == {"badge_hash": "ef" * 32, "kind": "qr",
                                              "reader": "test"}


def test_an_unknown_card_sends_its_number_and_it_fits_the_server_model(app, store):
    give_test_keys(store)
    tap_card(app, bytes.fromhex("04a23b1c"))
    unknown = [i for i in store.claim_batch(10) if i.kind == "badge_in" and i.worker is None]
    assert unknown[0].payload == {"card_number": "04A23B1C", "kind": "card", "reader": "test"}
    event = event_kinds.event_adapter.validate_python(unknown[0].as_api())
    assert event.payload.card_number == "04A23B1C"


def test_a_sealed_act_fits_the_server_model(store):
    give_test_keys(store)
    store.enqueue_act("claim_decision", "S001", SUPERVISOR_PIN, [
        ("W001", {"claim": CLAIM, "decision": "approve", "decided_by": "S001"})])
    (item,) = store.claim_batch()
    event = event_kinds.event_adapter.validate_python(item.as_api())
    assert event.proof is not None and event.kiosk_time is not None
