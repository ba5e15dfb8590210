"""The scorecard's layout in a real X window (Xvfb), per language the kiosk has: a card that
adds up (tiles, hours, entries, adjustments, the sum = the big total), a 4-digit total with
its unit, HR's 200-character note, long names, many entries; "hear again", the language
button, "not yet confirmed", and "earlier score" only offline. Each case is saved as a
PNG under /tmp/shots18/card/ (SHOTS) and its geometry checked: the total and its unit on
screen and clear of the tiles, notes at 24 px or more, no text off the screen."""

from __future__ import annotations

import copy
import os
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pygame
import pytest
from kiosk_fakes import scorecard_json
from kiosk_support import tap_button

from kiosk.i18n import (
    CANTONESE_SIMPLIFIED,
    LANGUAGES,
    SIMPLIFIED,
    TRADITIONAL,
    language_name,
    t,
    worker_language,
)
from kiosk.i18n.readout import number
from kiosk.model import Scorecard, Worker
from kiosk.scenes import card_layout as layout
from kiosk.scenes.card_breakdown import all_lines, card_lines
from kiosk.scenes.scorecard import ScorecardScene
from kiosk.ui import theme
from kiosk.ui.widgets import Drawn
from kiosk.ui.window import Window

pytestmark = pytest.mark.skipif(not shutil.which("Xvfb"),
                                reason="needs xvfb (scripts/packages/test-kiosk.txt)")

SHOTS = Path(os.environ.get("SHOPFLOOR_CARD_SHOTS", "/tmp/shots18/card"))
SCREEN = pygame.Rect(0, 0, theme.WIDTH, theme.HEIGHT)
LANGS = sorted(LANGUAGES)
LONG_NAMES = {"en": "Maximilian Alexander Oyelaran-Whitfield"}
LONG_NAME_ZH = "欧阳娜娜娜娜娜"
NOTE_ZH = ("请在本周五下班前把二号车床周围的油污清理干净，并把工具放回工具柜原位。"
           "上次检查发现工具柜门没有关好，冷却液桶也放在了通道上，容易绊倒人。"
           "如果有不清楚的地方，请直接到人事部找王老师，或者打分机八零二六咨询。"
           "另外提醒：下周一早上七点半在车间门口集合参加安全培训，请准时到场，"
           "不要迟到，也不要忘记带上工作证和安全帽，谢谢大家的配合与支持。培训结束后还有一次"
           "书面考试，考试合格的同事可以获得本月的安全积分奖励，请大家认真准备。")[:200]
NOTE_EN = ("Please clean the oil around lathe 2 before you leave on Friday and put the "
           "tools back in the cabinet. Last check the cabinet door was open and the coolant "
           "drum stood in the aisle. Questions: Ms. Wang.")


@pytest.fixture
def display(x_window: Window) -> Window:
    """A real X11 window (conftest's `x_window`) instead of the dummy display."""
    return x_window


def note_of(lang: str) -> str:
    note = NOTE_EN if lang == "en" else NOTE_ZH
    assert len(note) == 200
    return note


def entry(ident: int, points: float, name: str, name_en: str, picture: str, who: str,
          kind: str = "remark") -> dict[str, Any]:
    return {"id": ident, "date": "2026-11-18", "category": f"C{ident}", "category_name": name,
            "category_name_en": name_en, "pictogram": picture, "points": points,
            "given_by_name": who, "kind": kind}


def card_for(case: str, lang: str) -> dict[str, Any]:
    """The sample card, made to add up, then changed for ``case``."""
    card = copy.deepcopy(scorecard_json("W001"))
    supervisor = "李班长" if lang != "en" else "Li Wei"
    card["point_entries"] = [entry(1, 10, "帮助同事", "Helped a colleague", "users", supervisor)]
    card.update(hourly_points=12.0, adjustment_points=-2.0, adjustments=[
        {"id": 4, "points": -2.0, "booked_on": "2026-11-17", "original_date": "2026-10-30",
         "source": "production", "reason": "", "period_label": "2026-10"}])
    if case == "big":  # a 4-digit total
        for dim, points in zip(card["dimensions"], (9000, 500, 300, 100), strict=True):
            dim["points"] = points
        card["hourly_points"] = 52.0
        card["point_entries"][0]["points"] = 49.9
    if case == "names":
        card["point_entries"].append(entry(2, 20, "改善建议：冷却液回收装置的改进方案",
                                           "Improvement idea: coolant recovery",
                                           "claim", LONG_NAMES.get(lang, LONG_NAME_ZH)))
    if case == "many":
        card["point_entries"] = [
            entry(10 + i, 2 + i, f"{name}{i}", f"{name_en} {i}", picture, supervisor)
            for i, (name, name_en, picture) in enumerate(
                [("帮助同事", "Helped a colleague", "users"),
                 ("5S 整理", "5S tidy-up", "star"),
                 ("处理机器故障", "Fixed a machine fault", "machine_broken")] * 4)]
    if case in ("note", "names", "many"):
        card["tasks"] = {"notices": [
            {"id": 31, "kind": "claim_approved", "points": 10, "category": "FIX",
             "note": note_of(lang)},
            {"id": 32, "kind": "appeal_rejected", "dimension": "uptime",
             "note": "数据核对无误" if lang != "en" else "The records are right"}],
            "videos_due": [{"id": 5, "title": "安全操作规程", "title_en": "Safe operation",
                            "required_by": "2026-11-25", "progress": 0.4}],
            "appeals_open": [], "claims_pending": [{"id": 9, "points": 5, "category": "HELP"}]}
    if case == "unconfirmed":
        card.update(unconfirmed=True, local_changes=["output", "waiting:entry:1"])
    listed = (sum(d["points"] for d in card["dimensions"]) + card["hourly_points"]
              + sum(e["points"] for e in card["point_entries"]) + card["adjustment_points"])
    card["total"] = round(listed, 1)
    return card


def worker_for(case: str, lang: str) -> Worker:
    """The worker whose screen is in ``lang`` (yue_Hans: a Cantonese worker at a site
    that shows Cantonese in Simplified characters)."""
    name = (LONG_NAMES.get(lang, LONG_NAME_ZH) if case == "names"
            else {"en": "Alice Smith"}.get(lang, "张三"))
    return Worker("W001", name, worker_language(lang))


def open_card(app, store, case: str, lang: str, *, online: bool | None = True
              ) -> ScorecardScene:
    store.save_scorecard("W001", "week", card_for(case, lang))
    app.ctx.status.online = online
    app.ctx.yue_script = SIMPLIFIED if lang == CANTONESE_SIMPLIFIED else TRADITIONAL
    scene = ScorecardScene(app.ctx, worker_for(case, lang))
    app.scenes.reset(scene)
    app.step()
    assert scene.lang == lang
    return scene


def shoot(app, scene, name: str) -> list[Drawn]:
    drawn = scene.paint(app.screen)
    app.render()  # the top bar over it, as the kiosk shows it
    SHOTS.mkdir(parents=True, exist_ok=True)
    pygame.image.save(app.screen, str(SHOTS / f"{name}.png"))
    return drawn.drawn


def roles(drawn: list[Drawn], role: str) -> list[Drawn]:
    return [d for d in drawn if d.role == role]


def assert_geometry(scene: ScorecardScene, drawn: list[Drawn]) -> None:
    for item in drawn:
        assert SCREEN.contains(item.rect), f"off the screen: {item}"
    total, unit = roles(drawn, "total")[0], roles(drawn, "unit")[0]
    assert layout.LEFT.contains(total.rect) and layout.LEFT.contains(unit.rect)
    assert unit.rect.left >= total.rect.right and unit.value == t(scene.lang, "card.points")
    for button in scene.buttons:
        assert not button.rect.colliderect(total.rect), button.name
        assert not button.rect.colliderect(unit.rect), button.name
        assert min(button.rect.size) >= theme.MIN_TARGET, button.name
        assert pygame.Rect(0, theme.TOP_BAR, 1280, 800 - theme.TOP_BAR).contains(button.rect)
    for item in roles(drawn, "note"):
        assert item.size >= 24 and layout.TASKS.contains(item.rect), item
    for role in ("line", "who", "points", "sum", "sum_label", "more"):
        for item in roles(drawn, role):
            assert layout.BREAKDOWN.contains(item.rect), item
    for item in roles(drawn, "name"):
        assert item.size >= 24 and layout.LEFT.contains(item.rect), item
    # The card adds up: tiles and lines make the total, and the sum line says it.
    card = scene.card
    assert card is not None
    listed = sum(d.points for d in card.dimensions) + sum(
        line.points for line in card_lines(scene.lang, card))
    assert abs(listed - card.total) < 0.05
    sums = roles(drawn, "sum")
    assert [s.value for s in sums] == [f"= {number(card.total)} {t(scene.lang, 'card.points')}"]
    assert total.value == number(card.total)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", ["plain", "big", "note", "names", "many", "unconfirmed"])
def test_the_card_lays_out_and_adds_up(app, store, case, lang):
    scene = open_card(app, store, case, lang, online=case != "unconfirmed" and None)
    drawn = shoot(app, scene, f"{case}_{lang}")
    assert_geometry(scene, drawn)
    card = scene.card
    assert card is not None
    # every dimension on its tile, with its own picture and its points
    pictures = {d.role for d in drawn if d.role.startswith("picture:")}
    assert {f"picture:{d.key}" for d in card.dimensions} <= pictures
    assert [d.value for d in roles(drawn, "dim_points")] == [
        f"{number(d.points)} {t(lang, 'card.points')}" for d in card.dimensions]
    if case == "big":
        assert roles(drawn, "total")[0].value == "9999.9"
    if case == "note":  # the long note cut past its lines, never shrunk
        notes = [d.value for d in roles(drawn, "note")]
        assert any(value.endswith("…") for value in notes)
        assert "".join(notes).replace(" ", "").startswith(note_of(lang)[:8].replace(" ", ""))
    if case == "many":
        assert roles(drawn, "more"), "the lines that do not fit are counted"
    if case == "names":  # the whole name, on two lines, at 24 px or more
        name = worker_for(case, lang).name
        assert "".join(d.value for d in roles(drawn, "name")).replace(" ", "") == \
            name.replace(" ", "")


@pytest.mark.parametrize("lang", LANGS)
def test_many_entries_page_through_the_whole_breakdown(app, store, lang):
    scene = open_card(app, store, "many", lang)
    tap_button(app, "breakdown")
    breakdown = app.scenes.top
    assert breakdown.name == "card_breakdown"
    card = scene.card
    assert card is not None
    seen: list[str] = []
    for page in range(breakdown.pager.pages):
        drawn = shoot(app, breakdown, f"breakdown_{lang}_{page + 1}")
        assert all(SCREEN.contains(d.rect) for d in drawn)
        assert [d.value for d in roles(drawn, "sum")] == [
            f"= {number(card.total)} {t(lang, 'card.points')}"]
        seen += [d.value for d in roles(drawn, "line")]
        for button in breakdown.buttons:
            assert min(button.rect.size) >= theme.MIN_TARGET
        if breakdown.pager.pages > 1:
            tap_button(app, "page:next")
    assert breakdown.pager.pages > 1
    assert len(seen) == len(all_lines(lang, card)) == len(card.dimensions) + 12 + 2


@pytest.mark.parametrize("lang", LANGS)
def test_a_tile_opens_its_dimension_with_its_picture_and_points(app, store, lang):
    open_card(app, store, "big", lang)
    tap_button(app, "dim:defect_rate")
    assert app.scenes.top.name == "dimension"
    app.render()
    SHOTS.mkdir(parents=True, exist_ok=True)
    pygame.image.save(app.screen, str(SHOTS / f"dimension_{lang}.png"))
    tap_button(app, "back")
    assert app.scenes.top.name == "scorecard"


@pytest.mark.parametrize("lang", LANGS)
def test_the_whole_note_is_readable_in_its_own_view(app, store, speaker, lang):
    open_card(app, store, "note", lang)
    tap_button(app, "task:0")
    note = app.scenes.top
    assert note.name == "task_note"
    drawn = shoot(app, note, f"note_{lang}")
    lines = roles(drawn, "note")
    assert "".join(d.value for d in lines).replace(" ", "") == note_of(lang).replace(" ", "")
    assert all(d.size >= 24 and SCREEN.contains(d.rect) for d in drawn)
    assert all(min(b.rect.size) >= theme.MIN_TARGET for b in note.buttons)
    tap_button(app, "replay")  # and heard, for a worker who reads little
    key, text = speaker.said[-1][1][-1]
    assert key == "text.note" and len(text) == len(note_of(lang))  # yue_Hans: as yue
    tap_button(app, "back")
    assert app.scenes.top.name == "scorecard"


def test_hear_again_speaks_the_same_parts(app, store, speaker):
    open_card(app, store, "plain", "zh_CN")
    first = speaker.said[-1]
    tap_button(app, "replay")
    assert speaker.said[-1] == first and len(speaker.said) == 2


@pytest.mark.parametrize("online", [True, None])
def test_online_the_card_is_never_an_earlier_one(app, store, speaker, online):
    scene = open_card(app, store, "plain", "zh_CN", online=online)
    assert scene.cached  # from the store, before the fresh card came
    drawn = shoot(app, scene, f"online_{online}_zh_CN")
    assert "say.offline" not in [key for key, _ in speaker.said[-1][1]]
    assert not roles(drawn, "status:offline")


def test_offline_the_cached_card_says_so(app, store, speaker):
    scene = open_card(app, store, "plain", "zh_CN", online=False)
    drawn = shoot(app, scene, "offline_zh_CN")
    assert speaker.said[-1][1][-1][0] == "say.offline"
    assert roles(drawn, "status:offline")
    assert any(d.value.startswith("截至") for d in roles(drawn, "status"))


@pytest.mark.parametrize("lang", LANGS)
def test_an_unconfirmed_card_says_so_and_marks_its_local_lines(app, store, lang):
    scene = open_card(app, store, "unconfirmed", lang, online=False)
    drawn = shoot(app, scene, f"unconfirmed_marker_{lang}")
    assert roles(drawn, f"status:{layout.UNCONFIRMED_ICON}")
    assert t(lang, "card.unconfirmed") in [d.value for d in roles(drawn, "status")]
    local = roles(drawn, "local")
    assert len(local) == 2  # the output tile and the entry applied here
    assert [tile.local for tile in scene.tiles] == [False, False, True, False]


@pytest.mark.parametrize("lang", LANGS)
def test_the_language_button_shows_the_language_by_its_own_name(app, store, speaker, lang):
    scene = open_card(app, store, "plain", lang)
    button = next(b for b in scene.buttons if b.name == "language")
    assert button.label == language_name(worker_language(lang), app.ctx.yue_script)
    assert button.label in ("中文", "English", "粵語", "粤语")
    tap_button(app, "language")
    assert app.scenes.top.name == "language"
    other = "en" if lang != "en" else "zh_CN"
    tap_button(app, f"language:{other}")
    assert app.scenes.top is scene and scene.lang == other
    assert scene.worker.language == other
    assert next(b for b in scene.buttons if b.name == "language").label == language_name(other)
    assert speaker.said[-1][0] == other
    assert ("language_set", {"language": other}) in [
        (item.kind, item.payload) for item in store.claim_batch(50)]
    drawn = shoot(app, scene, f"language_switched_{lang}_to_{other}")
    assert roles(drawn, "unit")[0].value == t(other, "card.points")
    assert_geometry(scene, drawn)


def test_card_lines_count_what_an_older_server_leaves_out() -> None:
    body = scorecard_json("W001")  # 85 points, the lines it lists make 82
    body.pop("point_entries", None)
    card = Scorecard.from_json(body)
    lines = card_lines("zh_CN", card)
    assert lines[-1].key == "other"
    assert sum(d.points for d in card.dimensions) + sum(x.points for x in lines) == card.total


def test_output_logged_here_marks_its_tile_until_the_server_confirms(app, store):
    """The offline card (kiosk/local_card.py) counts a queued output event: the card says
    "not yet confirmed" and the output tile says which line changed here."""
    app.ctx.record("output", "W001", {"machine": "M1", "count": 50})
    today = date.today()
    card = card_for("plain", "zh_CN")
    card.update(period_start=(today - timedelta(days=3)).isoformat(),
                period_end=(today + timedelta(days=3)).isoformat())
    store.save_scorecard("W001", "week", card)
    app.ctx.status.online = False
    scene = ScorecardScene(app.ctx, worker_for("plain", "zh_CN"))
    app.scenes.reset(scene)
    app.step()
    assert scene.card is not None and scene.card.unconfirmed
    drawn = shoot(app, scene, "logged_here_zh_CN")
    # the output and, with it, the defect rate (defects over output)
    assert [tile.local for tile in scene.tiles] == [False, True, True, False]
    assert "尚未确认" in [d.value for d in roles(drawn, "status")]
    assert "1000" in [d.value for d in roles(drawn, "dim_value")]  # 950 + 50
    assert_geometry(scene, drawn)
