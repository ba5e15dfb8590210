"""Pending claims as cards, each approved or rejected with one tap."""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import Any

import pygame

from kiosk import events
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.store import claims_key
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

PER_PAGE = 3


class ClaimsReviewScene(Scene):
    name = "supervisor"

    def __init__(self, ctx: Context, supervisor: Worker) -> None:
        super().__init__(ctx, worker=supervisor)
        self.supervisor = supervisor
        self.decided: set[str] = set()
        self.claims: list[dict[str, Any]] = []
        self.photos: dict[str, pygame.Surface] = {}
        self.load()

    def enter(self) -> None:
        self.ctx.sync.request_claims(self.supervisor.workshop)

    def load(self) -> None:
        raw = self.ctx.store.get_setting(claims_key(self.supervisor.workshop))
        claims = json.loads(raw) if raw else []
        self.claims = [c for c in claims if str(c.get("id")) not in self.decided][:PER_PAGE]
        self.cards = widgets.row(pygame.Rect(theme.MARGIN, 150, theme.WIDTH - 2 * theme.MARGIN,
                                             480), PER_PAGE, 20)
        self.buttons = [self.back_button(footer(3)[0])]
        for rect, claim in zip(self.cards, self.claims, strict=False):
            claim_id = str(claim.get("id"))
            half = (rect.width - 36) // 2
            approve = pygame.Rect(rect.x + 12, rect.bottom - 140, half, 128)
            reject = pygame.Rect(approve.right + 12, approve.y, half, 128)
            self.buttons += [
                Button(approve, self.tr("btn.approve"), self._decide(claim_id, "approve"),
                       icon="check", color=theme.GOOD, ink=theme.PANEL, name=f"approve:{claim_id}"),
                Button(reject, self.tr("btn.reject"), self._decide(claim_id, "reject"),
                       icon="cross", color=theme.BAD, ink=theme.PANEL, name=f"reject:{claim_id}"),
            ]
            photo = claim.get("photo_jpeg_b64")
            if photo and claim_id not in self.photos:
                try:
                    image = pygame.image.load(io.BytesIO(base64.b64decode(photo)), "photo.jpg")
                    self.photos[claim_id] = pygame.transform.smoothscale(image, (160, 120))
                except (binascii.Error, pygame.error, ValueError):
                    continue

    def _decide(self, claim_id: str, decision: str):
        def decide() -> None:
            self.ctx.record("claim_decision", None, {
                "claim": claim_id, "decision": decision, "decided_by": self.supervisor.code,
            })
            self.decided.add(claim_id)
            self.say_done()
            self.load()
        return decide

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.CLAIMS_READY:
            self.load()
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        self.draw_title(surface, self.tr("sup.claims_title"))
        if not self.claims:
            wrapped(surface, self.tr("sup.no_claims"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)
        for rect, claim in zip(self.cards, self.claims, strict=False):
            widgets.panel(surface, rect)
            x, width = rect.x + 16, rect.width - 32
            surface.blit(icons.icon("person", 64, theme.PRIMARY), (x, rect.y + 16))
            name = str(claim.get("worker_name") or claim.get("worker") or "")
            widgets.label(surface, name, 36, (x + 76, rect.y + 24), max_width=width - 76)
            category = str(claim.get("category_name" if self.lang != "en" else "category_name_en")
                           or claim.get("category_name") or claim.get("category") or "")
            widgets.label(surface, category, 30, (x, rect.y + 100), max_width=width)
            points = self.tr("sup.claim_points", points=f"{float(claim.get('points') or 0):+g}")
            widgets.label(surface, points, 40, (x, rect.y + 146), theme.GOOD)
            photo = self.photos.get(str(claim.get("id")))
            if photo is not None:
                surface.blit(photo, (x, rect.y + 200))
        for button in self.buttons:
            button.draw(surface)
