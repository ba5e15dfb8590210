"""Pending claims as cards, each approved or rejected with one tap: a ``claim_decision``
sealed with the supervisor's PIN. Nobody decides their own claim: the supervisor's own
claims come last, greyed, with no buttons, and a tap on one says why."""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import Any

import pygame

from kiosk import events
from kiosk.scenes.acts import Visit, VisitScene
from kiosk.scenes.base import Context, footer, wrapped
from kiosk.store import claims_key
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

PER_PAGE = 3


def claim_id(claim: dict[str, Any]) -> str:
    """The point_claim event's UUID that a decision names."""
    return str(claim.get("id") or "")


class ClaimsReviewScene(VisitScene):
    name = "supervisor"

    def __init__(self, ctx: Context, visit: Visit) -> None:
        super().__init__(ctx, visit)
        self.decided: set[str] = set()
        self.claims: list[dict[str, Any]] = []
        self.claim_photos: dict[str, pygame.Surface] = {}
        self.load()

    def enter(self) -> None:
        self.ctx.sync.request_claims(self.supervisor.workshop)

    def load(self) -> None:
        raw = self.ctx.store.get_setting(claims_key(self.supervisor.workshop))
        claims = json.loads(raw) if raw else []
        self.claims = [c for c in claims if claim_id(c) and claim_id(c) not in self.decided]
        self.claims.sort(key=self._own)  # theirs last: they cannot decide them
        self.claims = self.claims[:PER_PAGE]
        self.cards = widgets.row(pygame.Rect(theme.MARGIN, 150, theme.WIDTH - 2 * theme.MARGIN,
                                             480), PER_PAGE, 20)
        self.buttons = [self.back_button(footer(3)[0])]
        for rect, claim in zip(self.cards, self.claims, strict=False):
            key, claimant = claim_id(claim), str(claim.get("worker") or "")
            half = (rect.width - 36) // 2
            approve = pygame.Rect(rect.x + 12, rect.bottom - 140, half, 128)
            reject = pygame.Rect(approve.right + 12, approve.y, half, 128)
            self._load_photo(key, claim.get("photo_jpeg"))
            if self._own(claim):
                self.buttons.append(OwnClaim(approve.union(reject), self.tr("sup.own_claim"),
                                             self._say_own, name=f"own:{key}"))
                continue
            self.buttons += [
                Button(approve, self.tr("btn.approve"), self._decide(key, "approve", claimant),
                       icon="check", color=theme.GOOD, ink=theme.PANEL, name=f"approve:{key}"),
                Button(reject, self.tr("btn.reject"), self._decide(key, "reject", claimant),
                       icon="cross", color=theme.BAD, ink=theme.PANEL, name=f"reject:{key}"),
            ]

    def _own(self, claim: dict[str, Any]) -> bool:
        return str(claim.get("worker") or "") == self.supervisor.code

    def _say_own(self) -> None:
        self.ctx.say(self.lang, [("say.own_claim", self.tr("say.own_claim"))])

    def _load_photo(self, key: str, photo: object) -> None:
        if not isinstance(photo, str) or key in self.claim_photos:
            return
        try:
            image = pygame.image.load(io.BytesIO(base64.b64decode(photo)), "photo.jpg")
        except (binascii.Error, pygame.error, ValueError):
            return
        self.claim_photos[key] = pygame.transform.smoothscale(image, (160, 120))

    def _category_label(self, code: str) -> str:
        for category in self.ctx.roster().categories:
            if category.code == code:
                return category.label(self.lang)
        return code

    def _decide(self, key: str, decision: str, claimant: str):
        def decide() -> None:
            sent = self.visit.record(self.ctx, "claim_decision", [(claimant or None, {
                "claim": key, "decision": decision, "decided_by": self.supervisor.code})])
            if sent is None:
                return
            self.decided.add(key)
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
            surface.blit(self.ctx.photos.portrait(str(claim.get("worker") or ""), 64),
                         (x, rect.y + 16))
            name = str(claim.get("worker_name") or claim.get("worker") or "")
            widgets.label(surface, name, 36, (x + 76, rect.y + 24), max_width=width - 76)
            category = self._category_label(str(claim.get("category") or ""))
            widgets.label(surface, category, 30, (x, rect.y + 100), max_width=width)
            points = self.tr("sup.claim_points", points=f"{float(claim.get('points') or 0):+g}")
            widgets.label(surface, points, 40, (x, rect.y + 146), theme.GOOD)
            photo = self.claim_photos.get(claim_id(claim))
            if photo is not None:
                surface.blit(photo, (x, rect.y + 200))
            if self._own(claim):
                shade = pygame.Surface(rect.size, pygame.SRCALPHA)
                shade.fill((*theme.BG, 150))
                surface.blit(shade, rect)
        for button in self.buttons:
            button.draw(surface)


class OwnClaim(Button):
    """In place of "approve" and "reject" on the supervisor's own claim: why not, in words
    (a tap says it)."""

    def draw(self, surface: pygame.Surface) -> None:
        pygame.draw.rect(surface, theme.BAR_BG, self.rect, border_radius=18)
        surface.blit(icons.icon("lock", 56, theme.MUTED), (self.rect.x + 12,
                                                           self.rect.centery - 28))
        widgets.text_block(surface, self.label, 26, (self.rect.x + 78, self.rect.y + 16),
                           self.rect.width - 90, 3, theme.INK)
