"""Fonts, pictograms and the spoken readout text."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest
from kiosk_fakes import roster_json, scorecard_json

from kiosk.errors import FontMissingError
from kiosk.i18n.readout import scorecard_parts
from kiosk.model import Roster, Scorecard
from kiosk.ui import fonts, icons
from kiosk.ui.window import Window

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "FONT_PATHS", (Path("/nonexistent/wqy.ttc"),))
    with pytest.raises(FontMissingError, match="fonts-wqy-microhei"):
        fonts.font_path()


def test_every_pictogram_draws_and_is_exported(display):
    for name in icons.ICONS:
        image = icons.icon(name, 96)
        assert image.get_bounding_rect().width > 40, name
    exported = {path.stem for path in (ASSETS / "pictograms").glob("*.png")}
    assert exported == set(icons.ICONS)
    assert (ASSETS / "LICENSES").read_text().count("pictograms") >= 1


def test_wrap_breaks_chinese_and_english(display):
    assert len(fonts.wrap("服务器离线，数据已保存，稍后自动发送。" * 3, 40, 400)) > 2
    lines = fonts.wrap("Server offline, saved here, will send later", 40, 300)
    assert all(not line.startswith(" ") for line in lines) and len(lines) > 1


def test_english_readout():
    roster = Roster.from_json(roster_json())
    card = scorecard_json("W002")
    text = "".join(p for _, p in scorecard_parts("en", roster.workers["W002"],
                                                Scorecard.from_json(card), cached=True))
    assert text.startswith("Alice Smith, Week, 85 points. Rank 3. Uptime target met. ")
    assert "7.5 more points to Excellent" in text
    assert text.endswith("This is your last known score. ")


def test_scorecard_tolerates_missing_fields():
    card = Scorecard.from_json({"total": "12.5", "dimensions": [{"key": "uptime"}],
                                "tasks": {"videos_due": [1, 2]}, "rank": None})
    assert card.total == 12.5 and card.rank is None and card.dimensions[0].no_data
    assert card.tasks == {"videos_due": 2} and card.tier is None


def test_full_screen_scaling_maps_taps_back_to_the_canvas(display):
    screen = pygame.Surface((1920, 1080))
    window = Window(screen)
    assert window.scaled and window.target == pygame.Rect(96, 0, 1728, 1080)
    assert window.to_canvas((96, 0)) == (0, 0)
    assert window.to_canvas((96 + 1728 // 2, 540)) == (640, 400)
    assert window.finger_to_canvas(1.0, 1.0)[1] == 800
    window.canvas.fill((255, 0, 0))
    window.present()
    assert screen.get_at((960, 540))[:3] == (255, 0, 0)
    assert screen.get_at((10, 540))[:3] == (0, 0, 0)
