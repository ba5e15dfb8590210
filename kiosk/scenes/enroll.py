"""Enrol: shown until the kiosk has a device token; asks for the enrolment code's QR."""

from __future__ import annotations

import pygame

from kiosk.i18n import t
from kiosk.scenes.base import Scene, wrapped
from kiosk.ui import icons, theme


class EnrollScene(Scene):
    name = "enroll"
    times_out = False

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        cx = theme.WIDTH // 2
        surface.blit(icons.icon("qr", 260, theme.INK), (cx - 130, 110))
        other = "en" if self.lang != "en" else "zh_CN"
        wrapped(surface, t(self.lang, "enroll.title"), 72, pygame.Rect(80, 400, 1120, 100))
        wrapped(surface, t(self.lang, "enroll.help"), 40, pygame.Rect(80, 500, 1120, 60),
                theme.MUTED)
        wrapped(surface, t(other, "enroll.title"), 48, pygame.Rect(80, 590, 1120, 60))
        wrapped(surface, t(other, "enroll.help"), 32, pygame.Rect(80, 660, 1120, 50), theme.MUTED)
