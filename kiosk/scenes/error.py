"""Error: something could not be saved; say so plainly instead of pretending it was done."""

from __future__ import annotations

import pygame

from kiosk.scenes.base import Scene, footer, wrapped
from kiosk.ui import icons, theme
from kiosk.ui.widgets import Button


class ErrorScene(Scene):
    name = "error"

    def __init__(self, ctx, lang: str) -> None:
        super().__init__(ctx, lang=lang)
        self.buttons = [Button(footer(1)[0], self.tr("btn.ok"), self.ctx.scenes.reset,
                               icon="check", name="ok")]

    def enter(self) -> None:
        self.ctx.say(self.lang, [("say.error", self.tr("say.error"))])

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        cx = theme.WIDTH // 2
        pygame.draw.circle(surface, theme.BAD, (cx, 240), 130)
        surface.blit(icons.icon("cross", 160, theme.PANEL), (cx - 80, 160))
        wrapped(surface, self.tr("error.title"), 64, pygame.Rect(60, 410, 1160, 80))
        wrapped(surface, self.tr("error.help"), 36, pygame.Rect(160, 500, 960, 120), theme.MUTED)
