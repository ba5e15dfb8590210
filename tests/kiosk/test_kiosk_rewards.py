"""Issue 14 on the kiosk: every point category reachable (pages), the remark confirmation
and its 60 s undo, the balance on the card and "my points", rewards and their
confirmation, a refused redemption told to the worker, and the supervisor's hand-over."""

from __future__ import annotations

import json

import pygame
import pytest
from kiosk_fakes import (
    LI_UID,
    LONG_REWARD,
    SEALING_PRIVATE,
    SUPERVISOR_PIN,
    ZHANG_UID,
    FakeServer,
    card_credential,
    give_test_keys,
    photo_jpeg,
    points_json,
    rewards_json,
    roster_json,
    scorecard_json,
)
from kiosk_support import badge, screenshot, tap_button
from test_kiosk_sync import Posted

from kiosk import events
from kiosk.background.sync import SyncWorker
from kiosk.events import qr_credential
from kiosk.link.client import KioskClient
from kiosk.scenes.rewards import refusal_reason
from kiosk.store import REWARDS_KEY, points_key, redemptions_key, reward_picture_key
from kiosk.ui import theme
from shopfloor_trust.seal import open_seal

ALICE = qr_credential("QR-ALICE-7f3a9c")
REDEEMED = "6f1c1c52-4a47-4a39-9d0e-3f0e0e2c7a11"


def outbox(store) -> list[tuple[str, str | None, dict]]:
    items = store.claim_batch(500)
    for item in items:
        store.nack(item.uuid, "test peek")
    return [(item.kind, item.worker, item.payload) for item in items]


def assert_targets(app) -> None:
    for button in app.scenes.top.buttons:
        assert min(button.rect.size) >= theme.MIN_TARGET, (app.scenes.top.name, button.name)
        assert pygame.Rect(0, theme.TOP_BAR, 1280, 800 - theme.TOP_BAR).contains(button.rect)


def said(speaker) -> str:
    return "".join(text for _, text in speaker.said[-1][1])


def many_categories(n: int = 28) -> list[dict]:
    return [{"code": f"C{i:02d}", "name": f"第{i}项：非常长的加分项目名称示例",
             "name_en": f"Category {i} with a rather long English name", "level": "ABC"[i % 3],
             "points": 5 + i, "needs_approval": True} for i in range(1, n + 1)]


@pytest.fixture
def stocked(make_app, store):
    """An app whose roster, rewards and W001's account are cached, as after a sync."""
    def make(*, categories: list[dict] | None = None, balance: float = 120.0,
             supervisor_lang: str = "zh_CN"):
        app = make_app()
        give_test_keys(store)
        roster = roster_json()
        if categories is not None:
            roster["categories"] = categories
        roster["workers"][2]["language"] = supervisor_lang  # S001
        store.save_roster(roster, '"r2"')
        app.reload_roster()
        store.save_cached(REWARDS_KEY, {"rewards": rewards_json()})
        store.save_photo(reward_picture_key("TOWEL"), "/api/v1/rewards/TOWEL/picture",
                         photo_jpeg(60))
        store.save_cached(points_key("W001"), points_json("W001", balance))
        card = scorecard_json()
        card["balance"] = balance
        store.save_scorecard("W001", "week", card)
        return app
    return make


def supervisor_in(app) -> None:
    badge(app, card_credential(LI_UID))
    tap_button(app, "supervisor")
    for digit in SUPERVISOR_PIN:
        tap_button(app, f"key:{digit}")
    tap_button(app, "ok")
    assert type(app.scenes.top).__name__ == "SupervisorScene"


# --- 1. every category reachable ------------------------------------------------------------
def test_each_of_28_claim_categories_within_three_taps_of_the_claim_scene(stocked, store):
    app = stocked(categories=many_categories())
    badge(app, card_credential(ZHANG_UID))
    for i, category in enumerate(many_categories()):
        tap_button(app, "claim")
        taps = 0
        while not any(b.name == f"category:{category['code']}" for b in app.scenes.top.buttons):
            tap_button(app, "page:next")
            taps += 1
        tap_button(app, f"category:{category['code']}")
        assert taps + 1 <= 3, (category["code"], taps)
        assert app.scenes.top.name == "claim"
        if i in (0, 27):
            assert_targets(app)
        app.scenes.pop_to("scorecard")
    tap_button(app, "claim")
    assert_targets(app)
    screenshot(app, "claim_page1_zh_CN")
    tap_button(app, "page:next")
    tap_button(app, "page:next")
    assert {b.name for b in app.scenes.top.buttons} >= {"category:C25", "category:C28"}
    screenshot(app, "claim_page3_zh_CN")
    tap_button(app, "page:previous")
    assert "category:C13" in {b.name for b in app.scenes.top.buttons}


def test_each_of_28_remark_categories_within_three_taps(stocked, store):
    app = stocked(categories=many_categories())
    supervisor_in(app)
    tap_button(app, "worker:W100")
    tap_button(app, "remark")
    for category in many_categories():
        taps = 0
        while not any(b.name == f"category:{category['code']}" for b in app.scenes.top.buttons):
            tap_button(app, "page:next")
            taps += 1
        assert taps <= 2
        tap_button(app, f"category:{category['code']}")
        assert type(app.scenes.top).__name__ == "RemarkConfirmScene"
        tap_button(app, "back")
    assert_targets(app)
    screenshot(app, "supervisor_remark_page3_zh_CN")
    assert not [k for k, _, _ in outbox(store) if k == "remark"]


# --- 2. money needs a confirmation ----------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_remark_to_three_shows_count_and_total_then_undo_takes_each_back(
        stocked, store, speaker, lang):
    app = stocked(supervisor_lang=lang)
    supervisor_in(app)
    for code in ("W100", "W101", "W102"):
        tap_button(app, f"worker:{code}")
    tap_button(app, "remark")
    tap_button(app, "category:FIX")
    scene = app.scenes.top
    assert scene.tr("sup.total", n=3, total="+30") in ("3 人，共 +30 分",
                                                       "3 people, +30 points in all")
    assert_targets(app)
    screenshot(app, f"remark_confirm_{lang}")
    tap_button(app, "send")
    sent = [(w, p) for k, w, p in outbox(store) if k == "remark"]
    assert [w for w, _ in sent] == ["W100", "W101", "W102"]
    assert app.scenes.top.name == "remark_undo" and not app.scenes.top.times_out
    assert_targets(app)
    screenshot(app, f"remark_undo_{lang}")
    remark_uuids = [i.uuid for i in store.claim_batch(500) if i.kind == "remark"]
    for uuid in remark_uuids:
        store.nack(uuid, "peek")
    clock = app.ctx.clock
    app.ctx.clock = lambda: clock() + 30
    app.step()
    assert app.scenes.top.name == "remark_undo", "no idle timeout while the undo counts"
    tap_button(app, "undo")
    assert speaker.said[-1][1][0][0] == "say.undone"
    undos = [(w, p) for k, w, p in outbox(store) if k == "remark_undo"]
    assert undos == [(w, {"remark": u}) for u, w in zip(remark_uuids,
                                                         ["W100", "W101", "W102"], strict=True)]
    assert app.scenes.top.name == "done"


def test_undo_ends_after_60_s_back_to_the_tiles(stocked, store):
    app = stocked()
    supervisor_in(app)
    tap_button(app, "worker:W100")
    tap_button(app, "remark")
    tap_button(app, "category:HELP")
    tap_button(app, "send")
    undo = app.scenes.top
    clock = app.ctx.clock
    app.ctx.clock = lambda: clock() + 61
    undo._undo()  # too late: nothing recorded
    app.scenes.update(0.1)
    assert type(app.scenes.top).__name__ == "SupervisorScene"
    assert not [k for k, _, _ in outbox(store) if k == "remark_undo"]
    app.ctx.clock = clock
    app.scenes.last_input -= 31
    app.scenes.update(0.1)
    assert app.scenes.names == ["idle"]


# --- 3. the balance and "my points" ---------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_card_shows_balance_and_my_points_speaks_it(stocked, store, speaker, sync, lang):
    app = stocked(balance=12345)
    if lang == "en":
        store.save_cached(points_key("W002"), points_json("W002", 12345))
        store.save_scorecard("W002", "week", {**scorecard_json("W002"), "balance": 12345})
        badge(app, ALICE, "qr")
    else:
        badge(app, card_credential(ZHANG_UID))
    code = "W002" if lang == "en" else "W001"
    coin = next(b for b in app.scenes.top.buttons if b.name == "points")
    assert coin.amount == "12345"
    assert (code) in sync.points
    screenshot(app, f"scorecard_balance_{lang}")
    tap_button(app, "points")  # one tap from the card
    assert app.scenes.top.name == "points"
    text = said(speaker)
    if lang == "zh_CN":
        assert text.startswith("你的积分余额是12345分。最近：主管表扬加10分，兑换减50分，")
    else:
        assert text.startswith("Your points balance is 12345. Recently: Supervisor praise, "
                               "10 points added; ")
    assert "显示的是之前的积分" in text or "as last seen" in text  # cached before this visit
    assert_targets(app)
    screenshot(app, f"my_points_{lang}")
    tap_button(app, "rewards")  # two taps from the card
    assert app.scenes.top.name == "rewards"


def test_points_scene_without_a_cached_account_waits_then_shows(make_app, store, sync, speaker):
    app = make_app()
    store.save_scorecard("W001", "week", scorecard_json())
    badge(app, card_credential(ZHANG_UID))
    coin = next(b for b in app.scenes.top.buttons if b.name == "points")
    assert coin.amount is None  # no balance known: the plain button
    tap_button(app, "points")
    screenshot(app, "my_points_loading_zh_CN")
    store.save_cached(points_key("W001"), points_json())
    pygame.event.post(pygame.event.Event(events.POINTS_READY, worker="W001"))
    app.step()
    assert said(speaker).startswith("你的积分余额是120分。")
    assert not app.scenes.top.cached


# --- 4. rewards ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_redeem_in_three_taps_speaks_cost_and_balance_after(stocked, store, speaker, lang):
    app = stocked()
    if lang == "en":
        store.save_cached(points_key("W002"), points_json("W002", 120))
        store.save_scorecard("W002", "week", {**scorecard_json("W002"), "balance": 120})
        badge(app, ALICE, "qr")
    else:
        badge(app, card_credential(ZHANG_UID))
    tap_button(app, "rewards")
    scene = app.scenes.top
    names = [b.name for b in scene.tiles]
    assert names[:2] == ["reward:COURSE:7", "reward:TOWEL:7"], "entitlements first, free"
    tiles = {b.name: b for b in scene.tiles}
    assert tiles["reward:TOWEL:"].affordable and not tiles["reward:BATH:"].affordable
    assert not tiles["reward:MUG:"].affordable  # sold out
    assert_targets(app)
    screenshot(app, f"rewards_{lang}")
    tap_button(app, "reward:BATH:")  # too dear: said, nothing recorded
    assert app.scenes.top is scene
    assert said(speaker) in ("积分不够：需要12000分，你有120分。",
                             "Not enough points: it costs 12000, you have 120. ")
    tap_button(app, "reward:TOWEL:")
    assert said(speaker) in ("兑换毛巾需要50分，兑换后余额70分。",
                             "Towel costs 50 points. Your balance after is 70. ")
    assert_targets(app)
    screenshot(app, f"redeem_confirm_{lang}")
    tap_button(app, "confirm")  # the third tap from the card
    code = "W002" if lang == "en" else "W001"
    assert ("reward_redeem", code, {"reward": "TOWEL"}) in outbox(store)
    assert app.scenes.top.name == "done"
    screenshot(app, f"redeemed_{lang}")
    app.scenes.pop_to("scorecard")
    coin = next(b for b in app.scenes.top.buttons if b.name == "points")
    assert coin.amount == "70", "the redemption waiting in the outbox is already spent"


def test_entitlement_is_a_free_choice_used_once(stocked, store, speaker):
    app = stocked(balance=0)
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "rewards")
    tap_button(app, "reward:COURSE:7")
    assert said(speaker) == "免费兑换技能培训课程，这是良好的奖励。"
    screenshot(app, "redeem_free_zh_CN")
    tap_button(app, "confirm")
    assert ("reward_redeem", "W001", {"reward": "COURSE", "entitlement": 7}) in outbox(store)
    app.scenes.pop_to("scorecard")
    tap_button(app, "rewards")
    assert not [b for b in app.scenes.top.tiles if b.name.endswith(":7")]


def test_long_names_and_big_numbers(stocked, store):
    app = stocked(balance=987654)
    store.save_cached(REWARDS_KEY, {"rewards": [
        {**r, "code": f"{r['code']}{i}", "name": LONG_REWARD} for i in range(3)
        for r in rewards_json()]})
    badge(app, card_credential(ZHANG_UID))
    screenshot(app, "scorecard_balance_big_zh_CN")
    tap_button(app, "rewards")
    assert "page:next" in {b.name for b in app.scenes.top.buttons}
    assert_targets(app)
    screenshot(app, "rewards_long_zh_CN")
    tap_button(app, "reward:BATH0:")
    screenshot(app, "redeem_confirm_long_zh_CN")


# --- the server's answer ---------------------------------------------------------------------
@pytest.fixture
def syncing(store):
    server = FakeServer()
    posted = Posted()
    client = KioskClient("http://127.0.0.1:9", "tok-123", transport=server.transport(),
                         queue_depth=store.depth)
    yield server, SyncWorker(store, client, interval_s=0.05, post=posted), posted
    client.close()


def test_sync_fetches_points_rewards_pictures_and_redemptions(store, syncing):
    server, worker, posted = syncing
    server.redemptions = [{"uuid": REDEEMED, "worker": "W001", "worker_name": "张三",
                           "reward": "TOWEL", "reward_name": "毛巾", "at": "2026-11-20T10:00",
                           "state": "pending"}]
    worker.request_points("W001")
    worker.request_rewards()
    worker.request_redemptions("W1")
    worker.run_once()
    assert store.cached(points_key("W001")).body["balance"] == 120
    assert [r["code"] for r in store.cached(REWARDS_KEY).body["rewards"]][0] == "TOWEL"
    assert store.photo(reward_picture_key("TOWEL"))[0] == "/api/v1/rewards/TOWEL/picture"
    assert store.cached(redemptions_key("W1")).body[0]["uuid"] == REDEEMED
    assert posted.of(events.POINTS_READY) == [{"worker": "W001"}]
    assert posted.of(events.REDEMPTIONS_READY) == [{"workshop": "W1"}]
    worker.request_rewards()
    worker.run_once()  # 304: the catalogue is kept, the picture not fetched again
    pictures = [r for r in server.requests if r.url.path.endswith("/picture")]
    assert len(pictures) == 1


def test_a_refused_redemption_is_told_at_once_while_on_screen(stocked, store, speaker,
                                                                syncing):
    server, worker, posted = syncing
    app = stocked(balance=120)
    server.balances["W001"] = 10  # the server knows better: spent elsewhere
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "rewards")
    tap_button(app, "reward:TOWEL:")
    tap_button(app, "confirm")
    app.scenes.pop_to("scorecard")
    worker.run_once()
    refused = posted.of(events.REDEEM_REFUSED)
    assert refused and refused[0]["worker"] == "W001"
    pygame.event.post(pygame.event.Event(events.REDEEM_REFUSED, refused[0]))
    app.step()
    assert app.scenes.top.name == "redeem_refused"
    assert said(speaker) == "兑换毛巾没有成功：积分不够。"
    assert_targets(app)
    screenshot(app, "redeem_refused_zh_CN")
    tap_button(app, "ok")
    assert app.scenes.top.name == "scorecard"
    assert not store.untold_refusals("W001")


def test_a_refused_redemption_is_told_on_the_next_card(stocked, store, speaker, syncing):
    server, worker, posted = syncing
    app = stocked()
    server.rewards = [r for r in server.rewards if r["code"] != "TOWEL"]  # retired meanwhile
    store.enqueue("reward_redeem", "W001", {"reward": "TOWEL"})
    worker.run_once()
    assert app.scenes.names == ["idle"]  # nobody to tell now
    pygame.event.post(pygame.event.Event(events.REDEEM_REFUSED,
                                         posted.of(events.REDEEM_REFUSED)[0]))
    app.step()
    assert app.scenes.names == ["idle"]
    badge(app, card_credential(ZHANG_UID))
    assert app.scenes.top.name == "redeem_refused"
    assert said(speaker) == "兑换毛巾没有成功：这个奖励已下架。"
    app.scenes.pop()
    badge(app, card_credential(ZHANG_UID))
    assert app.scenes.top.name == "scorecard", "told once"


def test_an_accepted_redemption_refreshes_the_balance(store, syncing):
    server, worker, posted = syncing
    store.enqueue("reward_redeem", "W001", {"reward": "TOWEL"})
    worker.run_once()
    assert server.balances["W001"] == 70
    assert store.cached(points_key("W001")).body["balance"] == 70


@pytest.mark.parametrize(("reason", "key"), [
    ("payload.reward: too few points: 'TOWEL' costs 50, 'W001' has 10", "balance"),
    ("payload.reward: 'MUG' is out of stock", "stock"),
    ("payload.reward: 'TOWEL' is retired", "retired"),
    ("payload.entitlement: entitlement 7 is used already", "entitlement"),
    ("payload.reward: 'TOWEL' is not on the 'good' menu", "tier"),
    ("payload.reward: 'DAYOFF' is for the 'excellent' tier of the last closed period", "tier"),
    ("worker 'W001' is not active", "other"),
])
def test_refusal_reasons(reason, key):
    assert refusal_reason(reason) == key


# --- 5. the hand-over ------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_supervisor_hands_over_with_a_confirmation(stocked, store, sync, speaker, lang):
    app = stocked(supervisor_lang=lang)
    store.save_photo("W001", "/p/W001", photo_jpeg())
    store.save_cached(redemptions_key("W1"), [
        {"uuid": REDEEMED, "worker": "W001", "worker_name": "张三", "reward": "BATH",
         "reward_name": LONG_REWARD if lang == "zh_CN" else "Extra-thick cotton bath towel "
         "with the company logo (blue, limited)", "at": "2026-11-20T10:00:00+08:00",
         "state": "pending"},
        {"uuid": "11111111-2222-4333-8444-555555555555", "worker": "W100",
         "worker_name": "王芳", "reward": "TOWEL", "reward_name": "毛巾",
         "at": "2026-11-21T11:00:00+08:00", "state": "pending"}])
    supervisor_in(app)
    tap_button(app, "handover")
    assert "W1" in sync.redemptions
    assert_targets(app)
    screenshot(app, f"handover_{lang}")
    tap_button(app, f"handover:{REDEEMED}")
    assert_targets(app)
    screenshot(app, f"handover_confirm_{lang}")
    assert not [k for k, _, _ in outbox(store) if k == "reward_handover"]
    tap_button(app, "confirm")
    assert ("reward_handover", "W001", {"redemption": REDEEMED, "handed_by": "S001"}) in \
        outbox(store)
    (handover,) = [i for i in store.claim_batch(500) if i.kind == "reward_handover"]
    store.nack(handover.uuid, "peek")
    assert open_seal(handover.proof, SEALING_PRIVATE, "reward_handover") == SUPERVISOR_PIN
    app.scenes.update(2.0)
    assert app.scenes.top.name == "handover"
    assert [c.name for c in app.scenes.top.cards] == [
        "handover:11111111-2222-4333-8444-555555555555"]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_supervisor_does_not_hand_over_their_own_reward(stocked, store, speaker, lang):
    app = stocked(supervisor_lang=lang)
    store.save_cached(redemptions_key("W1"), [
        {"uuid": REDEEMED, "worker": "S001", "worker_name": "李班长", "reward": "TOWEL",
         "reward_name": "毛巾", "at": "2026-11-20T10:00:00+08:00", "state": "pending"},
        {"uuid": "11111111-2222-4333-8444-555555555555", "worker": "W100",
         "worker_name": "王芳", "reward": "TOWEL", "reward_name": "毛巾",
         "at": "2026-11-21T11:00:00+08:00", "state": "pending"}])
    supervisor_in(app)
    tap_button(app, "handover")
    assert_targets(app)
    screenshot(app, f"handover_own_{lang}")
    tap_button(app, f"handover:{REDEEMED}")
    assert app.scenes.top.name == "handover", "no confirmation for their own"
    assert speaker.said[-1][1][0][0] == "say.handover_own"
    assert not [k for k, _, _ in outbox(store) if k == "reward_handover"]


# --- every new scene times out ---------------------------------------------------------------
def test_new_scenes_time_out_to_idle(stocked, store):
    app = stocked()
    store.save_cached(redemptions_key("W1"), [])
    for path in (["points"], ["rewards"], ["rewards", "reward:TOWEL:"], ["points", "rewards"]):
        badge(app, card_credential(ZHANG_UID))
        for name in path:
            tap_button(app, name)
        app.scenes.last_input -= 31
        app.scenes.update(0.1)
        assert app.scenes.names == ["idle"], path
    supervisor_in(app)
    tap_button(app, "handover")
    app.scenes.last_input -= 31
    app.scenes.update(0.1)
    assert app.scenes.names == ["idle"]
    assert json.loads(store.get_setting("handed_over") or "[]") == []
