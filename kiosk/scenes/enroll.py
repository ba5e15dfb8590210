"""Enrol: shown while the kiosk has no device token (never enrolled, or revoked). A large
QR picture asks for HR's enrolment code; a scan of it (wedge scanner or camera) goes to the
sync worker, which finds the server, checks its certificate and enrols. The result comes
back as an ``ENROLMENT`` event: success leaves this scene (the app does), a failure is
shown here until the next scan."""

from __future__ import annotations

import pygame

from kiosk import events
from kiosk.i18n import t
from kiosk.link.trust import is_payload
from kiosk.scenes.base import Scene, wrapped
from kiosk.ui import icons, theme


class EnrollScene(Scene):
    name = "enroll"
    times_out = False
    reads_codes = True

    def __init__(self, ctx, lang: str | None = None, reason: str | None = None) -> None:
        super().__init__(ctx, lang)
        # "revoked": the server stopped taking this kiosk's token; otherwise a first start.
        self.state = "revoked" if reason == "unauthorized" else "waiting"

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.QR_TEXT:
            if is_payload(event.text):
                self.state = "working"
                self.ctx.sync.request_enrolment(event.text)
            else:
                self.state = "not_a_code"
            return None
        if event.type == events.ENROLMENT and not event.enrolled:
            self.state = "failed"
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        cx = theme.WIDTH // 2
        surface.blit(icons.icon("qr", 300, theme.PRIMARY), (cx - 150, 100))
        other = "en" if self.lang != "en" else "zh_CN"
        wrapped(surface, t(self.lang, "enroll.title"), 80, pygame.Rect(60, 420, 1160, 100))
        wrapped(surface, t(other, "enroll.title"), 48, pygame.Rect(60, 520, 1160, 60))
        key = {"waiting": "enroll.help", "revoked": "enroll.revoked",
               "working": "enroll.working", "not_a_code": "enroll.not_a_code",
               "failed": "enroll.failed"}[self.state]
        color = theme.BAD if self.state in ("failed", "not_a_code", "revoked") else theme.MUTED
        wrapped(surface, t(self.lang, key), 44, pygame.Rect(60, 600, 1160, 60), color)
        wrapped(surface, t(other, key), 32, pygame.Rect(60, 670, 1160, 50), color)
