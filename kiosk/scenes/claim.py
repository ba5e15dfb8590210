"""Point claim: pick a category pictogram, optionally take a photo, send it for approval."""

from __future__ import annotations

import base64

import pygame

from kiosk.model import Category, Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.scenes.paging import Pager, cells
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

LEVEL_COLORS = {"A": theme.STAR, "B": theme.PRIMARY, "C": theme.GOOD}
COLUMNS, ROWS = 4, 3
PER_PAGE = COLUMNS * ROWS  # 28 categories: 3 pages, any one within 3 taps of this scene


class CategoryTile(Button):
    """A point category: its pictogram, its name in up to two lines, its points big."""

    points: float = 0.0

    def draw(self, surface: pygame.Surface) -> None:
        pygame.draw.rect(surface, self.color, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        size = min(72, self.rect.height - 40)
        surface.blit(icons.icon(self.icon or "claim", size),
                     (self.rect.x + 10, self.rect.y + 12))
        x, width = self.rect.x + size + 20, self.rect.right - self.rect.x - size - 30
        widgets.text_block(surface, self.label, 24, (x, self.rect.y + 14), width, 3)
        color = theme.GOOD if self.points >= 0 else theme.BAD
        widgets.label(surface, f"{self.points:+g}", 36,
                      (self.rect.right - 14, self.rect.bottom - 10), color, "bottomright")


def category_button(rect: pygame.Rect, category: Category, lang: str, action) -> Button:
    tile = CategoryTile(rect, category.label(lang), action, icon="claim",
                        name=f"category:{category.code}")
    tile.points = category.points
    return tile


class ClaimScene(Scene):
    name = "claim"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.every = [c for c in ctx.roster().categories if c.needs_approval]
        self.pager = Pager(PER_PAGE)
        self._layout()

    def _layout(self) -> None:
        self.categories = self.pager.shown(self.every)
        area = pygame.Rect(theme.MARGIN, 150, theme.WIDTH - 2 * theme.MARGIN, 480)
        rects = cells(area, len(self.categories), COLUMNS, ROWS)
        self.buttons = [
            category_button(rect, c, self.lang, self._choose(c))
            for rect, c in zip(rects, self.categories, strict=True)
        ]
        back, previous, following = footer(3)
        self.buttons.append(self.back_button(back))
        self.buttons += self.pager.buttons(self.tr, previous, following, self._layout)

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
