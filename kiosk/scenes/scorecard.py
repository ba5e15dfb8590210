"""The pictorial scorecard: a card that adds up. The big total with its unit; a tile per
dimension (its picture, value, sun or cloud, points); the other lines of the total (hours
on the machine, each remark or approved claim with its picture and who gave it, changes
to closed periods) and their sum, which is the big total; the tier, the way to the next,
today and "at this pace"; today's tasks with their notes. "Hear again" speaks the readout
once more; the language button shows the worker's language by its own name and lets
them choose another. Where each part sits: `card_layout`; the lines: `card_breakdown`;
the tasks: `card_tasks`."""

from __future__ import annotations

import time

import pygame

from kiosk import events
from kiosk.hardware.speech import Part
from kiosk.i18n import language_name, screen_language, t
from kiosk.i18n.format import format_value
from kiosk.i18n.readout import dimension_name, number, scorecard_parts
from kiosk.local_card import with_queued
from kiosk.model import Dimension, Scorecard, Task, Worker
from kiosk.scenes import card_layout as layout
from kiosk.scenes.base import Context, Scene, footer
from kiosk.scenes.card_breakdown import BreakdownScene, LinesPanel, dimension_local
from kiosk.scenes.card_tasks import REPLAY_ICON, NoteScene, TaskRow, plan
from kiosk.scenes.claim import ClaimScene
from kiosk.scenes.dimension import DimensionScene
from kiosk.scenes.growth import GrowthScene
from kiosk.scenes.language import LanguageScene
from kiosk.scenes.log_event import LogEventScene
from kiosk.scenes.notices import NoticeWatch, task_icon, task_lines
from kiosk.scenes.rewards import CoinButton, PointsScene, RewardsScene, balance_of, tell_refusals
from kiosk.scenes.supervisor import PinScene
from kiosk.scenes.tracks import track_slots, tracks_tiles
from kiosk.scenes.training import TrainingScene
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button, Ink

PERIODS = ("day", "week", "month")
TASK_ICONS = {"videos_due": "training", "claims_decided": "claim", "appeals_answered": "appeal"}
# Kept for the code that placed things by them (the layout's names are in card_layout).
LEFT, MIDDLE, RIGHT = layout.LEFT, layout.MIDDLE, layout.RIGHT
TILE_H = theme.MIN_TARGET
TILE_GAP = 10


class DimensionTile(Button):
    """A dimension: its picture, name, value (green met, red missed), the sun or cloud,
    its target and its points toward the total."""

    dim: Dimension | None = None
    lang: str = "zh_CN"
    local: bool = False

    def draw(self, surface: pygame.Surface) -> None:
        self.paint(Ink(surface))

    def paint(self, ink: Ink) -> None:
        dim, rect = self.dim, self.rect
        if dim is None:
            return
        surface = ink.surface
        pygame.draw.rect(surface, theme.PANEL, rect, border_radius=16)
        pygame.draw.rect(surface, theme.BAD if self.local else theme.LINE, rect,
                         3 if self.local else 2, border_radius=16)
        pic = 44 if rect.width < 200 else 52
        ink.blit(icons.dimension_pictogram(dim.key, pic, theme.INK),
                 (rect.x + 10, rect.y + 10), role=f"picture:{dim.key}")
        sign = 36
        weather = icons.icon("sun" if dim.met else "cloud", sign,
                             theme.CLOUD if dim.no_data else theme.INK)
        ink.blit(weather, (rect.right - sign - 8, rect.y + 8),
                 role="no_data" if dim.no_data else "met" if dim.met else "missed")
        x = rect.x + pic + 20
        width = rect.right - sign - 14 - x
        if rect.width < 200:  # narrow: the name under the pictures
            x, width = rect.x + 10, rect.width - 20
            name_y, value_y = rect.y + pic + 14, rect.bottom - 34
        else:
            name_y, value_y = rect.y + 12, rect.y + 46
        ink.text(dimension_name(self.lang, dim.key), 26, (x, name_y), max_width=width,
                 min_size=18, role="dim_name")
        if dim.no_data:
            value, color = t(self.lang, "card.no_data"), theme.MUTED
        else:
            value = format_value(dim, dim.value)
            color = theme.GOOD if dim.met else theme.BAD
        points = f"{number(dim.points)} {t(self.lang, 'card.points')}"
        points_rect = ink.text(points, 28, (rect.right - 10, rect.bottom - 8), theme.INK,
                               "bottomright", role="dim_points")
        value_w = (points_rect.x - 8 - x) if rect.width < 200 else rect.right - 10 - x
        ink.text(value, 30 if rect.width >= 200 else 24, (x, value_y), color,
                 max_width=value_w, min_size=18, role="dim_value")
        if rect.width >= 200:
            self._target_line(ink, dim, points_rect)

    def _target_line(self, ink: Ink, dim: Dimension, points_rect: pygame.Rect) -> None:
        """The target under the value ("so far" when pro-rated), or "not confirmed"."""
        x = self.rect.x + 10
        width = points_rect.x - 8 - x
        if self.local:
            ink.text(t(self.lang, "card.local_line"), 20, (x, self.rect.bottom - 10),
                     theme.BAD, "bottomleft", max_width=width, role="local")
            return
        if dim.target is None:
            return
        target = t(self.lang, "dim.target", target=format_value(dim, dim.target))
        if dim.pro_rated:  # a sum while the period runs: the target for the days so far
            note = t(self.lang, "dim.pro_rated")
            both = f"{target} · {note}"
            # beside the target when both fit, else the note alone (the scene has both)
            target = both if widgets.fit_size(both, 20, width, 16) >= 16 and \
                widgets.text_width(both, 16) <= width else note
        ink.text(target, 20, (x, self.rect.bottom - 10), theme.MUTED, "bottomleft",
                 max_width=width, min_size=14, role="target")


class LanguageButton(Button):
    """The worker's language by its own name, in its own script (flags are wrong for
    dialects)."""

    def draw(self, surface: pygame.Surface) -> None:
        pygame.draw.rect(surface, self.color, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        widgets.label(surface, self.label, 36, self.rect.center, self.ink, "center",
                      max_width=self.rect.width - 16)


def tile_grid(count: int) -> tuple[int, int]:
    """Columns and rows of the tiles: one wide column up to two, then two, then three."""
    if count <= 2:
        return 1, max(count, 1)
    columns = 2 if count <= 4 else 3
    return columns, -(-count // columns)


class ScorecardScene(Scene):
    name = "scorecard"

    def __init__(self, ctx: Context, worker: Worker, period: str = "week") -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.period = period
        self.card: Scorecard | None = None
        self.fetched_at: float | None = None
        self.opened_at = time.time()
        self.spoken: set[str] = set()
        self.requested: set[str] = set()
        self.readout: list[Part] = []  # what "hear again" says: the card on screen
        self.notices = NoticeWatch(ctx, worker.code)
        self.tiles: list[DimensionTile] = []
        self.lines_panel: LinesPanel | None = None
        self.task_rows: list[TaskRow] = []
        self.tasks_hidden = 0
        self._layout()

    def _layout(self) -> None:
        tabs = widgets.row(layout.TABS, 3, 12)
        self.tabs = [
            Button(rect, self.tr(f"period.{p}"), self._switcher(p), name=f"period:{p}",
                   selected=p == self.period)
            for rect, p in zip(tabs, PERIODS, strict=True)
        ]
        replay, language = widgets.row(layout.VOICE, 2, 12)
        self.voice = [
            Button(replay, self.tr("btn.replay"), self.replay, icon=REPLAY_ICON, name="replay"),
            LanguageButton(language, language_name(self.worker.language, self.ctx.yue_script),
                           self._choose_language,
                           name="language"),
        ]
        actions = [("btn.log", "log", self._log), ("btn.claim", "claim", self._claim),
                   ("btn.my_points", "coin", self._points),
                   ("btn.rewards", "gift", self._rewards)]
        if self.ctx.videos is not None:
            actions.append(("btn.training", "training", self._training))
        actions.append(("btn.growth", "growth",
                        lambda: self.ctx.scenes.push(GrowthScene(self.ctx, self.worker))))
        if self.worker.is_supervisor:
            actions.append(("btn.supervisor", "supervisor", self._supervisor))
        actions.append(("btn.exit", "exit", self.ctx.scenes.reset))
        self.actions = [
            (CoinButton if icon == "coin" else Button)(
                rect, self.tr(key), action, icon=icon,
                name={"coin": "points", "gift": "rewards"}.get(icon, icon))
            for rect, (key, icon, action) in zip(footer(len(actions), 14), actions, strict=True)
        ]
        self._rebuild()

    def _show_balance(self) -> None:
        """The coin button carries the points account (the card's, or the cached one)."""
        balance = balance_of(self.ctx, self.worker.code, self.card.balance if self.card else None)
        for button in self.actions:
            if isinstance(button, CoinButton):
                button.amount = None if balance is None else number(balance)

    def _rebuild(self) -> None:
        self._show_balance()
        card = self.card
        dims = card.dimensions if card else ()
        area = layout.BREAKDOWN
        cells = len(dims) + track_slots(card)  # a cell for the dual track's tile
        columns, rows = tile_grid(cells)
        height = max(TILE_H, min(150, (area.height - 170 - TILE_GAP * rows) // rows))
        self.tiles = []
        rects = widgets.grid(area, cells, columns, TILE_GAP, height)
        for rect, dim in zip(rects, dims, strict=False):
            tile = DimensionTile(rect, "", self._open_dimension(dim), name=f"dim:{dim.key}")
            tile.dim, tile.lang = dim, self.lang
            tile.local = card is not None and dimension_local(card, dim)
            self.tiles.append(tile)
        self.lines_panel = None
        if card is not None:
            top = (max(r.bottom for r in rects) + TILE_GAP) if rects else area.y
            panel = LinesPanel(pygame.Rect(area.x, top, area.width, area.bottom - top), "",
                               self._open_breakdown, name="breakdown")
            panel.card, panel.lang = card, self.lang
            self.lines_panel = panel
        tracks = tracks_tiles(self, card, rects[len(dims):], self.worker)
        self._plan_tasks()
        self.buttons = [*self.tabs, *self.voice, *self.tiles, *tracks,
                        *([self.lines_panel] if self.lines_panel else []),
                        *(row for row in self.task_rows if row.opens_note), *self.actions]

    def _plan_tasks(self) -> None:
        area = layout.TASKS.inflate(-32, 0)
        area.y, area.height = layout.TASKS.y + 64, layout.TASKS.height - 76
        items = self.card.task_items if self.card else ()
        self.task_rows, self.tasks_hidden = plan(
            self.lang, items, area, self._task_lines,
            lambda task: task_icon(task) or TASK_ICONS.get(task.kind, "other"),
            self._open_note)

    def _switcher(self, period: str):
        def switch() -> None:
            self.period = period
            for tab in self.tabs:
                tab.selected = tab.name == f"period:{period}"
            self.load()
            self._request()
        return switch

    def _open_dimension(self, dim: Dimension):
        def open_() -> None:
            start = self.card.period_start if self.card else ""
            self.ctx.scenes.push(DimensionScene(self.ctx, self.worker, self.period, dim, start))
        return open_

    def _open_breakdown(self) -> None:
        if self.card is not None:
            self.ctx.scenes.push(BreakdownScene(self.ctx, self.worker, self.card, self.lang))

    def _open_note(self, task: Task):
        def open_() -> None:
            first, color, second = self._task_lines(task)
            picture = task_icon(task) or TASK_ICONS.get(task.kind, "other")
            self.ctx.scenes.push(NoteScene(self.ctx, self.worker, self.lang, first, color,
                                           second, picture))
        return open_

    def _log(self) -> None:
        self.ctx.scenes.push(LogEventScene(self.ctx, self.worker))

    def _claim(self) -> None:
        self.ctx.scenes.push(ClaimScene(self.ctx, self.worker))

    def _points(self) -> None:
        self.ctx.scenes.push(PointsScene(self.ctx, self.worker))

    def _rewards(self) -> None:
        self.ctx.scenes.push(RewardsScene(self.ctx, self.worker))

    def _training(self) -> None:
        self.ctx.scenes.push(TrainingScene(self.ctx, self.worker))

    def _supervisor(self) -> None:
        self.ctx.scenes.push(PinScene(self.ctx, self.worker))

    # --- the voice and the language ---------------------------------------------------------
    def replay(self) -> None:
        """One tap: the readout of the card on screen, the same parts again."""
        if self.readout:
            self.ctx.say(self.lang, self.readout)

    def _choose_language(self) -> None:
        self.ctx.scenes.push(LanguageScene(self.ctx, self.worker, self.language_chosen))

    def language_chosen(self, worker: Worker) -> None:
        """The worker chose a language (the chooser queued `language_set`): the card is
        drawn in it now and read out in it, on the same period."""
        self.worker = worker
        self.lang = screen_language(worker.language, self.ctx.yue_script)
        self._layout()
        if self.card is not None:
            self.readout = self._parts(self.card)
            self.ctx.say(self.lang, self.readout)

    # --- the card ---------------------------------------------------------------------------
    def enter(self) -> None:
        self.load()

    def shown(self) -> None:
        # Ask for a fresh card once the cached one is on screen, so the sync thread's
        # work does not delay the first frame.
        self._request()
        self.ctx.sync.request_points(self.worker.code)
        self.ctx.sync.request_rewards()  # by ETag: the catalogue is ready for "rewards"
        tell_refusals(self.ctx, self.worker)  # a redemption the server refused: say why

    def _request(self) -> None:
        if self.period not in self.requested:
            self.requested.add(self.period)
            self.ctx.sync.request_scorecard(self.worker.code, self.period)

    @property
    def cached(self) -> bool:
        """The card on screen is the one the store had before this visit."""
        return self.fetched_at is not None and self.fetched_at < self.opened_at

    @property
    def offline_cache(self) -> bool:
        """The card came from the cache because the server cannot be reached: only then
        is it called an earlier one, on screen and aloud."""
        return self.cached and self.ctx.status.online is False

    def _parts(self, card: Scorecard) -> list[Part]:
        return scorecard_parts(self.lang, self.worker, card, cached=self.offline_cache)

    def load(self) -> None:
        cached = self.ctx.store.scorecard(self.worker.code, self.period)
        if cached is None:
            self.card, self.fetched_at = None, None
        else:
            self.card = self.notices.unseen(with_queued(  # offline: the worker's own events
                self.ctx.store, self.worker.code, cached.body, self.ctx.roster().categories))
            self.fetched_at = cached.fetched_at
        self._rebuild()
        if self.card is None:
            return
        self.readout = self._parts(self.card)
        if self.period not in self.spoken:
            self.spoken.add(self.period)
            self.ctx.say(self.lang, self.readout)
            self.notices.told(self.card)
        else:
            self.notices.tell_new(self.card, self.lang)

    def update(self, dt: float) -> None:
        self.notices.tick()

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if (event.type == events.SCORECARD_READY and event.worker == self.worker.code
                and event.period == self.period):
            self.load()
            return None
        if event.type == events.POINTS_READY and event.worker == self.worker.code:
            self._show_balance()
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        self.paint(surface)

    def paint(self, surface: pygame.Surface) -> Ink:
        """Draw the card; what was drawn (texts, sizes, places), for tests."""
        surface.fill(theme.BG)
        ink = Ink(surface)
        self._draw_left(ink)
        widgets.panel(surface, layout.TASKS)
        for button in self.buttons:
            paint = getattr(button, "paint", None)
            if paint is not None:
                paint(ink)
            else:
                button.draw(surface)
        if self.card is not None and not self.card.dimensions:
            ink.text(self.tr("card.no_data"), 36, (layout.BREAKDOWN.centerx,
                                                   layout.BREAKDOWN.y + 40),
                     theme.MUTED, "midtop", role="no_data")
        for row in self.task_rows:
            if not row.opens_note:  # the others are buttons, drawn with them
                row.paint(ink)
        self._draw_tasks(ink)
        return ink

    def _draw_left(self, ink: Ink) -> None:
        widgets.panel(ink.surface, layout.LEFT)
        layout.draw_identity(ink, self.worker, self.ctx.photos.portrait(self.worker.code,
                                                                        layout.PHOTO))
        card = self.card
        if card is None:
            offline = self.ctx.status.online is False
            layout.draw_waiting(ink, self.tr("card.no_data" if offline else "card.loading"))
            return
        notes = layout.status_notes(self.lang, card,
                                    self.fetched_at if self.offline_cache else None)
        layout.draw_total(ink, self.lang, card)
        layout.draw_progress(ink, self.lang, card, len(notes))
        layout.draw_status(ink, notes)

    def _draw_tasks(self, ink: Ink) -> None:
        area = layout.TASKS
        if self.card is None:
            return
        x = area.x + 16
        ink.text(self.tr("card.tasks"), 32, (x, area.y + 14), role="tasks_title")
        if not self.card.task_items:
            ink.text(self.tr("card.no_tasks"), 28, (x, area.y + 64), theme.MUTED,
                     max_width=area.width - 32, min_size=24, role="no_tasks")
        elif self.tasks_hidden:
            bottom = self.task_rows[-1].rect.bottom + 8 if self.task_rows else area.y + 64
            ink.text(self.tr("task.more", n=self.tasks_hidden), 24, (x + 52, bottom),
                     theme.MUTED, max_width=area.width - 84, role="more_tasks")

    def _task_lines(self, task: Task) -> tuple[str, tuple[int, int, int], str]:
        told = task_lines(self.lang, task)  # the notices and the to-do lines
        if told is not None:
            return told
        if task.kind == "videos_due":
            due = (self.tr("task.due", date=task.due[5:].replace("-", "/")) if task.due
                   else self.tr("task.due_now"))
            return task.label(self.lang), theme.PRIMARY, due
        if task.kind == "claims_decided":
            approved = task.status == "approved"
            first = (self.tr("task.claim_approved", points=number(task.points or 0))
                     if approved else self.tr("task.claim_rejected"))
            return first, theme.GOOD if approved else theme.BAD, task.note
        upheld = task.status == "upheld"
        first = self.tr("task.appeal_upheld" if upheld else "task.appeal_rejected",
                        dim=dimension_name(self.lang, task.detail))
        return first, theme.GOOD if upheld else theme.MUTED, task.note
