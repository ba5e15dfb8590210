"""Done: a big tick once the event is safely in the outbox; returns to the scorecard."""

from __future__ import annotations

import pygame

from kiosk import events
from kiosk.scenes.base import Scene, wrapped
from kiosk.ui import icons, theme

SHOW_S = 1.5


class DoneScene(Scene):
    name = "done"

    def __init__(self, ctx, worker, back_to: str | Scene = "scorecard", *,
                 message: str = "log.saved", spoken: str = "say.saved") -> None:
        super().__init__(ctx, worker=worker)
        self.back_to = back_to
        self.message = message
        self.spoken = spoken
        self.elapsed = 0.0

    def enter(self) -> None:
        self.ctx.say(self.lang, [(self.spoken, self.tr(self.spoken))])

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.TAP:
            self.ctx.scenes.pop_to(self.back_to)
            return None
        return event

    def update(self, dt: float) -> None:
        self.elapsed += dt
        if self.elapsed >= SHOW_S:
            self.ctx.scenes.pop_to(self.back_to)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        cx = theme.WIDTH // 2
        pygame.draw.circle(surface, theme.GOOD, (cx, 330), 170)
        surface.blit(icons.icon("check", 220, theme.PANEL), (cx - 110, 220))
        wrapped(surface, self.tr(self.message), 72, pygame.Rect(100, 540, 1080, 100))
