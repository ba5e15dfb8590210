"""The dual track on the kiosk: a tile on the scorecard when the card has tracks, and the
tracks scene drawing the blue process line and the red result line over the last weeks,
in a real X window (a private Xvfb), in zh_CN and en. Screenshots go to /tmp/shots19/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pygame
import pytest
from kiosk_fakes import ALICE_QR, ZHANG_UID, card_credential, photo_jpeg, scorecard_json
from kiosk_support import badge, screenshot, tap_button

from kiosk.events import qr_credential
from kiosk.i18n.readout import dimension_name
from kiosk.model import Scorecard
from kiosk.scenes.tracks import COLORS
from kiosk.ui.window import Window

SHOTS = Path("/tmp/shots19")
needs_x = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt xvfb)")
WEEKS = ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45",
         "2026-W46", "2026-W47"]
PROCESS = [None, 0.5, 0.625, 0.75, 0.75, 0.875, 1.0, 0.8]
RESULT = [None, 0.3, 0.4, 0.35, 0.6, 0.7, 0.65, 0.9]


def tracks_card(code: str) -> dict[str, Any]:
    card = scorecard_json(code)
    card["dimensions"][2] = {
        "key": "first_pass_rate", "value": 0.97, "target": 0.95, "met": True, "points": 20.0,
        "max_points": 20.0, "no_data": False, "record_ids": [7], "daily": [],
        "daily_met": {}, "better": "higher", "unit": "percent", "track": "process",
        "metric": {"code": "first_pass", "name": "首检合格率", "name_en": "First-pass rate",
                   "unit": "%"}}
    card["tracks"] = [
        {"key": "process", "weight": 40, "points": 32.0, "percent": 0.8, "complete": True},
        {"key": "result", "weight": 60, "points": 54.0, "percent": 0.9, "complete": True}]
    card["track_weeks"] = {"weeks": WEEKS, "process": PROCESS, "result": RESULT}
    return card


@pytest.fixture
def display(x_window: Window) -> Window:
    """A real X11 window (conftest's `x_window`) instead of the dummy display."""
    return x_window


def test_a_card_without_tracks_has_no_tracks_tile() -> None:
    assert Scorecard.from_json(scorecard_json()).tracks == ()
    card = Scorecard.from_json(tracks_card("W001"))
    assert [t.key for t in card.tracks] == ["process", "result"]
    assert card.weeks["process"] == tuple(PROCESS)
    assert dimension_name("en", "first_pass_rate") == "First-pass rate"
    assert dimension_name("zh_CN", "first_pass_rate") == "首检合格率"


@needs_x
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_tracks_scene_draws_blue_and_red_lines(app, store, speaker, lang: str) -> None:
    assert pygame.display.get_driver() == "x11"
    code, credential, kind = (("W001", card_credential(ZHANG_UID), "card") if lang == "zh_CN"
                              else ("W002", qr_credential(ALICE_QR), "qr"))
    store.save_photo(code, f"/p/{code}", photo_jpeg())
    card = tracks_card(code)
    if lang == "en":
        card["worker"]["name"] = "Alice Smith"
    store.save_scorecard(code, "week", card)
    badge(app, credential, kind)
    assert app.scenes.top.name == "scorecard"
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(screenshot(app, f"scorecard_tracks_{lang}"), SHOTS / f"scorecard_{lang}.png")
    tap_button(app, "tracks")
    assert app.scenes.top.name == "tracks"
    path = screenshot(app, f"tracks_{lang}")
    shutil.copy(path, SHOTS / f"tracks_{lang}.png")
    said = " ".join(text for _, text in speaker.said[-1][1])
    assert ("80%" in said and "90%" in said), said
    # The lines are drawn in their colours: the blue process line and the red result line.
    shot = pygame.image.load(str(path))
    colours = {tuple(shot.get_at((x, y)))[:3] for x in range(0, 1280, 2)
               for y in range(300, 600, 2)}
    assert COLORS["process"] in colours and COLORS["result"] in colours
    tap_button(app, "back")
    assert app.scenes.top.name == "scorecard"


def test_a_dual_track_card_adds_up_through_its_tracks() -> None:
    """With tracks, the total counts each track's weighed share, not the dimensions'
    points: the lines listed, the sum said and the total agree."""
    from kiosk.i18n.readout import sum_items
    from kiosk.scenes.card_breakdown import all_lines

    raw = tracks_card("W001")
    raw.update({"total": 86.0 + 12.0, "hourly_points": 12.0, "point_entries": [],
                "adjustments": []})
    card = Scorecard.from_json(raw)
    assert card.listed_total() == card.total == 98.0
    lines = all_lines("zh_CN", card)
    assert [line.key for line in lines] == ["track:process", "track:result", "hourly"]
    assert sum(line.points for line in lines) == card.total
    said = sum_items("zh_CN", card)
    assert [key for key, _, _ in said] == ["say.sum_track", "say.sum_track", "say.sum_hourly"]
    assert said[0][2] == "过程线32分"
