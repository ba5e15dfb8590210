"""Unknown or revoked badge: a clear picture and a spoken message. The event for HR (a
``badge_in`` with no worker) is the app's to write (kiosk/app.py), as only it holds the
card's number."""

from __future__ import annotations

import pygame

from kiosk.i18n import t
from kiosk.scenes.base import Scene, footer, wrapped
from kiosk.ui import icons, theme
from kiosk.ui.widgets import Button


class UnknownBadgeScene(Scene):
    name = "unknown_badge"

    def __init__(self, ctx, credential: str, kind: str, reader: str) -> None:
        super().__init__(ctx)
        self.credential = credential
        self.kind = kind
        self.reader = reader
        self.buttons = [Button(footer(1)[0], self.tr("btn.ok"), self.ctx.scenes.reset,
                               icon="check", name="ok")]

    def enter(self) -> None:
        self.ctx.say(self.lang, [("say.unknown_badge", self.tr("say.unknown_badge"))])

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        cx = theme.WIDTH // 2
        surface.blit(icons.icon("unknown", 240, theme.BAD), (cx - 120, 100))
        other = "en" if self.lang != "en" else "zh_CN"
        wrapped(surface, self.tr("unknown.title"), 64, pygame.Rect(60, 360, 1160, 80))
        wrapped(surface, self.tr("unknown.help"), 40, pygame.Rect(60, 450, 1160, 60), theme.MUTED)
        wrapped(surface, t(other, "unknown.title"), 36, pygame.Rect(60, 520, 1160, 50),
                theme.MUTED)
