"""Supervisor mode: badge, then PIN, then worker tiles (many at once) and remarks."""

from __future__ import annotations

import pygame
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.model import Category, Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.claims_review import ClaimsReviewScene
from kiosk.scenes.done import DoneScene
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button, NumberPad

MAX_ATTEMPTS = 3
TILES_PER_PAGE = 10


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
        cells = footer(5, 16)
        self.remark = Button(cells[3], self.tr("btn.remark"), self._remark, icon="claim",
                             color=theme.GOOD, ink=theme.PANEL, name="remark")
        self.buttons = [
            *self.tiles,
            self.back_button(cells[0]),
            Button(cells[1], self.tr("btn.select_all"), self._select_all, icon="users",
                   name="select_all"),
            Button(cells[2], self.tr("btn.claims"), self._claims, icon="check", name="claims"),
            self.remark,
        ]
        if pages > 1:
            self.buttons.append(Button(cells[4], f"{self.page + 1}/{pages}", self._next_page,
                                       icon="other", name="more"))
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
    name = "supervisor"

    def __init__(self, ctx: Context, supervisor: Worker, workers: list[Worker],
                 back_to: Scene | None = None) -> None:
        super().__init__(ctx, worker=supervisor)
        self.supervisor = supervisor
        self.workers = workers
        self.back_to = back_to
        categories = ctx.roster().categories[:8]
        area = pygame.Rect(theme.MARGIN, 200, theme.WIDTH - 2 * theme.MARGIN, 430)
        self.buttons = [
            Button(rect, f"{c.label(self.lang)} {c.points:+g}", self._give(c), icon="claim",
                   name=f"category:{c.code}")
            for rect, c in zip(widgets.grid(area, len(categories), 4, 20, 200), categories,
                               strict=True)
        ]
        self.buttons.append(self.back_button())

    def _give(self, category: Category):
        def give() -> None:
            for worker in self.workers:
                self.ctx.record("remark", worker.code, {"category": category.code,
                                                        "given_by": self.supervisor.code})
            if isinstance(self.back_to, SupervisorScene):
                self.back_to.clear_selection()
            self.ctx.scenes.push(DoneScene(self.ctx, self.supervisor,
                                           back_to=self.back_to or "supervisor"))
        return give

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("sup.pick_category"))
        names = "、".join(w.name for w in self.workers) if self.lang != "en" else ", ".join(
            w.name for w in self.workers)
        surface.blit(icons.icon("users", 56, theme.PRIMARY), (theme.MARGIN, 140))
        widgets.label(surface, names, 30, (theme.MARGIN + 70, 150), theme.MUTED,
                      max_width=theme.WIDTH - 2 * theme.MARGIN - 70)
