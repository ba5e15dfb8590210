"""Idle: a large picture telling people to tap a badge, in both languages, and the time."""

from __future__ import annotations

import math
import time

import pygame

from kiosk import events
from kiosk.i18n import t
from kiosk.scenes.base import Scene
from kiosk.ui import icons, theme, widgets


class IdleScene(Scene):
    name = "idle"
    times_out = False

    def __init__(self, ctx, clock=time.localtime) -> None:
        super().__init__(ctx)
        self._clock = clock
        self._pulse = 0.0

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.TAP:
            self._pulse = 1.0
            return None
        return event

    @property
    def animating(self) -> bool:  # type: ignore[override]
        return self._pulse > 0

    def update(self, dt: float) -> None:
        self._pulse = max(0.0, self._pulse - dt)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        cx = theme.WIDTH // 2
        size = 300 + round(20 * math.sin(self._pulse * math.pi))
        surface.blit(icons.icon("badge", size, theme.PRIMARY),
                     (cx - 360 - size // 2, 250 - size // 2 + 110))
        other = "en" if self.lang != "en" else "zh_CN"
        widgets.label(surface, t(self.lang, "idle.tap_badge"), 96, (cx - 150, 250))
        widgets.label(surface, t(self.lang, "idle.or_scan"), 48, (cx - 150, 380), theme.MUTED)
        widgets.label(surface, t(other, "idle.tap_badge"), 56, (cx - 150, 470))
        widgets.label(surface, t(other, "idle.or_scan"), 36, (cx - 150, 545), theme.MUTED)
        now = self._clock()
        widgets.label(surface, time.strftime("%H:%M", now), 72, (cx, 660), theme.INK, "midtop")
        if self.ctx.workshop:
            widgets.label(surface, t(self.lang, "idle.workshop", workshop=self.ctx.workshop), 32,
                          (theme.WIDTH - theme.MARGIN, 700), theme.MUTED, "topright")
