"""Contrast (WCAG 2.1 AA) of every text and pictogram the kiosk draws, and the pictures of
each choice (categories, rewards, fault and quality reasons, alerts).

(a) A table of every theme pair in use — (foreground, background, kind) — with its WCAG
    contrast ratio: text needs 4.5:1, large text (32 px and up: the kiosk's font has no
    bold) and graphics 3:1.
(b) The real scenes in a real X window (Xvfb): idle, idle offline, the card, the claim
    categories, the rewards, the alerts list, the reason pictures. A small hook records
    every text and pictogram surface as the scene blits it (its box, its kind and size);
    on the finished frame, for each element, the glyph's opaque pixels give the colour
    seen and the element's transparent pixels the background around it, and the ratio
    must meet the threshold. Each pictogram's main colour must stand 3:1 from the
    background, and each other colour of it 3:1 from the background or from the main
    colour beside it. The ratios are printed (the lead reports them); each frame is saved
    under /tmp/shots18/pictograms/ (SHOTS).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pygame
import pytest
from act_support import supervised_roster
from kiosk_fakes import photo_jpeg, points_json, rewards_json, roster_json, scorecard_json

from kiosk.model import Worker, alerts_key
from kiosk.scenes.acts import Visit
from kiosk.scenes.alerts import AlertsScene
from kiosk.scenes.claim import ClaimScene
from kiosk.scenes.log_event import MachinePickScene, ReasonPickScene, reasons_for
from kiosk.scenes.rewards import RewardsScene
from kiosk.scenes.scorecard import ScorecardScene
from kiosk.store import REWARDS_KEY, points_key, reward_picture_key
from kiosk.ui import fonts, icons, theme
from kiosk.ui.window import Window

SHOTS = Path(os.environ.get("SHOPFLOOR_PICTOGRAM_SHOTS", "/tmp/shots18/pictograms"))
TEXT, LARGE, GRAPHIC = 4.5, 3.0, 3.0
LARGE_PX = 32  # the kiosk's font (WenQuanYi Micro Hei) has no bold: large is 32 px and up
NOW = datetime.now(UTC).replace(microsecond=0)


def luminance(color: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- (a) the theme's pairs -----------------------------------------------------------------
# (foreground, background, kind, where): every colour drawn as text or as a picture, on
# everything it is drawn on. kind: "text" 4.5:1, "large" (>= 32 px) and "graphic" 3:1.
PAIRS = [
    ("INK", "BG", "text", "titles, labels on the page"),
    ("INK", "PANEL", "text", "labels on buttons and panels"),
    ("INK", "SELECTED", "text", "a chosen button's label"),
    ("INK", "BAR_BG", "text", "a label on an empty bar"),
    ("MUTED", "BG", "text", "secondary lines: 'no machines', 'pick up at HR'"),
    ("MUTED", "PANEL", "text", "dates, who gave points, the reporter"),
    ("MUTED", "SELECTED", "text", "a secondary line on a free reward"),
    ("PRIMARY", "BG", "text", "task lines"),
    ("PRIMARY", "PANEL", "text", "a reward's name on the hand-over"),
    ("PRIMARY", "SELECTED", "graphic", "a chosen button's border"),
    ("GOOD", "BG", "text", "+points, 'free'"),
    ("GOOD", "PANEL", "text", "+points on a tile, a met dimension"),
    ("GOOD", "SELECTED", "text", "'free choice' on a free reward's tile"),
    ("BAD", "BG", "text", "'as of', refusals"),
    ("BAD", "PANEL", "text", "a cost, minutes open, a missed dimension"),
    ("WARN", "BG", "text", "'partly missing', points waiting in the outbox"),
    ("WARN", "PANEL", "text", "points waiting in the outbox, on the panel"),
    ("PANEL", "GOOD", "text", "white label on a green button ('send', 'done')"),
    ("PANEL", "BAD", "text", "white label on a red button, the 'required' pill"),
    ("PANEL", "WARN", "text", "the 'new' pill, the 'undo' button"),
    ("PANEL", "PRIMARY", "text", "the reward tags, the player's buttons"),
    ("PANEL", "MUTED", "graphic", "an acknowledged alert's pictogram"),
    ("TOP_INK", "TOP", "text", "the status bar"),
    ("TOP_INK", "OFFLINE", "text", "the status bar, offline: text and the cloud"),
    ("ONLINE", "TOP", "graphic", "the 'online' dot"),
    ("INK", "BG", "graphic", "pictograms"),
    ("INK", "PANEL", "graphic", "pictograms on buttons"),
    ("INK", "SELECTED", "graphic", "pictograms on a chosen button"),
    ("CLOUD", "PANEL", "graphic", "a dimension with no data yet (greyed)"),
    ("CLOUD", "BG", "graphic", "a quiz picture not yet downloaded"),
    ("SUN", "PANEL", "graphic", "a met dimension's sun"),
    ("STAR", "PANEL", "graphic", "stars, coins, the tier bar"),
    ("STAR", "BG", "graphic", "stars on the page"),
    ("STAR", "BAR_BG", "graphic", "the tier bar's fill"),
    ("STAR", "SELECTED", "graphic", "a free reward's frame"),
    ("STAR", "STAR_OFF", "graphic", "a lit star beside an unlit one"),
    ("GOOD", "BAR_BG", "graphic", "progress bars"),
    ("PRIMARY", "BAR_BG", "graphic", "progress bars"),
    ("BAD", "PANEL", "graphic", "a missed day, a fault"),
    ("WARN", "PANEL", "graphic", "a quality issue's edge and warning signs"),
    ("PRIMARY", "PANEL", "graphic", "the badge and QR pictograms"),
    ("PANEL", "WARN", "graphic", "the '!' on a warning sign"),
]
THRESHOLD = {"text": TEXT, "large": LARGE, "graphic": GRAPHIC}


@pytest.mark.parametrize(("fg", "bg", "kind", "where"), PAIRS,
                         ids=[f"{fg}-on-{bg}-{kind}" for fg, bg, kind, _ in PAIRS])
def test_every_theme_pair_in_use_meets_wcag_aa(fg: str, bg: str, kind: str, where: str
                                               ) -> None:
    measured = ratio(getattr(theme, fg), getattr(theme, bg))
    print(f"{fg} on {bg} ({kind}, {where}): {measured:.2f}:1")
    assert measured >= THRESHOLD[kind], f"{fg} on {bg}: {measured:.2f} < {THRESHOLD[kind]}"


def test_the_colours_the_issue_named_now_pass() -> None:
    """'部分数据缺失' orange was 2.31:1, the 'new' label 2.31:1, the greyed cloud ~1.4:1."""
    assert ratio(theme.WARN, theme.BG) >= TEXT and ratio(theme.WARN, theme.PANEL) >= TEXT
    assert ratio(theme.PANEL, theme.WARN) >= TEXT  # the 'new' pill: white on WARN
    assert ratio(theme.CLOUD, theme.PANEL) >= GRAPHIC and ratio(theme.CLOUD, theme.BG) >= 3


# --- the pictures -----------------------------------------------------------------------
def test_the_pictures_hr_picks_from_are_the_servers_and_each_is_its_own() -> None:
    from server.services.pictograms import PICTOGRAMS

    assert icons.PICTOGRAM_NAMES == PICTOGRAMS
    assert set(icons.PICTOGRAM_NAMES) <= set(icons.ICONS)
    assets = Path(__file__).resolve().parents[2] / "assets" / "pictograms"
    static = Path(__file__).resolve().parents[2] / "server" / "static" / "pictograms"
    for name in icons.PICTOGRAM_NAMES:
        assert (assets / f"{name}.png").is_file() and (static / f"{name}.png").is_file(), name
        assert (static / f"{name}.png").stat().st_size < 8000, "keep the pictures small"
    # no two pictures HR picks from look the same (an alias of a drawing is fine elsewhere)
    drawn = {pygame.image.tobytes(icons.icon(n, 48), "RGBA"): n for n in icons.PICTOGRAM_NAMES}
    assert len(drawn) == len(icons.PICTOGRAM_NAMES)


def test_dimension_pictures_and_their_fallback() -> None:
    for key in ("uptime", "defect_rate", "output", "training", "attendance", "points"):
        assert pygame.image.tobytes(icons.dimension_pictogram(key, 64), "RGBA") == \
            pygame.image.tobytes(icons.icon(key, 64), "RGBA")
    unknown = icons.dimension_pictogram("oee_new_metric", 64)
    assert unknown.get_size() == (64, 64)
    assert pygame.image.tobytes(unknown, "RGBA") == \
        pygame.image.tobytes(icons.icon(icons.DIMENSION_FALLBACK, 64), "RGBA")
    # a name a newer server sends that this kiosk does not draw: the neutral "other"
    assert pygame.image.tobytes(icons.pictogram("not_drawn_yet", 40), "RGBA") == \
        pygame.image.tobytes(icons.icon("other", 40), "RGBA")
    assert icons.pictogram(None, 40).get_size() == (40, 40)


# --- (b) the scenes' screenshots ----------------------------------------------------------
pytestmark_x = pytest.mark.skipif(not shutil.which("Xvfb"),
                                  reason="needs xvfb (scripts/packages/test-kiosk.txt)")


@dataclass(frozen=True)
class Tag:
    kind: str  # "text" or "icon"
    size: int
    what: str  # the text, or the pictogram's name
    color: tuple[int, ...]


@dataclass
class Element:
    tag: Tag
    source: pygame.Surface
    topleft: tuple[int, int]


class Recorder:
    """Tags each text and pictogram surface when it is made (fonts.text, icons.icon), and
    keeps what a RecordingSurface blits of them."""

    def __init__(self) -> None:
        self.tags: dict[int, Tag] = {}
        self.kept: list[pygame.Surface] = []  # tagged surfaces stay alive: ids stay theirs

    def tag(self, surface: pygame.Surface, tag: Tag) -> pygame.Surface:
        self.tags[id(surface)] = tag
        self.kept.append(surface)
        return surface


class RecordingSurface(pygame.Surface):
    recorder: Recorder
    elements: list[Element]

    def blit(self, source, dest, area=None, special_flags=0):  # type: ignore[override]
        affected = super().blit(source, dest, area, special_flags)
        tag = self.recorder.tags.get(id(source))
        if tag is not None and area is None:
            topleft = (dest.x, dest.y) if isinstance(dest, pygame.Rect) else \
                (int(dest[0]), int(dest[1]))
            self.elements.append(Element(tag, source, topleft))
        return affected


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    found = Recorder()
    real_text, real_icon = fonts.text, icons.icon

    def text(value: str, size: int, color: tuple[int, int, int]) -> pygame.Surface:
        return found.tag(real_text(value, size, color), Tag("text", size, value, color))

    def icon(name: str, size: int, color: tuple[int, ...] = theme.INK) -> pygame.Surface:
        return found.tag(real_icon(name, size, color), Tag("icon", size, name, color))

    monkeypatch.setattr(fonts, "text", text)
    monkeypatch.setattr(icons, "icon", icon)
    return found


@pytest.fixture
def display(x_window: Window) -> Window:
    """A real X11 window (conftest's `x_window`) instead of the dummy display."""
    return x_window


def frame(app: Any, recorder: Recorder, name: str) -> tuple[RecordingSurface, list[Element]]:
    """The top scene and the status bar drawn as the kiosk draws them, recorded, shown in
    the X window and saved."""
    app.step()
    surface = RecordingSurface((theme.WIDTH, theme.HEIGHT))
    surface.recorder, surface.elements = recorder, []
    app.scenes.draw(surface)
    app.draw_status(surface)
    app.screen.blit(surface, (0, 0))
    app.window.present()
    SHOTS.mkdir(parents=True, exist_ok=True)
    pygame.image.save(app.screen, str(SHOTS / f"{name}.png"))
    return surface, surface.elements


@dataclass(frozen=True)
class Measured:
    tag: Tag
    fg: tuple[int, ...]
    bg: tuple[int, ...]
    ratio: float
    needed: float
    note: str = ""


def measure(surface: pygame.Surface, elements: list[Element]) -> list[Measured]:
    """Each element's colour seen (its opaque pixels on the finished frame) against the
    background around it (its transparent pixels); elements drawn over since (their colour
    is the background's) are left out."""
    width, height = surface.get_size()
    pixels = pygame.image.tobytes(surface, "RGB")
    screen = pygame.Rect(0, 0, width, height)
    found: list[Measured] = []
    seen: set[tuple[Tag, tuple[int, int]]] = set()
    for element in elements:
        key = (element.tag, element.topleft)
        if key in seen:
            continue
        seen.add(key)
        w, h = element.source.get_size()
        alpha = pygame.image.tobytes(element.source, "RGBA")[3::4]
        box = pygame.Rect(element.topleft, (w, h)).clip(screen)
        core: Counter[tuple[int, ...]] = Counter()
        clear: Counter[tuple[int, ...]] = Counter()
        for y in range(box.y, box.bottom):
            sy = y - element.topleft[1]
            for x in range(box.x, box.right):
                a = alpha[sy * w + (x - element.topleft[0])]
                if a >= 250 or a == 0:
                    at = (y * width + x) * 3
                    (core if a else clear)[tuple(pixels[at:at + 3])] += 1
        if not core or not clear:
            continue
        fg, _ = core.most_common(1)[0]
        bg, _ = clear.most_common(1)[0]
        if fg == bg:
            continue  # covered by what was drawn after it
        tag = element.tag
        if tag.kind == "text":
            needed = LARGE if tag.size >= LARGE_PX else TEXT
            found.append(Measured(tag, fg, bg, ratio(fg, bg), needed))
            continue
        if tag.what == "star" and tag.color == theme.STAR_OFF:
            # an unlit star is the empty place of a star not earned: what must be seen is
            # which stars are lit, so it is measured against the lit star's colour
            found.append(Measured(tag, fg, theme.STAR, ratio(fg, theme.STAR), GRAPHIC,
                                  "an unlit star, against a lit one"))
            continue
        found.append(Measured(tag, fg, bg, ratio(fg, bg), GRAPHIC))
        total = sum(core.values())
        for color, count in core.most_common()[1:]:
            if count / total < 0.12:
                break
            best = max(ratio(color, bg), ratio(color, fg))
            found.append(Measured(tag, color, bg if ratio(color, bg) >= ratio(color, fg)
                                  else fg, best, GRAPHIC, "a part, against what is beside it"))
    return found


def report(name: str, measured: list[Measured]) -> list[str]:
    print(f"\n{name}: {len(measured)} elements measured")
    failures = []
    for m in sorted(measured, key=lambda m: m.ratio):
        line = (f"  {m.ratio:5.2f}:1 (needs {m.needed}) {m.tag.kind} {m.tag.size}px "
                f"{m.tag.what[:30]!r} fg={m.fg} bg={m.bg} {m.note}")
        if m.ratio < m.needed:
            failures.append(line)
        print(line)
    return failures


def reasons_roster() -> dict[str, Any]:
    roster = roster_json()
    pictures = {"FIX": "wrench", "HELP": "hand_help", "IDEA": "lightbulb", "CLEAN": "broom"}
    for category in roster["categories"]:
        category["pictogram"] = pictures[category["code"]]
    roster["categories"].append({"code": "SAFE", "name": "安全提醒", "name_en": "Safety tip",
                                 "level": "B", "points": 5, "needs_approval": True,
                                 "pictogram": "helmet"})
    roster["reasons"] = [
        {"code": "gear_jam", "name": "卡料", "name_en": "Jammed", "kind": "machine_fault",
         "pictogram": "gear_jam"},
        {"code": "no_power", "name": "停电", "name_en": "No power", "kind": "machine_fault",
         "pictogram": "no_power"},
        {"code": "material", "name": "缺料", "name_en": "Material shortage",
         "kind": "machine_fault", "pictogram": "material_shortage"},
        {"code": "leak", "name": "漏油", "name_en": "Leak", "kind": "machine_fault",
         "pictogram": "leak"},
        {"code": "burr", "name": "毛刺", "name_en": "Burr", "kind": "quality_issue",
         "pictogram": "burr"},
    ]
    return roster


def alert_json(ident: int, minutes_ago: float, kind: str, reason: str | None,
               reason_name: str | None, pictogram: str | None, acknowledged: bool = False
               ) -> dict[str, Any]:
    opened = NOW - timedelta(minutes=minutes_ago)
    return {"id": ident, "kind": kind, "workshop": "W1", "workshop_name": "机加工车间",
            "machine": "M1", "machine_name": "1号车床", "reason": reason,
            "reason_name": reason_name, "reason_name_en": None,
            "reason_pictogram": pictogram, "reporter": "W100", "reporter_name": "王芳",
            "opened_at": opened.isoformat(),
            "acknowledged_at": (opened + timedelta(minutes=1)).isoformat()
            if acknowledged else None,
            "acknowledged_by_name": "李班长" if acknowledged else None,
            "resolved_at": None, "downtime_s": None}


def stock(app: Any, store: Any, lang: str) -> None:
    roster = reasons_roster()
    roster["workers"] = supervised_roster(lang=lang)["workers"]
    store.save_roster(roster, '"r-pictures"')
    app.reload_roster()
    rewards = rewards_json()
    for reward, picture in zip(rewards, ("gift", "day_off", "gift", "drink", "training_done"),
                               strict=True):
        reward["pictogram"] = picture
    rewards.append({"code": "MEAL", "name": "午餐券", "name_en": "Lunch voucher", "cost": 20,
                    "stock": None, "tier": None, "approval": False, "picture": None,
                    "pictogram": "rice_bowl"})
    store.save_cached(REWARDS_KEY, {"rewards": rewards})
    store.save_photo(reward_picture_key("TOWEL"), "/api/v1/rewards/TOWEL/picture",
                     photo_jpeg(60))
    store.save_cached(points_key("W001"), points_json("W001", 120))
    card = scorecard_json()
    store.save_scorecard("W001", "week", card)
    store.save_cached(alerts_key("W1"), [
        alert_json(7, 42, "machine_fault", "gear_jam", "卡料", "gear_jam"),
        alert_json(9, 5, "quality_issue", "burr", "毛刺", "burr"),
        alert_json(3, 90, "machine_fault", "spindle", None, None, acknowledged=True)])


def scenes(app: Any, lang: str) -> Iterator[tuple[str, Any]]:
    worker = Worker("W001", "Alice Smith" if lang == "en" else "欧阳娜娜娜娜娜", lang)
    supervisor = app.ctx.roster().workers["S001"]
    yield "idle", None
    app.ctx.status.online = False
    yield "idle_offline", None
    app.ctx.status.online = True
    yield "card", ScorecardScene(app.ctx, worker)
    yield "claim", ClaimScene(app.ctx, worker)
    yield "rewards", RewardsScene(app.ctx, worker)
    yield "alerts", AlertsScene(app.ctx, Visit(supervisor, "2468"))
    yield "machines", MachinePickScene(app.ctx, worker, "machine_fault")
    yield "reasons", ReasonPickScene(app.ctx, worker, "machine_fault", "M1",
                                     reasons_for(app.ctx, "machine_fault"))


@pytestmark_x
@pytest.mark.parametrize("lang", ["zh_CN", "en", "yue"])
def test_every_text_and_pictogram_on_the_scenes_meets_wcag_aa(make_app, store, recorder,
                                                              lang) -> None:
    app = make_app()
    stock(app, store, lang)
    failures: list[str] = []
    counted = 0
    for name, scene in scenes(app, lang):
        if scene is not None:
            app.scenes.reset(scene)
        surface, elements = frame(app, recorder, f"{name}_{lang}")
        measured = measure(surface, elements)
        assert measured, f"nothing measured on {name}"
        counted += len(measured)
        failures += [f"{name}_{lang}: {line}" for line in report(f"{name}_{lang}", measured)]
    print(f"\n{counted} elements measured on {lang}; {len(failures)} below AA")
    assert not failures, "\n".join(failures)


@pytestmark_x
def test_each_choice_shows_its_own_picture(make_app, store, recorder) -> None:
    """The claim categories, the rewards, the reasons and the alert lines each show the
    pictogram the server sent for them (recorded as the scenes blit them)."""
    app = make_app()
    stock(app, store, "zh_CN")
    worker = Worker("W001", "张三", "zh_CN")
    supervisor = app.ctx.roster().workers["S001"]

    def pictures(scene: Any, name: str) -> set[str]:
        app.scenes.reset(scene)
        _, elements = frame(app, recorder, f"own_{name}")
        return {e.tag.what for e in elements if e.tag.kind == "icon"}

    assert {"wrench", "hand_help", "lightbulb", "helmet"} <= \
        pictures(ClaimScene(app.ctx, worker), "claim")
    on_rewards = pictures(RewardsScene(app.ctx, worker), "rewards")
    assert {"rice_bowl", "training_done", "drink", "gift"} <= on_rewards
    assert "gift" in on_rewards  # TOWEL has a photo and its pictogram in the corner
    assert {"gear_jam", "no_power", "material_shortage", "leak", "other"} <= \
        pictures(ReasonPickScene(app.ctx, worker, "machine_fault", "M1",
                                 reasons_for(app.ctx, "machine_fault")), "reasons")
    assert reasons_for(app.ctx, "quality_issue")[0].pictogram == "burr"
    on_alerts = pictures(AlertsScene(app.ctx, Visit(supervisor, "2468")), "alerts")
    assert {"gear_jam", "burr", "other"} <= on_alerts  # a code HR never named: "other"
