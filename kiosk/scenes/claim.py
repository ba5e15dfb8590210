"""Point claim: pick a category pictogram, optionally take a photo, send it for approval."""

from __future__ import annotations

import base64

import pygame

from kiosk.model import Category, Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

LEVEL_COLORS = {"A": theme.STAR, "B": theme.PRIMARY, "C": theme.GOOD}
PER_PAGE = 8


def category_button(rect: pygame.Rect, category: Category, lang: str, action) -> Button:
    label = f"{category.label(lang)} +{category.points:g}"
    return Button(rect, label, action, icon="claim", name=f"category:{category.code}")


class ClaimScene(Scene):
    name = "claim"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        categories = [c for c in ctx.roster().categories if c.needs_approval]
        self.categories = categories[:PER_PAGE]
        area = pygame.Rect(theme.MARGIN, 160, theme.WIDTH - 2 * theme.MARGIN, 460)
        cells = widgets.grid(area, len(self.categories), 4, 20, 220)
        self.buttons = [
            category_button(rect, c, self.lang, self._choose(c))
            for rect, c in zip(cells, self.categories, strict=True)
        ]
        self.buttons.append(self.back_button())

    def _choose(self, category: Category):
        def choose() -> None:
            self.ctx.scenes.push(ClaimConfirmScene(self.ctx, self.worker, category))
        return choose

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("claim.title"))
        if not self.categories:
            wrapped(surface, self.tr("claim.no_categories"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)


class ClaimConfirmScene(Scene):
    name = "claim"

    def __init__(self, ctx: Context, worker: Worker, category: Category) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.category = category
        self.photo: bytes | None = None
        cells = footer(3)
        self.buttons = [self.back_button(cells[0])]
        if ctx.snapshot is not None:
            self.buttons.append(Button(cells[1], self.tr("btn.photo"), self._photo,
                                       icon="camera", name="photo"))
        self.buttons.append(Button(cells[2], self.tr("btn.send"), self._send, icon="check",
                                   color=theme.GOOD, ink=theme.PANEL, name="send"))

    def _photo(self) -> None:
        if self.ctx.snapshot is not None:
            self.photo = self.ctx.snapshot()

    def _send(self) -> None:
        payload: dict[str, object] = {"category": self.category.code}
        if self.photo:
            payload["photo_jpeg"] = base64.b64encode(self.photo).decode()
        self.ctx.record("point_claim", self.worker.code, payload)
        self.ctx.scenes.push(DoneScene(self.ctx, self.worker))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("claim.confirm", name=self.category.label(self.lang)))
        color = LEVEL_COLORS.get(self.category.level, theme.PRIMARY)
        surface.blit(icons.icon("claim", 280, color), (theme.WIDTH // 2 - 140, 180))
        widgets.label(surface, f"+{self.category.points:g}", 72, (theme.WIDTH // 2, 470),
                      theme.GOOD, "midtop")
        if self.photo:
            widgets.label(surface, self.tr("claim.photo_taken"), 32, (theme.WIDTH // 2, 570),
                          theme.MUTED, "midtop")
