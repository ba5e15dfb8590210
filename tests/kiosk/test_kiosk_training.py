"""The training scenes with the dummy SDL drivers and an accelerated clock: reached from
the scorecard in three taps, a real H.264+AAC clip played to the end with progress in the
outbox every 10 s, the quiz, no skipping ahead in a required video, a video not yet
downloaded, time-outs, and the download budget. Screenshots go to test-artifacts/kiosk/."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import pygame
import pytest
from kiosk_fakes import ZHANG_UID, card_credential
from kiosk_support import badge, screenshot, tap_button
from PIL import Image, ImageDraw

from kiosk import events
from kiosk.background.downloads import VideoDownloader
from kiosk.events import qr_credential
from kiosk.store import Store
from kiosk.videos import LIST_KEY, VideoInfo, VideoLibrary
from server.services.training.probe import thumbnail
from support.clips import make_clip

CLIP_S = 25.0
TODAY = date.today()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("training")
    path = make_clip(folder / "clip.mp4", CLIP_S, (320, 180), fps=10, bitrate=200_000)
    thumbnail(path, folder / "thumb.jpg", CLIP_S)
    return path


def _picture(path: Path, color: str, text: str) -> None:
    image = Image.new("RGB", (300, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 260, 260), fill=color)
    draw.text((140, 140), text, fill="black")
    image.save(path, "JPEG")


def _entry(video_id: int, sha: str, title: str, **extra: object) -> dict[str, object]:
    base = f"/api/v1/videos/{video_id}"
    return {"id": video_id, "title": title, "title_en": None, "sha256": sha,
            "size_bytes": 1000, "duration_s": CLIP_S, "container": "mp4", "required": True,
            "required_by": (TODAY + timedelta(days=3)).isoformat(), "roles": [],
            "workshops": ["W1"], "created_at": f"{TODAY.isoformat()}T08:00:00+08:00",
            "file_url": f"{base}/file", "thumbnail_url": f"{base}/thumbnail", "quiz": [],
            **extra}


def stock(store: Store, folder: Path, clip: Path) -> VideoLibrary:
    """Four videos: 1 required with a two-question quiz, on disk; 2 required, still
    downloading; 3 optional and older, half watched; 4 for supervisors only."""
    folder.mkdir(parents=True, exist_ok=True)
    quiz = [{"question_url": "q", "answer_urls": ["a", "b"], "correct": 0},
            {"question_url": "q", "answer_urls": ["a", "b", "c"], "correct": 2}]
    listing = [
        _entry(1, "a" * 64, "数控车床安全操作规程", title_en="Lathe safety", quiz=quiz),
        _entry(2, "b" * 64, "消防器材的使用方法和注意事项", title_en="Fire extinguishers"),
        _entry(3, "c" * 64, "5S 现场管理", title_en="5S on the floor", required=False,
               required_by=None, created_at="2026-01-05T08:00:00+08:00"),
        _entry(4, "d" * 64, "班组长沟通技巧", roles=["supervisor"]),
    ]
    store.set_setting(LIST_KEY, json.dumps(listing, ensure_ascii=False))
    for item in listing:
        info = VideoInfo.from_json(item)
        (folder / info.thumbnail_name).write_bytes((clip.parent / "thumb.jpg").read_bytes())
        if info.id != 2:
            (folder / info.file_name).write_bytes(clip.read_bytes())
            store.save_video_file(info.sha256, info.file_name, clip.stat().st_size)
        for n, question in enumerate(info.quiz):
            _picture(folder / question.question, "orange", f"Q{n + 1}")
            for a, answer in enumerate(question.answers):
                _picture(folder / answer, ("green", "red", "blue")[a], str(a + 1))
    store.save_watched("W001", 3, CLIP_S / 2, False)
    return VideoLibrary(store, folder)


@pytest.fixture
def now() -> list[float]:
    return [5000.0]


@pytest.fixture
def trainee(make_app, store, clip, tmp_path, now):
    def make(**options: object):
        app = make_app(**options)
        app.ctx.videos = stock(store, tmp_path / "videos", clip)
        app.ctx.clock = lambda: now[0]
        return app
    return make


def run_clock(app, now: list[float], seconds: float, step: float = 0.25) -> None:
    for _ in range(round(seconds / step)):
        if app.scenes.top.name != "player":
            return
        now[0] += step
        app.step()


def progress_events(store: Store) -> list[dict[str, object]]:
    return [item.payload for item in store.claim_batch(100) if item.kind == "training_progress"]


def test_training_in_three_taps_plays_to_the_end_then_the_quiz(trainee, store, speaker, now):
    app = trainee()
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "training")  # 1
    assert app.scenes.top.name == "training"
    assert [b.name for b in app.scenes.top.buttons if b.name.startswith("video:")] == [
        "video:1", "video:2", "video:3"], "the supervisors' video is not shown to a worker"
    screenshot(app, "training-list-zh")
    tap_button(app, "video:1")  # 2: it plays at once
    assert app.scenes.top.name == "player" and app.scenes.top.player.playing
    run_clock(app, now, 11)
    screenshot(app, "training-player-zh")
    assert [p["seconds_watched"] for p in progress_events(store)] == [pytest.approx(10, abs=0.3)]
    run_clock(app, now, 30)
    assert app.scenes.top.name == "quiz"
    seconds = [p["seconds_watched"] for p in progress_events(store)]
    assert seconds[0] == pytest.approx(20, abs=0.3)
    assert seconds[-1] == pytest.approx(CLIP_S, abs=0.2)
    assert store.watched("W001")[1] == (pytest.approx(CLIP_S, abs=0.2), True)
    screenshot(app, "training-quiz-question-zh")
    tap_button(app, "answer:1")  # right
    screenshot(app, "training-quiz-right-zh")
    app.scenes.top.update(2.0)
    tap_button(app, "answer:1")  # wrong: the third is right
    screenshot(app, "training-quiz-wrong-zh")
    app.scenes.top.update(2.0)
    screenshot(app, "training-quiz-score-zh")
    final = progress_events(store)
    assert final == [{"video": 1, "seconds_watched": pytest.approx(CLIP_S, abs=0.2),
                      "quiz_correct": 1, "quiz_total": 2}]
    keys = [key for _, parts in speaker.said for key, _ in parts]
    assert keys[-3:] == ["say.quiz_right", "say.quiz_wrong", "say.quiz_score"]
    app.scenes.top.update(6.0)
    assert app.scenes.top.name == "training"
    assert app.scenes.top.progress[1] == 1.0
    screenshot(app, "training-list-after-zh")


def test_a_required_video_does_not_skip_ahead_an_optional_one_does(trainee, store, now):
    app = trainee()
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "training")
    tap_button(app, "video:1")
    run_clock(app, now, 3)
    tap_button(app, "seek")  # the middle of the bar: 12.5 s
    player_scene = app.scenes.top
    assert player_scene.player.position == pytest.approx(3, abs=0.3)
    assert player_scene.notice
    screenshot(app, "training-no-skip-zh")
    tap_button(app, "back")
    tap_button(app, "video:3")  # optional, resumes at the half
    scene = app.scenes.top
    assert scene.player.position == pytest.approx(CLIP_S / 2, abs=0.6)
    tap_button(app, "back10")
    assert scene.player.position == pytest.approx(CLIP_S / 2 - 10, abs=0.6)
    tap_button(app, "seek")
    assert scene.player.position == pytest.approx(CLIP_S / 2, abs=1.0)
    assert not scene.notice


def test_a_video_not_yet_downloaded_says_so(trainee, speaker):
    app = trainee()
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "training")
    pygame.event.post(pygame.event.Event(events.VIDEO_DOWNLOAD, video=2, done=400,
                                         total=1000))
    app.step()
    tap_button(app, "video:2")
    assert app.scenes.top.name == "training"
    assert app.scenes.top.message
    assert speaker.said[-1][1][0][0] == "say.video_wait"
    screenshot(app, "training-downloading-zh")


def test_a_paused_video_times_out_to_idle_and_keeps_its_progress(trainee, store, now):
    app = trainee(timeout_s=0.3)
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "training")
    tap_button(app, "video:1")
    run_clock(app, now, 4)
    time.sleep(0.4)
    app.step()
    assert app.scenes.top.name == "player", "a playing video keeps the screen"
    tap_button(app, "pause")
    screenshot(app, "training-paused-zh")
    time.sleep(0.4)
    app.step()
    assert app.scenes.top.name == "idle"
    assert [p["seconds_watched"] for p in progress_events(store)] == [
        pytest.approx(4, abs=0.3)]
    assert store.watched("W001")[1][0] == pytest.approx(4, abs=0.3)


def test_english_and_empty_screens(trainee, make_app, store):
    app = trainee()
    badge(app, qr_credential("QR-ALICE-7f3a9c"), kind="qr")
    tap_button(app, "training")
    screenshot(app, "training-list-en")
    store.set_setting(LIST_KEY, "[]")
    pygame.event.post(pygame.event.Event(events.VIDEOS_READY))
    app.step()
    assert not [b for b in app.scenes.top.buttons if b.name.startswith("video:")]
    screenshot(app, "training-empty-en")


def test_the_budget_evicts_the_least_recently_played_never_a_required_one(store, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    listing = [VideoInfo.from_json(_entry(i, c * 64, f"v{i}", size_bytes=100,
                                          required=i == 1))
               for i, c in ((1, "a"), (2, "b"), (3, "c"))]
    for age, video in enumerate(listing):
        (folder / video.file_name).write_bytes(b"x" * 100)
        store.save_video_file(video.sha256, video.file_name, 100)
        store._execute("UPDATE video_files SET last_used = ? WHERE sha256 = ?",
                       (1000.0 + (10 - age), video.sha256))  # 3 is the least recent
    downloader = VideoDownloader(store, folder, lambda: None, budget_bytes=350)
    new = VideoInfo.from_json(_entry(9, "e" * 64, "new", size_bytes=100, required=False))
    assert downloader._make_room(new, [*listing, new])
    assert set(store.video_files()) == {"a" * 64, "b" * 64}
    big = VideoInfo.from_json(_entry(8, "f" * 64, "big", size_bytes=300, required=False))
    assert not downloader._make_room(big, [*listing, big]), "only a required one is left"
    assert set(store.video_files()) == {"a" * 64}
    must = VideoInfo.from_json(_entry(7, "9" * 64, "must", size_bytes=300, required=True))
    assert downloader._make_room(must, [*listing, must]), "required comes in over budget"
    assert (folder / listing[0].file_name).exists()



def test_a_supervisors_scorecard_has_room_for_training(trainee):
    app = trainee()
    badge(app, card_credential(bytes.fromhex("0badc0de")))
    names = [b.name for b in app.scenes.top.buttons]
    assert names[-8:] == ["log", "claim", "points", "rewards", "training", "growth",
                          "supervisor", "exit"]
    assert all(b.rect.width >= 140 and b.rect.height >= 120 for b in app.scenes.top.buttons
               if b.name in names[-8:])
    screenshot(app, "training-scorecard-supervisor-zh")


def test_more_videos_than_a_page_turn_over(trainee, store):
    app = trainee()
    listing = json.loads(store.get_setting(LIST_KEY) or "[]")
    extra = [dict(listing[2], id=10 + i, title=f"设备保养 {i + 1}") for i in range(5)]
    store.set_setting(LIST_KEY, json.dumps(listing + extra, ensure_ascii=False))
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "training")
    first = [b.name for b in app.scenes.top.buttons if b.name.startswith("video:")]
    assert len(first) == 6
    tap_button(app, "page:next")
    second = [b.name for b in app.scenes.top.buttons if b.name.startswith("video:")]
    assert second == ["video:13", "video:14"]  # eight for a worker: 1-3 and 10-14
    screenshot(app, "training-page-2-zh")
    tap_button(app, "page:prev")
    assert [b.name for b in app.scenes.top.buttons if b.name.startswith("video:")] == first
