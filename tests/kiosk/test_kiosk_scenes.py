"""Every scene on the dummy display: flows, tap counts, target sizes, timeouts, screenshots."""

from __future__ import annotations

import base64
import json

import pygame
import pytest
from act_support import peek, wrong_pin
from camera_support import StillCamera
from kiosk_fakes import (
    ALICE_QR,
    LI_UID,
    SUPERVISOR_PIN,
    ZHANG_UID,
    card_credential,
    give_test_keys,
    photo_jpeg,
    scorecard_json,
)
from kiosk_support import badge, screenshot, tap_button

from kiosk import events
from kiosk.events import qr_credential
from kiosk.scenes.acts import Visit
from kiosk.scenes.claims_review import ClaimsReviewScene
from kiosk.scenes.scorecard import ScorecardScene
from kiosk.scenes.supervisor import PinScene, RemarkScene, SupervisorScene
from kiosk.store import OutboxState, claims_key
from kiosk.ui import theme, widgets

CLAIM_A = "0f8fad5b-d9cb-469f-a165-70867728950e"
CLAIM_B = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
WORKERS = {"zh_CN": ("W001", card_credential(ZHANG_UID)), "en": ("W002", qr_credential(ALICE_QR))}


def outbox(store) -> list[tuple[str, dict]]:
    items = store.claim_batch(500)
    for item in items:
        store.nack(item.uuid, "test peek")
    return [(item.kind, item.payload) for item in items]


def badge_in(app, lang: str, cached: bool = True) -> None:
    code, credential = WORKERS[lang]
    app.ctx.store.save_photo("W001", "/p/W001", photo_jpeg())
    if cached:
        card = scorecard_json(code)
        if lang == "en":
            card["worker"]["name"] = "Alice Smith"
        app.ctx.store.save_scorecard(code, "week", card)
    badge(app, credential, "card" if lang == "zh_CN" else "qr")
    assert app.scenes.top.name == "scorecard"


def assert_targets(app) -> None:
    for button in app.scenes.top.buttons:
        assert min(button.rect.size) >= theme.MIN_TARGET, (app.scenes.top.name, button.name)
        assert pygame.Rect(0, theme.TOP_BAR, 1280, 800 - theme.TOP_BAR).contains(button.rect)


def test_idle_then_card_shows_cached_scorecard_and_speaks(app, speaker, sync, store):
    assert app.scenes.names == ["idle"]
    badge_in(app, "zh_CN")
    scene = app.scenes.top
    assert scene.worker.code == "W001" and scene.card.total == 85.0 and scene.cached
    assert ("W001", "week") in sync.scorecards
    lang, parts = speaker.said[-1]
    text = "".join(p for _, p in parts)
    assert lang == "zh_CN"
    assert text.startswith("张三，本周得分85分。第3名。开机率达标。次品率未达标。")
    assert [kind for kind, _ in outbox(store)] == ["badge_in"]
    assert app.scorecard_latencies and app.scorecard_latencies[0] < 0.5


def test_fresh_scorecard_replaces_loading(app, store, speaker):
    badge(app, card_credential(ZHANG_UID))
    assert app.scenes.top.card is None
    screenshot(app, "scorecard_loading_zh_CN")
    store.save_scorecard("W001", "week", scorecard_json())
    pygame.event.post(pygame.event.Event(events.SCORECARD_READY, worker="W001", period="week"))
    app.step()
    assert app.scenes.top.card is not None and not app.scenes.top.cached
    assert speaker.said


def test_unknown_badge_logs_event_and_speaks(app, store, speaker):
    badge(app, "ab" * 32)
    assert app.scenes.top.name == "unknown_badge"
    assert outbox(store) == [("badge_in", {"badge_hash": "ab" * 32, "kind": "card",
                                           "reader": "test"})]
    assert speaker.said[-1][1][0][0] == "say.unknown_badge"
    tap_button(app, "ok")
    assert app.scenes.names == ["idle"]


def test_wedge_scanner_badges_in_from_any_scene(app):
    badge_in(app, "zh_CN")
    tap_button(app, "log")
    for char in ALICE_QR:
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=char))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="\r", scancode=40))
    app.step()
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == "W002"


@pytest.mark.parametrize("finger", [False, True])
def test_log_output_count_in_three_taps(app, store, finger):
    badge_in(app, "zh_CN")
    tap_button(app, "log", finger=finger)
    tap_button(app, "output", finger=finger)
    for key in ("key:1", "key:2", "key:0"):
        tap_button(app, key, finger=finger)
    tap_button(app, "done", finger=finger)
    assert app.scenes.top.name == "done"
    assert ("output", {"machine": "M1", "count": 120}) in outbox(store)


def test_mouse_events_made_from_touch_are_ignored(app):
    badge_in(app, "zh_CN")
    x, y = next(b for b in app.scenes.top.buttons if b.name == "log").rect.center
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=True))
    app.step()
    assert app.scenes.top.name == "scorecard"


def test_done_returns_to_scorecard(app):
    badge_in(app, "zh_CN")
    tap_button(app, "log")
    tap_button(app, "machine_start")
    tap_button(app, "machine:M2")
    assert app.scenes.top.name == "done"
    app.scenes.update(2.0)
    assert app.scenes.top.name == "scorecard"


def test_machine_events_and_quality(app, store):
    badge_in(app, "zh_CN")
    for kind in ("machine_stop", "machine_fault", "quality_issue"):
        tap_button(app, "log")
        tap_button(app, kind)
        tap_button(app, "machine:M1")
        app.scenes.pop_to("scorecard")
    kinds = [(k, p) for k, p in outbox(store) if k != "badge_in"]
    assert kinds == [(k, {"machine": "M1"}) for k in ("machine_stop", "machine_fault",
                                                        "quality_issue")]


def test_claim_in_three_taps(app, store):
    badge_in(app, "zh_CN")
    tap_button(app, "claim")
    tap_button(app, "category:FIX")
    tap_button(app, "send")
    assert ("point_claim", {"category": "FIX"}) in outbox(store)


def test_claim_with_photo_when_a_camera_exists(app, store):
    app.ctx.camera = StillCamera()
    badge_in(app, "zh_CN")
    tap_button(app, "claim")
    tap_button(app, "category:HELP")
    tap_button(app, "photo")
    tap_button(app, "take")
    app.step()  # the camera's PHOTO event: the next frame
    tap_button(app, "use")
    tap_button(app, "send")
    claim = [p for k, p in outbox(store) if k == "point_claim"][0]
    assert base64.b64decode(claim["photo_jpeg"]) == app.ctx.camera.frame.jpeg()


def test_appeal_in_three_taps(app, store):
    badge_in(app, "zh_CN")
    tap_button(app, "dim:defect_rate")
    assert app.scenes.top.name == "dimension"
    tap_button(app, "disagree")
    tap_button(app, "reason:machine_broken")
    assert ("appeal", {"dimension": "defect_rate", "period": "week", "reason": "machine_broken",
                       "period_start": "2026-11-16"}) in outbox(store)


def test_period_tabs_request_and_show(app, sync, store):
    badge_in(app, "zh_CN")
    store.save_scorecard("W001", "month", scorecard_json(period="month"))
    tap_button(app, "period:month")
    assert app.scenes.top.period == "month" and ("W001", "month") in sync.scorecards
    assert app.scenes.top.card.period == "month"


def test_supervisor_pin_remarks_for_many(app, store, speaker):
    give_test_keys(store)
    badge(app, card_credential(LI_UID))
    tap_button(app, "supervisor")
    for digit in wrong_pin():
        tap_button(app, f"key:{digit}")
    tap_button(app, "ok")
    assert app.scenes.top.message == "密码错误，还可以试 4 次"
    assert [key for key, _ in speaker.said[-1][1]] == ["say.pin_wrong", "say.pin_left"]
    for digit in SUPERVISOR_PIN:
        tap_button(app, f"key:{digit}")
    tap_button(app, "ok")
    assert type(app.scenes.top).__name__ == "SupervisorScene"
    assert store.pin_failures("S001", 0) == 0, "a PIN that passes the typo check clears it"
    tap_button(app, "worker:W001")
    tap_button(app, "worker:W100")
    tap_button(app, "remark")
    tap_button(app, "category:FIX")
    assert not [k for k, _ in outbox(store) if k == "remark"], "nothing before the confirmation"
    assert speaker.said[-1][1] == [("say.remark_confirm", "处理机器故障，2人，共加20分。")]
    tap_button(app, "send")
    remarks = peek(store, "remark")
    assert [r.payload for r in remarks] == [{"category": "FIX", "given_by": "S001"}] * 2
    assert remarks[0].proof and remarks[0].proof == remarks[1].proof, "one act, one seal"


def test_pending_claims_approved_with_one_tap(app, store, sync):
    give_test_keys(store)
    store.set_setting(claims_key("W1"), json.dumps([
        {"id": CLAIM_A, "worker": "W001", "worker_name": "张三", "category": "FIX",
         "points": 10, "photo_jpeg": base64.b64encode(photo_jpeg()).decode()},
        {"id": CLAIM_B, "worker": "W100", "worker_name": "王芳", "category": "HELP",
         "points": 5},
    ]))
    app.scenes.reset()
    supervisor = app.roster.workers["S001"]
    app.scenes.push(ClaimsReviewScene(app.ctx, Visit(supervisor, SUPERVISOR_PIN)))
    assert sync.claims == ["W1"]
    assert set(app.scenes.top.claim_photos) == {CLAIM_A}
    tap_button(app, f"approve:{CLAIM_A}")
    tap_button(app, f"reject:{CLAIM_B}")
    decisions = [p for k, p in outbox(store) if k == "claim_decision"]
    assert decisions == [{"claim": CLAIM_A, "decision": "approve", "decided_by": "S001"},
                         {"claim": CLAIM_B, "decision": "reject", "decided_by": "S001"}]
    first, second = peek(store, "claim_decision")
    assert first.proof and second.proof and first.proof != second.proof, "an act each"
    assert app.scenes.top.claims == []


def test_timeout_returns_to_idle(make_app):
    app = make_app(timeout_s=0.2)
    badge_in(app, "zh_CN")
    app.scenes.last_input -= 1.0
    app.step()
    assert app.scenes.names == ["idle"]


def test_offline_banner_and_queue_depth(app):
    pygame.event.post(pygame.event.Event(events.SYNC_STATUS, online=False, depth=3))
    app.step()
    assert app.ctx.status.online is False and app.ctx.status.depth == 3
    assert app.screen.get_at((5, 5))[:3] == theme.OFFLINE


def test_not_enrolled_shows_enroll(make_app):
    app = make_app(enrolled=False, roster=False)
    assert app.scenes.top.name == "enroll"
    app.scenes.update(100.0)
    assert app.scenes.top.name == "enroll"


def visit_all(app, lang: str):
    """Walk every screen once, yielding a name for each."""
    yield "idle"
    badge_in(app, lang)
    yield "scorecard"
    tap_button(app, "dim:uptime")
    yield "dimension"
    tap_button(app, "disagree")
    yield "appeal"
    app.scenes.pop_to("scorecard")
    tap_button(app, "log")
    yield "log_event"
    tap_button(app, "machine_fault")
    yield "machine_pick"
    app.scenes.pop()
    tap_button(app, "defect")
    tap_button(app, "key:7")
    yield "count"
    tap_button(app, "done")
    yield "done"
    app.scenes.pop_to("scorecard")
    tap_button(app, "claim")
    yield "claim"
    tap_button(app, "category:IDEA")
    yield "claim_confirm"
    app.scenes.reset()
    badge(app, "cd" * 32)
    yield "unknown_badge"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_scene_screenshot_and_targets(app, lang):
    app.ctx.language = lang
    app.scenes.reset()
    for name in visit_all(app, lang):
        assert_targets(app)
        screenshot(app, f"{name}_{lang}")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_supervisor_screens_screenshot(app, store, lang):
    roster = app.roster
    sup = roster.workers["S001"]
    if lang == "en":
        sup = type(sup)(**{**sup.__dict__, "language": "en", "name": "Li Wei"})
    store.set_setting(claims_key("W1"), json.dumps([
        {"id": CLAIM_A, "worker": "W001", "worker_name": "张三", "category": "FIX",
         "points": 10, "photo_jpeg": base64.b64encode(photo_jpeg(40)).decode()},
        {"id": CLAIM_B, "worker": "W101", "worker_name": "刘洋", "category": "IDEA",
         "points": 20}]))
    store.save_photo("W100", "/p/W100", photo_jpeg(60))
    store.save_photo("S001", "/p/S001", b"not an image")
    pin = PinScene(app.ctx, sup)
    app.scenes.reset(pin)
    pin.pad.value = "25"
    assert_targets(app)
    screenshot(app, f"supervisor_pin_{lang}")
    visit = Visit(sup, "2580")
    app.scenes.replace(SupervisorScene(app.ctx, visit))
    tap_button(app, "worker:W100")
    tap_button(app, "worker:W103")
    assert_targets(app)
    screenshot(app, f"supervisor_workers_{lang}")
    app.scenes.push(RemarkScene(app.ctx, visit, [roster.workers["W100"],
                                                 roster.workers["W103"]]))
    assert_targets(app)
    screenshot(app, f"supervisor_remark_{lang}")
    app.scenes.replace(ClaimsReviewScene(app.ctx, visit))
    assert_targets(app)
    screenshot(app, f"supervisor_claims_{lang}")
    app.scenes.replace(ClaimsReviewScene(app.ctx, Visit(roster.workers["W001"], "2580")))
    screenshot(app, f"supervisor_claims_empty_{lang}")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_enroll_and_offline_screenshots(make_app, lang):
    app = make_app(enrolled=False)
    app.ctx.language = lang
    app.scenes.reset()
    assert app.scenes.names == ["enroll"]
    screenshot(app, f"enroll_{lang}")
    pygame.event.post(pygame.event.Event(events.ENROLMENT, enrolled=True, reason=None))
    app.step()
    assert app.scenes.names == ["idle"]
    badge_in(app, lang)
    pygame.event.post(pygame.event.Event(events.SYNC_STATUS, online=False, depth=12))
    screenshot(app, f"offline_scorecard_{lang}")


def test_outbox_written_before_done(app, store):
    badge_in(app, "zh_CN")
    tap_button(app, "log")
    tap_button(app, "machine_start")
    tap_button(app, "machine:M1")
    assert app.scenes.top.name == "done"
    assert store.counts()[OutboxState.PENDING.value] == 2


def test_supervisor_scorecard_and_day_period_screenshots(app, store):
    store.save_scorecard("S001", "day", {**scorecard_json("S001", "day"), "rank": None,
                                         "tier": None, "next_tier": None, "dimensions": []})
    badge(app, card_credential(LI_UID))
    assert [b.name for b in app.scenes.top.actions] == ["log", "claim", "points", "rewards",
                                                        "growth", "supervisor", "exit"]
    tap_button(app, "period:day")
    assert_targets(app)
    screenshot(app, "scorecard_supervisor_day_zh_CN")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_store_failure_says_not_saved(app, store, speaker, lang):
    badge_in(app, lang)
    tap_button(app, "log")
    tap_button(app, "output")
    tap_button(app, "key:3")
    store.close()
    tap_button(app, "done")
    assert app.scenes.top.name == "error"
    assert speaker.said[-1][1][0][0] == "say.error"
    assert_targets(app)
    screenshot(app, f"error_{lang}")


def test_count_uses_the_workers_last_machine_and_pages_machines(app, store):
    badge_in(app, "zh_CN")
    tap_button(app, "log")
    tap_button(app, "machine_start")
    tap_button(app, "machine:M5")
    app.scenes.pop_to("scorecard")
    tap_button(app, "log")
    tap_button(app, "output")
    scene = app.scenes.top
    assert scene.machine == "M5" and [c.name for c in scene.chips] == [
        "machine:M4", "machine:M5", "machine:M6", "more"]
    tap_button(app, "more")
    tap_button(app, "machine:M2")
    tap_button(app, "done")
    assert app.scenes.top.name == "log_event"
    tap_button(app, "key:8")
    tap_button(app, "done")
    assert ("output", {"machine": "M2", "count": 8}) in outbox(store)


def scene_state(scene) -> dict:
    """The scene's attributes, containers copied (so a change inside one shows)."""
    return {key: type(value)(value) if isinstance(value, dict | list | set) else value
            for key, value in vars(scene).items()}


def test_draw_changes_nothing_on_any_scene(app):
    for name in visit_all(app, "zh_CN"):
        scene = app.scenes.top
        before = scene_state(scene)
        app.scenes.draw(app.screen)
        app.scenes.draw(app.screen)
        assert scene_state(scene) == before, name
    fresh = ScorecardScene(app.ctx, app.roster.workers["W001"])  # never drawn before
    fresh.enter()
    before = scene_state(fresh)
    fresh.draw(app.screen)
    assert scene_state(fresh) == before


def test_badge_to_card_latency_is_measured_once_from_the_first_frame(app, sync):
    badge_in(app, "zh_CN")
    assert len(app.scorecard_latencies) == 1 and ("W001", "week") in sync.scorecards
    app.render()
    app.step()
    assert len(app.scorecard_latencies) == 1


def test_tier_names_and_stars_come_from_the_scheme() -> None:
    from kiosk.i18n.readout import tier_name
    from kiosk.model import Scorecard

    card = Scorecard.from_json({
        "total": 90, "tier": {"key": "gold", "name": "金牌", "stars": 3},
        "next_tier": None, "projected_tier": "rising",
        "tiers": [{"key": "gold", "name": "金牌", "stars": 3},
                  {"key": "rising", "name": "进步之星", "stars": 1},
                  {"key": "excellent", "name": "excellent", "stars": 2}]})
    assert (card.stars("gold"), card.stars("rising"), card.stars("unknown")) == (3, 1, 0)
    assert tier_name("zh_CN", "gold", card) == "金牌"
    # A name the scheme did not give falls back to the catalogue's word for the key.
    assert tier_name("en", "excellent", card) == "Excellent"
    assert tier_name("en", "gold", card) == "金牌"  # no English word for an unknown key


def _spy(monkeypatch, name: str) -> list[tuple]:  # type: ignore[type-arg]
    """What `widgets.<name>` is called with, drawing as it would."""
    calls: list[tuple] = []  # type: ignore[type-arg]
    real = getattr(widgets, name)

    def spy(surface, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        return real(surface, *args, **kwargs)

    monkeypatch.setattr(widgets, name, spy)
    return calls


PRO_RATED = {"zh_CN": "按已过天数折算", "en": "so far, pro-rated"}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("tiles", [4, 2])
def test_a_pro_rated_target_says_so_on_its_tile_and_aloud(app, store, speaker, lang, tiles):
    """On Wednesday a week's 900 pieces is a target of 385.7 so far (3 of 7 days)."""
    code, credential = WORKERS[lang]
    card = scorecard_json(code)
    card["dimensions"] = [d for d in card["dimensions"] if d["key"] in ("uptime", "output")
                          or tiles == 4]
    output = next(d for d in card["dimensions"] if d["key"] == "output")
    output.update(value=400, target=385.714286, target_full=900, pro_rated=True, met=True)
    if lang == "en":
        card["worker"]["name"] = "Alice Smith"
    store.save_scorecard(code, "week", card)
    badge(app, credential, "card" if lang == "zh_CN" else "qr")
    shot = screenshot(app, f"scorecard_pro_rated_{tiles}_{lang}")
    assert shot.is_file()
    targets = [d for d in app.scenes.top.paint(app.screen).drawn if d.role == "target"]
    target = "目标 385.7" if lang == "zh_CN" else "Target 385.7"
    if tiles == 2:  # wide tiles: the note beside the target
        assert f"{target} · {PRO_RATED[lang]}" in [d.value for d in targets]
    else:  # narrower: the note in the target's place (the dimension's screen has both)
        assert PRO_RATED[lang] in [d.value for d in targets]
    # The other tiles' targets are rates, judged as they are: no note.
    notes = [d for d in targets if PRO_RATED[lang] in d.value]
    assert len(notes) == 1 and all(d.size >= 14 for d in notes)
    said = [key for key, _ in speaker.said[-1][1]]
    assert "say.dim_met_so_far" in said and said.count("say.dim_met") == 1  # uptime


def test_a_day_without_data_shows_no_rank_and_no_stars(app, store, monkeypatch):
    card = scorecard_json("W001", "day")
    card.update(rank=None, rank_of=None, tier=None, next_tier=None, projected_tier=None,
                total=0.0, today_points=0.0, projected_total=0.0, complete=False)
    for dim in card["dimensions"]:
        dim.update(value=None, met=None, points=0.0, no_data=True, daily=[], daily_met={})
    store.save_scorecard("W001", "day", card)
    store.save_scorecard("W001", "week", scorecard_json("W001"))
    stars = _spy(monkeypatch, "stars")
    badge(app, card_credential(ZHANG_UID))
    app.render()
    assert stars  # the week: rank 3, "good"
    tap_button(app, "period:day")
    stars.clear()
    screenshot(app, "scorecard_day_no_data_zh_CN")
    assert stars == []
