"""Issue 15 on the kiosk's screen: the PIN checked against a typo check only, wrong PINs
counted in the store (five lock the supervisor, across restarts and badge taps), acts
sealed with the PIN (one seal for a remark to many), nothing recorded without the server's
key, nobody deciding their own claim, and refused acts told at the next visit or at once.
Every test runs against the real Store."""

from __future__ import annotations

import gc
import json
import weakref

import pygame
import pytest
from act_support import (
    LONG_EN,
    LONG_ZH,
    lucky_pin,
    peek,
    supervised_roster,
    use_roster,
    wrong_pin,
)
from kiosk_fakes import (
    LI_UID,
    SEALING_PRIVATE,
    SUPERVISOR_PIN,
    FakeServer,
    card_credential,
    give_test_keys,
    photo_jpeg,
)
from kiosk_support import badge, screenshot, tap_button
from test_kiosk_sync import Posted

from kiosk import events
from kiosk.app import App
from kiosk.background.sync import SyncWorker
from kiosk.config import KioskConfig
from kiosk.link.client import KioskClient
from kiosk.scenes.acts import Visit
from kiosk.scenes.base import Context
from kiosk.scenes.refused_acts import refused_reason
from kiosk.scenes.supervisor import (
    NAMES_SIZE,
    PinScene,
    RemarkConfirmScene,
    SupervisorScene,
    names_that_fit,
)
from kiosk.store import Store, claims_key
from kiosk.ui import theme
from shopfloor_trust.pins import MAX_WRONG_PINS
from shopfloor_trust.seal import item_digest, open_seal

SUPERVISOR = "S001"
OWN_CLAIM = "5b0a1f7e-3c3d-4c1e-9d53-6c1f0e8a2b11"
OTHER_CLAIM = "0f8fad5b-d9cb-469f-a165-70867728950e"
WRONG_PIN_REASON = "proof: wrong PIN for S001 (4 tries left before a lock)"
LOCKED_REASON = ("proof: S001's acts are locked after 5 wrong PINs; HR can unlock them in "
                 "the admin (PIN locks)")


def assert_targets(app: App) -> None:
    for button in app.scenes.top.buttons:
        assert min(button.rect.size) >= theme.MIN_TARGET, (app.scenes.top.name, button.name)
        assert pygame.Rect(0, theme.TOP_BAR, 1280, 800 - theme.TOP_BAR).contains(button.rect)


def to_pin(app: App) -> None:
    """The supervisor's card, then "supervisor": the PIN scene."""
    badge(app, card_credential(LI_UID))
    tap_button(app, "supervisor")
    assert isinstance(app.scenes.top, PinScene)


def type_pin(app: App, pin: str) -> None:
    for digit in pin:
        tap_button(app, f"key:{digit}")
    tap_button(app, "ok")


def spoken(speaker) -> list[str]:
    return [key for key, _ in speaker.said[-1][1]]


def said(speaker) -> str:
    return "".join(text for _, text in speaker.said[-1][1])


def names(app: App) -> set[str]:
    return {button.name for button in app.scenes.top.buttons}


# --- the PIN: a typo check, counted wrong tries, a lock --------------------------------------
def test_five_wrong_pins_lock_across_a_restart_and_a_new_tap(app, store, speaker, sync,
                                                             display, tmp_path):
    to_pin(app)
    for n in range(1, MAX_WRONG_PINS):
        type_pin(app, wrong_pin())
        assert store.pin_failures(SUPERVISOR, 0) == n
        assert app.scenes.top.message == f"密码错误，还可以试 {MAX_WRONG_PINS - n} 次"
    # Tapping the badge again does not give more tries (it did: three, then three more).
    to_pin(app)
    assert not app.scenes.top.locked and "key:1" in names(app)
    type_pin(app, wrong_pin())
    scene = app.scenes.top
    assert isinstance(scene, PinScene) and scene.locked
    assert names(app) == {"back"}, "no more tries"
    assert spoken(speaker) == ["say.pin_locked"]
    assert said(speaker) == "已锁定。请联系人事在管理后台解锁。"
    assert store.pin_failures(SUPERVISOR, 0) == MAX_WRONG_PINS
    # The lock is reported once, so the server locks the acts too and HR sees it.
    [report] = store.queued("pin_locked")
    assert (report.worker, report.payload) == (SUPERVISOR, {"failures": 5, "epoch": 0})
    # Even the right PIN gets nowhere now: the PIN scene has no keys to type it with.
    to_pin(app)
    assert app.scenes.top.locked and names(app) == {"back"}
    assert spoken(speaker) == ["say.pin_locked"]
    # A restart: the store opened again from its file.
    store.close()
    again = Store(tmp_path / "kiosk.sqlite3")
    try:
        pygame.event.clear()
        restarted = App(KioskConfig(data_dir=tmp_path),
                        Context(store=again, speaker=speaker, sync=sync, workshop="W1"), display)
        to_pin(restarted)
        assert restarted.scenes.top.locked and names(restarted) == {"back"}
        assert len(again.queued("pin_locked")) == 1
        tap_button(restarted, "back")
        assert restarted.scenes.top.name == "scorecard"
    finally:
        again.close()


def test_the_roster_lock_and_hrs_unlock(app, store):
    use_roster(app, supervised_roster(locked=True))
    to_pin(app)
    assert app.scenes.top.locked and names(app) == {"back"}
    # Locked here by five wrong PINs; HR unlocks (the server counts the epoch up).
    use_roster(app, supervised_roster())
    for _ in range(MAX_WRONG_PINS):
        store.note_pin_failure(SUPERVISOR, 0)
    to_pin(app)
    assert app.scenes.top.locked
    use_roster(app, supervised_roster(epoch=1))
    to_pin(app)
    assert not app.scenes.top.locked
    type_pin(app, SUPERVISOR_PIN)
    assert isinstance(app.scenes.top, SupervisorScene)


def test_a_lock_that_arrives_while_the_pin_is_typed(app, store, speaker):
    to_pin(app)
    use_roster(app, supervised_roster(locked=True))
    type_pin(app, SUPERVISOR_PIN)
    assert app.scenes.top.locked and spoken(speaker) == ["say.pin_locked"]


def test_a_pin_from_before_has_no_typo_check_and_the_server_decides(app, store):
    use_roster(app, supervised_roster(check=False))
    to_pin(app)
    type_pin(app, wrong_pin())
    assert isinstance(app.scenes.top, SupervisorScene)
    assert store.pin_failures(SUPERVISOR, 0) == 0


def test_a_wrong_pin_that_passes_the_typo_check_is_sealed_for_the_server(app, store):
    give_test_keys(store)
    to_pin(app)
    type_pin(app, lucky_pin())
    assert isinstance(app.scenes.top, SupervisorScene)
    tap_button(app, "worker:W100")
    tap_button(app, "remark")
    tap_button(app, "category:CLEAN")
    tap_button(app, "send")
    (remark,) = peek(store, "remark")
    assert remark.proof is not None
    assert open_seal(remark.proof, SEALING_PRIVATE, "remark") == lucky_pin()


def test_the_pin_goes_with_the_visit(app, store):
    to_pin(app)
    type_pin(app, SUPERVISOR_PIN)
    scene = app.scenes.top
    assert isinstance(scene, SupervisorScene) and scene.visit.pin == SUPERVISOR_PIN
    assert SUPERVISOR_PIN not in repr(scene.visit)
    visit = weakref.ref(scene.visit)
    del scene
    app.scenes.last_input -= 31
    app.step()
    assert app.scenes.names == ["idle"]
    gc.collect()
    assert visit() is None, "nothing holds the PIN once the stack is back to idle"
    assert SUPERVISOR_PIN not in json.dumps({k: store.get_setting(k) for k in (
        "site_key", "sealing_key")})


# --- sealed acts -----------------------------------------------------------------------------
def test_a_remark_to_three_is_one_act_sealed_with_the_pin(app, store, sync, speaker):
    give_test_keys(store)
    to_pin(app)
    type_pin(app, SUPERVISOR_PIN)
    for code in ("W100", "W101", "W102"):
        tap_button(app, f"worker:{code}")
    tap_button(app, "remark")
    tap_button(app, "category:FIX")
    kicks = sync.kicks
    tap_button(app, "send")
    assert sync.kicks > kicks, "the sync is woken"
    remarks = peek(store, "remark")
    assert [(r.worker, r.payload) for r in remarks] == [
        (code, {"category": "FIX", "given_by": SUPERVISOR}) for code in ("W100", "W101", "W102")]
    proof = remarks[0].proof
    assert proof is not None and all(r.proof == proof for r in remarks)
    assert proof["supervisor"] == SUPERVISOR
    assert open_seal(proof, SEALING_PRIVATE, "remark") == SUPERVISOR_PIN
    sent = [r.as_api() for r in remarks]
    assert sorted(proof["items"]) == sorted(
        item_digest(e["uuid"], e["worker"], e["occurred_at"], e["payload"]) for e in sent)
    assert all(e["proof"] == proof for e in sent)
    # The undo needs no proof: one remark_undo per remark of the act.
    assert app.scenes.top.name == "remark_undo"
    tap_button(app, "undo")
    undos = peek(store, "remark_undo")
    assert [(u.worker, u.payload["remark"]) for u in undos] == [
        (r.worker, r.uuid) for r in remarks]
    assert all(u.proof is None for u in undos)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_without_the_servers_key_nothing_is_recorded(app, store, speaker, lang):
    use_roster(app, supervised_roster(lang=lang))
    to_pin(app)
    type_pin(app, SUPERVISOR_PIN)
    tap_button(app, "worker:W100")
    tap_button(app, "remark")
    tap_button(app, "category:FIX")
    tap_button(app, "send")
    assert app.scenes.top.name == "no_keys"
    assert spoken(speaker) == ["say.act_no_keys"]
    assert said(speaker).startswith(("本机还没有从服务器取得密钥", "This kiosk has not fetched"))
    assert peek(store, "remark") == []
    assert_targets(app)
    screenshot(app, f"act_no_keys_{lang}")
    tap_button(app, "ok")
    assert isinstance(app.scenes.top, RemarkConfirmScene), "back to try again later"


def test_a_locked_supervisor_still_on_screen_records_nothing(app, store, speaker):
    give_test_keys(store)
    to_pin(app)
    type_pin(app, SUPERVISOR_PIN)
    tap_button(app, "worker:W100")
    tap_button(app, "remark")
    tap_button(app, "category:FIX")
    use_roster(app, supervised_roster(locked=True))  # the server locked them meanwhile
    tap_button(app, "send")
    assert app.scenes.top.name == "pin_locked" and spoken(speaker) == ["say.pin_locked"]
    assert peek(store, "remark") == []


def claims(*rows: tuple[str, str, str]) -> str:
    return json.dumps([{"id": claim, "worker": worker, "worker_name": name,
                        "category": "FIX", "points": 10} for claim, worker, name in rows])


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_nobody_decides_their_own_claim(app, store, speaker, lang):
    give_test_keys(store)
    use_roster(app, supervised_roster(lang=lang))
    store.set_setting(claims_key("W1"), claims((OWN_CLAIM, SUPERVISOR, "李班长"),
                                               (OTHER_CLAIM, "W100", "王芳")))
    to_pin(app)
    type_pin(app, SUPERVISOR_PIN)
    tap_button(app, "claims")
    scene = app.scenes.top
    assert [c["id"] for c in scene.claims] == [OTHER_CLAIM, OWN_CLAIM], "their own comes last"
    assert {f"approve:{OWN_CLAIM}", f"reject:{OWN_CLAIM}"}.isdisjoint(names(app))
    assert_targets(app)
    screenshot(app, f"claims_own_{lang}")
    tap_button(app, f"own:{OWN_CLAIM}")
    assert spoken(speaker) == ["say.own_claim"]
    assert peek(store, "claim_decision") == []
    tap_button(app, f"approve:{OTHER_CLAIM}")
    (decision,) = peek(store, "claim_decision")
    assert decision.payload == {"claim": OTHER_CLAIM, "decision": "approve",
                                "decided_by": SUPERVISOR}
    assert open_seal(decision.proof, SEALING_PRIVATE, "claim_decision") == SUPERVISOR_PIN


# --- refused acts ----------------------------------------------------------------------------
def refuse(store: Store) -> None:
    """What the sync keeps when the server refuses a remark to three, a claim decision and
    a hand-over made offline too long ago."""
    for n, worker in enumerate(("W100", "W101", "W102")):
        store.add_refused_act(f"r{n}", SUPERVISOR, "remark", worker, WRONG_PIN_REASON)
    store.add_refused_act("c1", SUPERVISOR, "claim_decision", "W103", LOCKED_REASON)
    store.add_refused_act("h1", SUPERVISOR, "reward_handover", "W001",
                          "occurred_at: older than the kiosk offline window (14 days); HR "
                          "can book it from the refused list")
    store.add_refused_act("x1", "S999", "remark", "W100", WRONG_PIN_REASON)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_refused_acts_are_told_at_the_next_visit(app, store, speaker, lang):
    use_roster(app, supervised_roster(lang=lang, names=True))
    refuse(store)
    to_pin(app)
    assert app.scenes.top.name == "supervisor", "not before the PIN"
    type_pin(app, SUPERVISOR_PIN)
    assert app.scenes.names[-2:] == ["supervisor", "acts_refused"]
    assert speaker.said[-1][0] == lang
    assert spoken(speaker) == ["say.acts_refused", "say.act_refused", "say.act_refused",
                               "say.act_refused"]
    if lang == "zh_CN":
        assert said(speaker) == (
            f"有些操作没有生效。加分，{LONG_ZH}、{LONG_EN}、陈静：密码错误。"
            "审批申请，杨磊：主管操作已锁定，请联系人事在管理后台解锁。"
            "发放奖品，张三：记录太旧：本机离线时间太长。")
    else:
        assert said(speaker) == (
            f"Some of your acts did not count. Points, {LONG_ZH}, {LONG_EN}, 陈静: the PIN "
            "was wrong. Claim decision, 杨磊: your acts are locked; ask HR to unlock them in "
            "the admin. Reward hand-over, 张三: too old: the kiosk was offline too long. ")
    assert store.untold_refused_acts(SUPERVISOR) == []
    assert [a.uuid for a in store.untold_refused_acts("S999")] == ["x1"], "theirs only"
    assert_targets(app)
    screenshot(app, f"acts_refused_{lang}")
    tap_button(app, "ok")
    assert isinstance(app.scenes.top, SupervisorScene)
    app.scenes.reset()
    to_pin(app)
    type_pin(app, SUPERVISOR_PIN)
    assert isinstance(app.scenes.top, SupervisorScene), "told once"


def test_an_act_refused_while_the_supervisor_is_here_is_told_at_once(app, store, speaker):
    to_pin(app)
    type_pin(app, SUPERVISOR_PIN)
    tap_button(app, "handover")
    assert app.scenes.top.name == "handover"
    store.add_refused_act("x1", "S999", "remark", "W100", WRONG_PIN_REASON)
    pygame.event.post(pygame.event.Event(events.ACT_REFUSED, supervisor="S999", uuid="x1"))
    app.step()
    assert app.scenes.top.name == "handover", "another supervisor's"
    store.add_refused_act("r1", SUPERVISOR, "remark", "W100", WRONG_PIN_REASON)
    pygame.event.post(pygame.event.Event(events.ACT_REFUSED, supervisor=SUPERVISOR, uuid="r1"))
    app.step()
    assert app.scenes.names[-2:] == ["handover", "acts_refused"]
    assert "say.act_refused" in spoken(speaker)
    # More arrive while the list is up: the same refusal joins its line quietly, a new
    # one is spoken.
    told = len(speaker.said)
    store.add_refused_act("r2", SUPERVISOR, "remark", "W101", WRONG_PIN_REASON)
    pygame.event.post(pygame.event.Event(events.ACT_REFUSED, supervisor=SUPERVISOR, uuid="r2"))
    app.step()
    assert len(speaker.said) == told
    store.add_refused_act("c1", SUPERVISOR, "claim_decision", "W102", LOCKED_REASON)
    pygame.event.post(pygame.event.Event(events.ACT_REFUSED, supervisor=SUPERVISOR, uuid="c1"))
    app.step()
    assert said(speaker) == "审批申请，陈静：主管操作已锁定，请联系人事在管理后台解锁。"
    assert [(line.kind, line.workers) for line in app.scenes.top.lines] == [
        ("remark", ["W100", "W101"]), ("claim_decision", ["W102"])]
    assert app.scenes.names[-2:] == ["handover", "acts_refused"]
    assert store.untold_refused_acts(SUPERVISOR) == []
    tap_button(app, "ok")
    assert app.scenes.top.name == "handover"


def test_a_seal_the_server_refuses_is_told_at_the_next_visit(app, store, speaker):
    """The whole round: a wrong PIN that passes the typo check seals a remark; the sync
    sends it, the server (checking seals as the real one does) refuses it; the supervisor
    hears why when they come back, and a remark with the right PIN goes through."""
    give_test_keys(store)
    server = FakeServer()
    server.sealing = SEALING_PRIVATE
    posted = Posted()
    client = KioskClient("http://127.0.0.1:9", "tok-123", transport=server.transport(),
                         queue_depth=store.depth)
    try:
        sync = SyncWorker(store, client, interval_s=0.05, post=posted)

        def remark(pin: str) -> None:
            to_pin(app)
            type_pin(app, pin)
            tap_button(app, "worker:W100")
            tap_button(app, "worker:W101")
            tap_button(app, "remark")
            tap_button(app, "category:HELP")
            tap_button(app, "send")
            app.scenes.reset()
            sync.run_once()

        remark(lucky_pin())
        assert not [e for e in server.events.values() if e["kind"] == "remark"]
        refused = posted.of(events.ACT_REFUSED)
        assert [r["supervisor"] for r in refused] == [SUPERVISOR, SUPERVISOR]
        for attrs in refused:  # nobody on screen: the next visit tells it
            pygame.event.post(pygame.event.Event(events.ACT_REFUSED, attrs))
        app.step()
        assert app.scenes.names == ["idle"]
        to_pin(app)
        type_pin(app, SUPERVISOR_PIN)
        assert app.scenes.top.name == "acts_refused"
        assert said(speaker) == "有些操作没有生效。加分，王芳、刘洋：密码错误。"
        app.scenes.reset()
        remark(SUPERVISOR_PIN)
        given = [e for e in server.events.values() if e["kind"] == "remark"]
        assert sorted(e["worker"] for e in given) == ["W100", "W101"]
        assert store.untold_refused_acts(SUPERVISOR) == []
    finally:
        client.close()


@pytest.mark.parametrize(("reason", "key"), [
    (WRONG_PIN_REASON, "wrong_pin"),
    ("proof: wrong PIN", "wrong_pin"),
    (LOCKED_REASON, "locked"),
    ("proof: S001 has no PIN; HR sets one in the admin", "no_pin"),
    ("proof: missing", "not_verified"),
    ("proof: does not open for this act (altered, or made for another act)", "not_verified"),
    ("proof: made by another supervisor", "not_verified"),
    ("proof.key: sealed to another server's key; enrol the kiosk with this server",
     "other"),
    ("payload.decided_by: nobody decides their own claim", "own"),
    ("occurred_at: older than the kiosk offline window (14 days)", "too_old"),
    ("occurred_at: more than 5 minutes in the future", "clock"),
    ("payload.claim: no such claim", "other"),
])
def test_refused_reasons_in_plain_words(reason, key):
    assert refused_reason(reason) == key


# --- how it looks ----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_pin_locked_and_remark_confirm_screenshots(app, store, lang):
    roster = supervised_roster(lang=lang, names=True)
    next(w for w in roster["workers"] if w["code"] == SUPERVISOR)["name"] = (
        LONG_ZH if lang == "zh_CN" else LONG_EN)
    use_roster(app, roster)
    store.save_photo("W100", "/p/W100", photo_jpeg(40))
    to_pin(app)
    type_pin(app, wrong_pin())
    tap_button(app, "key:2")
    tap_button(app, "key:5")
    assert_targets(app)
    screenshot(app, f"pin_wrong_{lang}")
    for _ in range(MAX_WRONG_PINS - 1):
        type_pin(app, wrong_pin())
    assert app.scenes.top.locked
    assert_targets(app)
    screenshot(app, f"pin_locked_{lang}")
    supervisor = app.roster.workers[SUPERVISOR]
    workers = app.roster.workshop_workers("W1")
    category = next(c for c in app.roster.categories if c.code == "IDEA")
    app.scenes.reset(RemarkConfirmScene(app.ctx, Visit(supervisor, SUPERVISOR_PIN),
                                        workers[:5], category))
    assert_targets(app)
    screenshot(app, f"remark_confirm_long_{lang}")
    app.scenes.reset(RemarkConfirmScene(app.ctx, Visit(supervisor, SUPERVISOR_PIN), workers,
                                        category))
    screenshot(app, f"remark_confirm_many_{lang}")
    shown = names_that_fit(lang, [w.name for w in workers], NAMES_SIZE, 1162, 2)
    assert shown.startswith(workers[0].name)
    if lang == "zh_CN":
        assert shown.endswith("另外3人")


def test_names_that_fit_all_or_count_the_rest():
    names = ["王芳", "刘洋", "陈静"]
    assert names_that_fit("zh_CN", names, 30, 1000, 1) == "王芳、刘洋、陈静"
    assert names_that_fit("zh_CN", names, 30, 150, 1) == "王芳、另外2人"
    assert names_that_fit("en", [LONG_EN] * 3, 30, 100, 1) == f"{LONG_EN}, 2 more"
