"""My growth on the kiosk: a button on the scorecard opens the growth scene (radar with the
weakest axis, the grade and what is missing, tiers, pools, training with quiz results,
rewards), drawn in a real X window (a private Xvfb) in zh_CN and en, screenshots in
/tmp/shots19/growth/; the training list puts the suggested videos first, marked; a quiz
below the pass mark leaves the video open until a retry passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pygame
import pytest
from kiosk_fakes import ALICE_QR, ZHANG_UID, card_credential, photo_jpeg, scorecard_json
from kiosk_support import badge, screenshot, tap_button
from test_kiosk_training import CLIP_S, run_clock, stock

from kiosk import events
from kiosk.events import qr_credential
from kiosk.store import growth_key
from kiosk.ui import theme
from kiosk.ui.window import Window
from kiosk.videos import LIST_KEY
from server.services.training.probe import thumbnail
from support.clips import make_clip

SHOTS = Path("/tmp/shots19/growth")
needs_x = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt xvfb)")


def growth_json(code: str, name: str) -> dict[str, Any]:
    def axis(key: str, kind: str, code: str, name: str, name_en: str | None,
             share: float | None) -> dict[str, Any]:
        return {"key": key, "kind": kind, "code": code, "name": name, "name_en": name_en,
                "value": 0 if share is None else share * 10, "max": 10, "share": share}
    return {
        "worker": {"code": code, "name": name, "role": "worker"}, "as_of": "2026-12-07",
        "radar": [axis("dim:uptime", "dimension", "uptime", "uptime", None, 0.9),
                  axis("dim:defect_rate", "dimension", "defect_rate", "defect_rate", None,
                       0.75),
                  axis("dim:output", "dimension", "output", "output", None, 0.35),
                  axis("dim:first_pass", "dimension", "first_pass", "首检合格率",
                       "First-pass rate", 0.6),
                  axis("cat:improvement", "category", "improvement", "改善提案",
                       "Improvement", 0.5),
                  axis("cat:safety_catch", "category", "safety_catch", "发现安全隐患",
                       "Safety hazard", 1.0),
                  axis("cat:tidy_5s", "category", "tidy_5s", "5S 整理整顿", "5S tidy",
                       None)],
        "weakest": "dim:output", "suggested": [3],
        "training": [
            {"video": 1, "title": "数控车床安全操作规程", "title_en": "Lathe safety",
             "completed_at": "2026-11-20T08:00:00+00:00", "quiz_correct": 2,
             "quiz_total": 2, "quiz_best": 1.0, "quiz_attempts": 1, "pass_mark": 100,
             "passed": True},
            {"video": 2, "title": "消防器材的使用方法", "title_en": "Fire extinguishers",
             "completed_at": None, "quiz_correct": 1, "quiz_total": 3, "quiz_best": 0.33,
             "quiz_attempts": 2, "pass_mark": 60, "passed": False}],
        "tiers": [{"period": "month", "key": "2026-10", "tier": "excellent", "name": "优秀",
                   "stars": 3},
                  {"period": "month", "key": "2026-08", "tier": "excellent", "name": "优秀",
                   "stars": 3},
                  {"period": "month", "key": "2026-09", "tier": "good", "name": "良好",
                   "stars": 2}],
        "rewards": [{"code": "CUP", "name": "保温杯", "name_en": "Vacuum cup", "cost": 50,
                     "state": "handed_over", "at": "2026-11-02T08:00:00+00:00"}],
        "grade": {"current": {"code": "T1", "name": "初级技工", "name_en": "Technician I",
                              "rank": 1, "points": 50},
                  "next": {"code": "T2", "name": "中级技工", "name_en": "Technician II",
                           "rank": 2, "points": 120},
                  "points": 90, "missing_points": 30,
                  "missing_videos": [{"id": 2, "title": "消防器材的使用方法",
                                      "title_en": "Fire extinguishers"}],
                  "reached": False},
        "pools": [{"code": "lean", "name": "精益改善种子库", "name_en": "Lean seeds"}],
    }


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short clip and its thumbnail, as the training tests make them."""
    folder = tmp_path_factory.mktemp("growth")
    path = make_clip(folder / "clip.mp4", CLIP_S, (320, 180), fps=10, bitrate=200_000)
    thumbnail(path, folder / "thumb.jpg", CLIP_S)
    return path


@pytest.fixture
def display(x_window: Window) -> Window:
    """A real X11 window (conftest's `x_window`) instead of the dummy display."""
    return x_window


@needs_x
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_growth_scene_from_the_scorecard(make_app, store, speaker, sync, clip, tmp_path,
                                             lang: str) -> None:
    assert pygame.display.get_driver() == "x11"
    app = make_app()
    app.ctx.videos = stock(store, tmp_path / "videos", clip)
    code, credential, kind, name = (
        ("W001", card_credential(ZHANG_UID), "card", "张三") if lang == "zh_CN"
        else ("W002", qr_credential(ALICE_QR), "qr", "Alice Smith"))
    store.save_photo(code, f"/p/{code}", photo_jpeg())
    card = scorecard_json(code)
    card["worker"]["name"] = name
    store.save_scorecard(code, "week", card)
    store.save_cached(growth_key(code), growth_json(code, name))
    badge(app, credential, kind)
    assert app.scenes.top.name == "scorecard"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot(app, f"growth_scorecard_{lang}"), SHOTS / f"scorecard_{lang}.png")
    tap_button(app, "growth")
    assert app.scenes.top.name == "growth"
    app.step()  # shown: the scene asks for a fresh record
    assert sync.growth[-1] == code
    path = screenshot(app, f"growth_{lang}")
    shutil.copy(path, SHOTS / f"growth_{lang}.png")
    said = speaker.said[-1][1]
    assert said[0][0] == "say.growth" and "30" in said[0][1]
    # The radar is drawn in the primary blue, the weakest axis marked in red.
    shot = pygame.image.load(str(path))
    colours = {tuple(shot.get_at((x, y)))[:3] for x in range(24, 624, 2)
               for y in range(150, 700, 2)}
    assert theme.PRIMARY in colours and theme.BAD in colours
    # A fresh record replaces the cached one.
    fresh = growth_json(code, name)
    fresh["grade"]["reached"], fresh["grade"]["missing_points"] = True, 0
    store.save_cached(growth_key(code), fresh)
    pygame.event.post(pygame.event.Event(events.GROWTH_READY, worker=code))
    app.step()
    assert app.scenes.top.record["grade"]["reached"] is True
    tap_button(app, "training")
    assert app.scenes.top.name == "training"
    tiles = [b.name for b in app.scenes.top.buttons if b.name.startswith("video:")]
    assert tiles[0] == "video:3", "the suggested video first"
    shutil.copy(screenshot(app, f"growth_training_{lang}"), SHOTS / f"training_{lang}.png")
    tap_button(app, "back")
    tap_button(app, "back")
    assert app.scenes.top.name == "scorecard"


def test_without_a_record_the_scene_waits_and_asks(make_app, store, sync) -> None:
    app = make_app()
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "growth")
    app.step()
    assert app.scenes.top.name == "growth" and app.scenes.top.record is None
    assert sync.growth == ["W001"]
    screenshot(app, "growth-waiting-zh")


def test_a_quiz_below_the_pass_mark_leaves_the_video_open_until_a_retry(
        make_app, store, speaker, clip, tmp_path) -> None:
    now = [5000.0]
    app = make_app()
    app.ctx.videos = stock(store, tmp_path / "videos", clip)
    listing = json.loads(store.get_setting(LIST_KEY) or "[]")
    listing[0]["pass_mark"] = 100
    store.set_setting(LIST_KEY, json.dumps(listing, ensure_ascii=False))
    app.ctx.clock = lambda: now[0]
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "training")
    tap_button(app, "video:1")
    run_clock(app, now, CLIP_S + 5)
    assert app.scenes.top.name == "quiz"
    assert store.watched("W001")[1][1] is False, "watched, but the quiz is still to pass"
    tap_button(app, "answer:1")  # right
    app.scenes.top.update(2.0)
    tap_button(app, "answer:1")  # wrong: 1 of 2 is below 100 %
    app.scenes.top.update(2.0)
    assert app.scenes.top.passed is False
    keys = [key for _, parts in speaker.said for key, _ in parts]
    assert keys[-2:] == ["say.quiz_score", "say.quiz_retry"]
    screenshot(app, "training-quiz-retry-zh")
    app.scenes.top.update(6.0)
    assert app.scenes.top.name == "training"
    assert app.scenes.top.progress[1] < 0.9  # the ring does not show it done
    assert store.watched("W001")[1][1] is False
    tap_button(app, "video:1")  # retry: watch again, the quiz comes again
    run_clock(app, now, CLIP_S + 5)
    assert app.scenes.top.name == "quiz"
    tap_button(app, "answer:1")
    app.scenes.top.update(2.0)
    tap_button(app, "answer:3")
    app.scenes.top.update(2.0)
    assert app.scenes.top.passed is True
    assert store.watched("W001")[1][1] is True
    app.scenes.top.update(6.0)
    assert app.scenes.top.progress[1] == 1.0


class GrowthClient:
    """Answers only what the fetcher asks for growth: a record, or a refusal."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def growth(self, worker: str) -> dict[str, Any]:
        from kiosk.errors import ApiError

        self.asked.append(worker)
        if worker == "W101":
            raise ApiError(403, "forbidden", "worker 'W101' is not in this kiosk's workshops")
        return growth_json(worker, "张三")


def test_the_sync_thread_fetches_a_growth_record_once_and_drops_a_refusal(store) -> None:
    from kiosk.background.fetches import Fetcher

    posted: list[tuple[int, dict[str, object]]] = []
    fetcher = Fetcher(store, lambda kind, **attrs: posted.append((kind, attrs)))
    client = GrowthClient()
    for code in ("W001", "W001", "W101"):
        fetcher.want_growth(code)
    fetcher.serve_fetches(client)  # type: ignore[arg-type]
    assert client.asked == ["W001", "W101"]
    cached = store.cached(growth_key("W001"))
    assert cached is not None and cached.body["weakest"] == "dim:output"
    assert store.cached(growth_key("W101")) is None
    assert posted == [(events.GROWTH_READY, {"worker": "W001"})]
