"""The pictorial scorecard: one big number, a sun or cloud per dimension, tier stars, a
bar to the next tier, this week's rank, today's part and "at this pace", today's tasks."""

from __future__ import annotations

import time

import pygame

from kiosk import events
from kiosk.i18n import t
from kiosk.i18n.format import format_value
from kiosk.i18n.readout import dimension_name, number, scorecard_parts, tier_name
from kiosk.model import Dimension, Scorecard, Task, Worker
from kiosk.scenes.base import Context, Scene, footer
from kiosk.scenes.claim import ClaimScene
from kiosk.scenes.dimension import DimensionScene
from kiosk.scenes.growth import GrowthScene
from kiosk.scenes.log_event import LogEventScene
from kiosk.scenes.notices import NoticeWatch, task_icon, task_lines
from kiosk.scenes.rewards import CoinButton, PointsScene, RewardsScene, balance_of, tell_refusals
from kiosk.scenes.supervisor import PinScene
from kiosk.scenes.tracks import track_slots, tracks_tiles
from kiosk.scenes.training import TrainingScene
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button

PERIODS = ("day", "week", "month")
TASK_ICONS = {"videos_due": "training", "claims_decided": "claim", "appeals_answered": "appeal"}
LEFT = pygame.Rect(theme.MARGIN, theme.TOP_BAR + 16, 400, 552)
MIDDLE = pygame.Rect(440, theme.TOP_BAR + 16, 460, 552)
RIGHT = pygame.Rect(916, theme.TOP_BAR + 16, 340, 552)
TASK_ROW = 58
# Where a tile puts the "pro-rated" note: beside the target when its text is this wide,
# else on a line of its own when the tile is this tall.
PRO_RATED_BESIDE, PRO_RATED_LINE = 240, 170


class DimensionTile(Button):
    dim: Dimension | None = None
    lang: str = "zh_CN"

    def draw(self, surface: pygame.Surface) -> None:
        dim = self.dim
        if dim is None:
            return
        pygame.draw.rect(surface, theme.PANEL, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        name = "cloud" if not dim.met else "sun"
        size = min(96, self.rect.height - 24)
        image = icons.icon(name, size, theme.CLOUD if dim.no_data else theme.INK)
        if dim.no_data:
            image = image.copy()
            image.set_alpha(90)
        surface.blit(image, (self.rect.x + 12, self.rect.centery - size // 2))
        x = self.rect.x + size + 24
        width = self.rect.right - x - 10
        widgets.label(surface, dimension_name(self.lang, dim.key), 30,
                      (x, self.rect.y + 14), max_width=width)
        if dim.no_data:
            value = t(self.lang, "card.no_data")
            color = theme.MUTED
        else:
            value = format_value(dim, dim.value)
            color = theme.GOOD if dim.met else theme.BAD
        widgets.label(surface, value, 40, (x, self.rect.y + 52), color, max_width=width)
        if dim.target is not None:
            target = t(self.lang, "dim.target", target=format_value(dim, dim.target))
            bottom = self.rect.bottom - 32
            if dim.pro_rated:  # a sum while the period runs: the target for the days so far
                note = t(self.lang, "dim.pro_rated")
                if width >= PRO_RATED_BESIDE:  # one column: on the target's line
                    target = f"{target} · {note}"
                elif self.rect.height >= PRO_RATED_LINE:  # a line of its own, under the icon
                    widgets.label(surface, note, 20, (self.rect.x + 16, bottom - 2),
                                  theme.MUTED, max_width=self.rect.width - 28)
                    bottom -= 26
                else:  # a short, narrow tile: small, under the icon
                    widgets.label(surface, note, 14, (self.rect.x + size // 2 + 12,
                                                      self.rect.bottom - 21),
                                  theme.MUTED, "midtop")
            widgets.label(surface, target, 22, (x, bottom), theme.MUTED, max_width=width)


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
        self.notices = NoticeWatch(ctx, worker.code)
        self.tiles: list[DimensionTile] = []
        self._layout()

    def _layout(self) -> None:
        tabs = widgets.row(pygame.Rect(MIDDLE.x, MIDDLE.y, MIDDLE.width, 120), 3, 12)
        self.tabs = [
            Button(rect, self.tr(f"period.{p}"), self._switcher(p), name=f"period:{p}",
                   selected=p == self.period)
            for rect, p in zip(tabs, PERIODS, strict=True)
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
        dims = self.card.dimensions if self.card else ()
        area = pygame.Rect(MIDDLE.x, MIDDLE.y + 136, MIDDLE.width, MIDDLE.height - 136)
        cells = len(dims) + track_slots(self.card)  # a cell for the dual track's tile
        columns = 1 if cells <= 3 else 2
        rows = max(1, -(-cells // columns))
        height = min(200, (area.height - 12 * (rows - 1)) // rows)
        self.tiles = []
        rects = widgets.grid(area, cells, columns, 12, height)
        for rect, dim in zip(rects, dims, strict=False):
            tile = DimensionTile(rect, "", self._open_dimension(dim), name=f"dim:{dim.key}")
            tile.dim, tile.lang = dim, self.lang
            self.tiles.append(tile)
        tracks = tracks_tiles(self, self.card, rects[len(dims):], self.worker)
        self.buttons = [*self.tabs, *self.tiles, *tracks, *self.actions]

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
        return self.fetched_at is not None and self.fetched_at < self.opened_at

    def load(self) -> None:
        cached = self.ctx.store.scorecard(self.worker.code, self.period)
        if cached is None:
            self.card, self.fetched_at = None, None
        else:
            self.card = self.notices.unseen(Scorecard.from_json(cached.body))
            self.fetched_at = cached.fetched_at
        self._rebuild()
        if self.card is not None and self.period not in self.spoken:
            self.spoken.add(self.period)
            self.ctx.say(self.lang, scorecard_parts(self.lang, self.worker, self.card,
                                                    cached=self.cached))
            self.notices.told(self.card)
        elif self.card is not None:
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
        surface.fill(theme.BG)
        self._draw_left(surface)
        for button in self.buttons:
            button.draw(surface)
        if self.card is not None and not self.card.dimensions:
            widgets.label(surface, self.tr("card.no_data"), 36,
                          (MIDDLE.centerx, MIDDLE.y + 300), theme.MUTED, "center")
        self._draw_right(surface)

    def _draw_left(self, surface: pygame.Surface) -> None:
        widgets.panel(surface, LEFT)
        x, y = LEFT.x + 20, LEFT.y + 16
        surface.blit(self.ctx.photos.portrait(self.worker.code, 88), (x, y))
        widgets.label(surface, self.worker.name, 44, (x + 104, y + 6), max_width=LEFT.width - 140)
        widgets.label(surface, self.worker.code, 24, (x + 104, y + 60), theme.MUTED)
        card = self.card
        if card is None:
            rect = pygame.Rect(x, y + 150, LEFT.width - 40, 200)
            waiting = self.tr("card.no_data" if self.ctx.status.online is False else "card.loading")
            for i, line in enumerate(fonts.wrap(waiting, 36, rect.width)):
                widgets.label(surface, line, 36, (x, rect.y + i * 46), theme.MUTED)
            return
        total = widgets.label(surface, number(card.total), 150, (x - 4, y + 96))
        widgets.label(surface, self.tr("card.points"), 40, (total.right + 8, total.bottom - 64),
                      theme.MUTED)
        placed = card.rank is not None or bool(card.tier)  # no data, no rank: no stars
        if placed:
            widgets.stars(surface, (x, y + 270), card.stars(card.tier))
        if card.tier:
            widgets.label(surface, tier_name(self.lang, card.tier, card), 32, (x + 190, y + 280),
                          theme.INK, max_width=LEFT.width - 210)
        bar = pygame.Rect(x, y + 350, LEFT.width - 40, 28)
        if card.next_tier and card.points_needed is not None:
            fraction = card.total / max(card.total + card.points_needed, 1e-9)
            widgets.progress_bar(surface, bar, fraction)
            note = self.tr("card.next_tier", points=number(card.points_needed),
                           tier=tier_name(self.lang, card.next_tier, card))
        else:
            if placed:
                widgets.progress_bar(surface, bar, 1.0 if card.tier else 0.0, theme.STAR)
            note = self.tr("card.top_tier") if card.tier else ""
        if note:
            widgets.label(surface, note, 28, (x, y + 386), max_width=bar.width)
        rank = (self.tr("card.rank", rank=card.rank, of=card.rank_of or "?")
                if card.rank is not None else self.tr("card.no_rank"))
        widgets.label(surface, rank, 36, (x, y + 436), max_width=bar.width)
        if self.cached and self.fetched_at is not None:
            when = time.strftime("%m-%d %H:%M", time.localtime(self.fetched_at))
            widgets.label(surface, self.tr("card.as_of", time=when), 26, (x, y + 494), theme.BAD,
                          max_width=bar.width)
        elif not card.complete:
            widgets.label(surface, self.tr("card.incomplete"), 26, (x, y + 494), theme.WARN,
                          max_width=bar.width)

    def _draw_right(self, surface: pygame.Surface) -> None:
        widgets.panel(surface, RIGHT)
        x, y, width = RIGHT.x + 20, RIGHT.y + 16, RIGHT.width - 40
        card = self.card
        if card is None:
            return
        if card.today_points is not None:
            widgets.label(surface, self.tr("card.today", points=number(card.today_points)), 40,
                          (x, y), theme.GOOD, max_width=width)
            y += 60
        if card.projected_total is not None:
            widgets.label(surface, self.tr("card.pace", total=number(card.projected_total)), 32,
                          (x, y), max_width=width)
            y += 46
            if card.rank is not None or card.projected_tier:
                widgets.stars(surface, (x, y), card.stars(card.projected_tier), size=40)
            if card.projected_tier:
                widgets.label(surface, tier_name(self.lang, card.projected_tier, card), 28,
                              (x + 150, y + 4), max_width=width - 150)
            y += 56
        pygame.draw.line(surface, theme.LINE, (x, y + 4), (x + width, y + 4), 2)
        y += 20
        widgets.label(surface, self.tr("card.tasks"), 32, (x, y))
        y += 50
        if card.task_items:
            self._draw_task_items(surface, card.task_items, x, y, width)
        else:
            widgets.label(surface, self.tr("card.no_tasks"), 28, (x, y), theme.MUTED)

    def _draw_task_items(self, surface: pygame.Surface, items: tuple[Task, ...], x: int,
                         y: int, width: int) -> None:
        """Each task as a pictogram, a line and a second line (due date and progress, or
        the supervisor's or HR's note); what does not fit is counted at the bottom."""
        bottom = RIGHT.bottom - 12
        text_x, text_width = x + 56, width - 56
        for index, task in enumerate(items):
            if y + TASK_ROW > bottom - (0 if index == len(items) - 1 else 36):
                widgets.label(surface, self.tr("task.more", n=len(items) - index), 24,
                              (text_x, y), theme.MUTED, max_width=text_width)
                return
            first, color, second = self._task_lines(task)
            icon = task_icon(task) or TASK_ICONS[task.kind]
            surface.blit(icons.icon(icon, 44, color), (x, y))
            widgets.label(surface, first, 26, (text_x, y), color if color != theme.PRIMARY
                          else theme.INK, max_width=text_width)
            if task.kind == "videos_due":
                bar = pygame.Rect(text_x, y + 36, 90, 14)
                widgets.progress_bar(surface, bar, task.progress, theme.PRIMARY)
                widgets.label(surface, second, 22, (bar.right + 10, y + 31), theme.MUTED,
                              max_width=text_width - bar.width - 10)
            elif second:
                widgets.label(surface, second, 22, (text_x, y + 31), theme.MUTED,
                              max_width=text_width)
            y += TASK_ROW

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
