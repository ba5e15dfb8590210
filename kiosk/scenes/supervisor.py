"""Supervisor mode: badge, then PIN, then worker tiles (many at once) and remarks."""

from __future__ import annotations

import pygame
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.i18n.readout import number
from kiosk.model import Category, Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.claim import category_button
from kiosk.scenes.claims_review import ClaimsReviewScene
from kiosk.scenes.done import DoneScene
from kiosk.scenes.handover import HandoverScene
from kiosk.scenes.paging import Pager, cells
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button, NumberPad

MAX_ATTEMPTS = 3
TILES_PER_PAGE = 10
COLUMNS, ROWS = 4, 3
CATEGORIES_PER_PAGE = COLUMNS * ROWS  # 28 categories: any one within 3 taps
UNDO_S = 60.0  # how long a remark can be taken back on the kiosk (the server checks too)


def pin_matches(pin_hash: str | None, pin: str) -> bool:
    if not pin_hash or not pin:
        return False
    try:
        return PasswordHasher().verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


class PinScene(Scene):
    name = "supervisor"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.supervisor = worker
        self.attempts = 0
        self.message = "" if worker.pin_hash else self.tr("pin.no_pin")
        self.pad = NumberPad(pygame.Rect(640, 84, 616, 552), self.tr("btn.clear"), max_len=8,
                             strip_zero=False)
        back, _, ok = footer(3)
        self.buttons = [*self.pad.buttons, self.back_button(back),
                        Button(ok, self.tr("btn.ok"), self._check, icon="check",
                               color=theme.GOOD, ink=theme.PANEL, name="ok")]

    def _check(self) -> None:
        if pin_matches(self.supervisor.pin_hash, self.pad.value):
            self.ctx.scenes.replace(SupervisorScene(self.ctx, self.supervisor))
            return
        self.pad.value = ""
        self.attempts += 1
        self.message = self.tr("pin.wrong")
        self.ctx.say(self.lang, [("say.pin_wrong", self.tr("say.pin_wrong"))])
        if self.attempts >= MAX_ATTEMPTS:
            self.ctx.scenes.reset()

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        widgets.label(surface, self.tr("pin.title"), 52, (theme.MARGIN, 96), max_width=580)
        box = pygame.Rect(theme.MARGIN, 240, 580, 200)
        widgets.panel(surface, box)
        for i in range(len(self.pad.value)):
            pygame.draw.circle(surface, theme.INK, (box.x + 60 + i * 66, box.centery), 22)
        if self.message:
            wrapped(surface, self.message, 36, pygame.Rect(theme.MARGIN, 470, 580, 100), theme.BAD)


class SupervisorScene(Scene):
    name = "supervisor"

    def __init__(self, ctx: Context, supervisor: Worker) -> None:
        super().__init__(ctx, worker=supervisor)
        self.supervisor = supervisor
        self.selected: set[str] = set()
        self.page = 0
        self._layout()

    def _workers(self) -> list[Worker]:
        return self.ctx.roster().workshop_workers(self.supervisor.workshop)

    def _layout(self) -> None:
        workers = self._workers()
        pages = max(1, -(-len(workers) // TILES_PER_PAGE))
        self.page %= pages
        shown = workers[self.page * TILES_PER_PAGE:(self.page + 1) * TILES_PER_PAGE]
        area = pygame.Rect(theme.MARGIN, 160, theme.WIDTH - 2 * theme.MARGIN, 470)
        self.tiles = [
            Button(rect, w.name, self._toggle(w.code), name=f"worker:{w.code}",
                   selected=w.code in self.selected,
                   image=self.ctx.photos.portrait(w.code, 130))
            for rect, w in zip(widgets.grid(area, len(shown), 5, 16, 227), shown, strict=True)
        ]
        slots = footer(6, 16)
        self.remark = Button(slots[4], self.tr("btn.remark"), self._remark, icon="claim",
                             color=theme.GOOD, ink=theme.PANEL, name="remark")
        self.buttons = [
            *self.tiles,
            self.back_button(slots[0]),
            Button(slots[1], self.tr("btn.select_all"), self._select_all, icon="users",
                   name="select_all"),
            Button(slots[2], self.tr("btn.claims"), self._claims, icon="check", name="claims"),
            Button(slots[3], self.tr("btn.handover"), self._handover, icon="handover",
                   name="handover"),
            self.remark,
        ]
        if pages > 1:
            self.buttons.append(Button(slots[5], f"{self.page + 1}/{pages}", self._next_page,
                                       icon="next", name="more"))
        self.empty = not workers

    def _toggle(self, code: str):
        def toggle() -> None:
            self.selected.symmetric_difference_update({code})
            for tile in self.tiles:
                tile.selected = tile.name.removeprefix("worker:") in self.selected
        return toggle

    def clear_selection(self) -> None:
        self.selected.clear()
        self._layout()

    def _select_all(self) -> None:
        codes = {w.code for w in self._workers()}
        self.selected = set() if codes <= self.selected else codes
        self._layout()

    def _next_page(self) -> None:
        self.page += 1
        self._layout()

    def _remark(self) -> None:
        if self.selected:
            workers = [w for w in self._workers() if w.code in self.selected]
            self.ctx.scenes.push(RemarkScene(self.ctx, self.supervisor, workers, self))

    def _claims(self) -> None:
        self.ctx.scenes.push(ClaimsReviewScene(self.ctx, self.supervisor))

    def _handover(self) -> None:
        self.ctx.scenes.push(HandoverScene(self.ctx, self.supervisor))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, f"{self.tr('sup.title')} · "
                                 f"{self.tr('sup.selected', n=len(self.selected))}")
        if self.empty:
            wrapped(surface, self.tr("sup.no_workers"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)
        if not self.selected:
            shade = pygame.Surface(self.remark.rect.size, pygame.SRCALPHA)
            shade.fill((246, 243, 236, 160))
            surface.blit(shade, self.remark.rect)


class RemarkScene(Scene):
    """The categories, a page at a time; choosing one asks for a confirmation."""

    name = "supervisor"

    def __init__(self, ctx: Context, supervisor: Worker, workers: list[Worker],
                 back_to: Scene | None = None) -> None:
        super().__init__(ctx, worker=supervisor)
        self.supervisor = supervisor
        self.workers = workers
        self.back_to = back_to
        self.every = ctx.roster().categories
        self.pager = Pager(CATEGORIES_PER_PAGE)
        self._layout()

    def _layout(self) -> None:
        categories = self.pager.shown(self.every)
        area = pygame.Rect(theme.MARGIN, 204, theme.WIDTH - 2 * theme.MARGIN, 430)
        self.buttons = [
            category_button(rect, c, self.lang, self._give(c))
            for rect, c in zip(cells(area, len(categories), COLUMNS, ROWS, 16), categories,
                               strict=True)
        ]
        back, previous, following = footer(3)
        self.buttons.append(self.back_button(back))
        self.buttons += self.pager.buttons(self.tr, previous, following, self._layout)

    def _give(self, category: Category):
        def give() -> None:
            self.ctx.scenes.push(RemarkConfirmScene(self.ctx, self.supervisor, self.workers,
                                                    category, self.back_to))
        return give

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("sup.pick_category"))
        draw_names(surface, self.lang, self.workers, 140)


def draw_names(surface: pygame.Surface, lang: str, workers: list[Worker], y: int) -> None:
    names = ("、" if lang != "en" else ", ").join(w.name for w in workers)
    surface.blit(icons.icon("users", 56, theme.PRIMARY), (theme.MARGIN, y))
    widgets.label(surface, names, 30, (theme.MARGIN + 70, y + 10), theme.MUTED,
                  max_width=theme.WIDTH - 2 * theme.MARGIN - 70)


class RemarkConfirmScene(Scene):
    """Money needs a confirmation: the count, the total and the category, then "send"."""

    name = "supervisor"

    def __init__(self, ctx: Context, supervisor: Worker, workers: list[Worker],
                 category: Category, back_to: Scene | None = None) -> None:
        super().__init__(ctx, worker=supervisor)
        self.supervisor = supervisor
        self.workers = workers
        self.category = category
        self.back_to = back_to
        back, _, send = footer(3)
        self.buttons = [self.back_button(back),
                        Button(send, self.tr("btn.send"), self._send, icon="check",
                               color=theme.GOOD, ink=theme.PANEL, name="send")]

    def enter(self) -> None:
        points = self.category.points * len(self.workers)
        key = "say.remark_confirm_minus" if points < 0 else "say.remark_confirm"
        self.ctx.say(self.lang, [(key, self.tr(key, n=len(self.workers),
                                               name=self.category.label(self.lang),
                                               total=number(abs(points))))])

    def _send(self) -> None:
        sent = [
            (self.ctx.record("remark", worker.code, {"category": self.category.code,
                                                     "given_by": self.supervisor.code}),
             worker.code)
            for worker in self.workers
        ]
        if isinstance(self.back_to, SupervisorScene):
            self.back_to.clear_selection()
        self.ctx.scenes.replace(UndoScene(self.ctx, self.supervisor, sent, self.category,
                                          self.back_to))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("sup.confirm_title",
                                         name=self.category.label(self.lang)))
        draw_names(surface, self.lang, self.workers, 150)
        points = self.category.points * len(self.workers)
        color = theme.GOOD if points >= 0 else theme.BAD
        widgets.label(surface, self.tr("sup.total", n=len(self.workers),
                                       total=f"{points:+g}"), 96,
                      (theme.WIDTH // 2, 300), color, "midtop",
                      max_width=theme.WIDTH - 2 * theme.MARGIN)
        widgets.label(surface, self.tr("sup.each", points=f"{self.category.points:+g}"), 40,
                      (theme.WIDTH // 2, 440), theme.MUTED, "midtop")


class UndoScene(Scene):
    """Sent: a big "undo" button counting down 60 s; a tap records one ``remark_undo`` for
    each remark event of the act. It stays while it counts (no idle timeout), then goes
    back to the supervisor's tiles, which time out as usual."""

    name = "remark_undo"
    times_out = False
    animating = True

    def __init__(self, ctx: Context, supervisor: Worker, sent: list[tuple[str, str]],
                 category: Category, back_to: Scene | None = None) -> None:
        super().__init__(ctx, worker=supervisor)
        self.supervisor = supervisor
        self.sent = sent  # (remark event uuid, worker code)
        self.category = category
        self.back_to: Scene | str = back_to or "supervisor"
        self.started = ctx.clock()
        self.undone = False
        self.undo = Button(pygame.Rect(340, 270, 600, 220), self.tr("btn.undo"), self._undo,
                           icon="undo", color=theme.WARN, ink=theme.PANEL, name="undo")
        done = footer(3)[2]
        self.buttons = [self.undo, Button(done, self.tr("btn.done"), self._leave,
                                          icon="check", color=theme.GOOD, ink=theme.PANEL,
                                          name="done")]

    def enter(self) -> None:
        self.say_done()

    @property
    def remaining(self) -> float:
        return max(0.0, UNDO_S - (self.ctx.clock() - self.started))

    def _undo(self) -> None:
        if self.undone or self.remaining <= 0:
            return
        self.undone = True
        for remark, worker in self.sent:
            self.ctx.record("remark_undo", worker, {"remark": remark})
        self.ctx.scenes.replace(DoneScene(self.ctx, self.supervisor, back_to=self.back_to,
                                          message="sup.undone", spoken="say.undone"))

    def _leave(self) -> None:
        self.ctx.scenes.pop_to(self.back_to)

    def update(self, dt: float) -> None:
        if self.remaining <= 0:
            self._leave()

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        total = self.category.points * len(self.sent)
        self.draw_title(surface, self.tr("sup.sent", n=len(self.sent), total=f"{total:+g}"))
        pygame.draw.circle(surface, theme.GOOD, (theme.MARGIN + 60, 210), 44)
        surface.blit(icons.icon("check", 60, theme.PANEL), (theme.MARGIN + 30, 180))
        widgets.label(surface, self.category.label(self.lang), 36, (theme.MARGIN + 124, 190),
                      max_width=theme.WIDTH - 2 * theme.MARGIN - 124)
        bar = pygame.Rect(340, 510, 600, 24)
        widgets.progress_bar(surface, bar, self.remaining / UNDO_S, theme.WARN)
        widgets.label(surface, self.tr("sup.undo", s=f"{self.remaining:.0f}"), 56,
                      (theme.WIDTH // 2, 548), theme.WARN, "midtop")
