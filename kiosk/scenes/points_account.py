"""A worker's points account as the kiosk knows it: the reward catalogue (cached from GET
/api/v1/rewards), the cached account less the redemptions still in the outbox, what is
spoken of it, a reward's picture (its photo, else the pictogram HR picked), and the card's
"my points" button. The scenes that show them are in kiosk/scenes/rewards.py.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

import pygame

from kiosk.hardware.speech import Part
from kiosk.i18n import DEFAULT_LANGUAGE, normalise, t
from kiosk.i18n.readout import number
from kiosk.scenes.base import Context
from kiosk.store import REWARDS_KEY, points_key, reward_picture_key
from kiosk.ui import fonts, icons, theme
from kiosk.ui.widgets import Button

logger = logging.getLogger(__name__)

SOURCE_ICONS = {"remark": "supervisor", "claim": "claim", "hr": "person", "tier": "star",
                "redemption": "gift", "refund": "back", "adjustment": "log"}
LINES_SPOKEN = 3


# --- the account ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Reward:
    code: str
    name: str
    name_en: str
    cost: float
    stock: int | None
    tier: str | None
    approval: bool
    pictogram: str = "gift"  # the picture HR picked (kiosk/ui/icons.py)

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Reward:
        stock = raw.get("stock")
        return cls(code=str(raw.get("code") or ""), name=str(raw.get("name") or raw.get("code")),
                   name_en=str(raw.get("name_en") or ""), cost=float(raw.get("cost") or 0),
                   stock=int(stock) if isinstance(stock, int | float) else None,
                   tier=raw.get("tier") or None, approval=bool(raw.get("approval")),
                   pictogram=str(raw.get("pictogram") or "gift"))


@dataclass(frozen=True)
class Choice:
    """One tile of the rewards scene: a reward, free when chosen with a tier entitlement."""

    reward: Reward
    entitlement: str | None = None
    tier_name: str = ""

    @property
    def cost(self) -> float:
        return 0.0 if self.entitlement else self.reward.cost

    @property
    def key(self) -> str:
        return f"{self.reward.code}:{self.entitlement or ''}"


def catalogue(ctx: Context) -> dict[str, Reward]:
    cached = ctx.store.cached(REWARDS_KEY)
    rows = cached.body.get("rewards", []) if cached and isinstance(cached.body, dict) else []
    rewards = [Reward.from_json(raw) for raw in rows if isinstance(raw, dict)]
    return {r.code: r for r in rewards if r.code}


class Account:
    """The worker's cached account, less what is still waiting in the outbox."""

    def __init__(self, ctx: Context, worker: str) -> None:
        cached = ctx.store.cached(points_key(worker))
        body = cached.body if cached and isinstance(cached.body, dict) else {}
        self.known = cached is not None
        self.fetched_at = cached.fetched_at if cached else None
        self.balance = float(body.get("balance") or 0)
        self.lines: list[dict[str, Any]] = [x for x in body.get("lines") or []
                                            if isinstance(x, dict)]
        queued = ctx.store.queued("reward_redeem", worker)
        self.used = {str(i.payload.get("entitlement")) for i in queued
                     if i.payload.get("entitlement") is not None}
        self.entitlements = [e for e in body.get("entitlements") or []
                             if isinstance(e, dict) and str(e.get("id")) not in self.used]
        rewards = catalogue(ctx)
        self.spent = sum(rewards[i.payload["reward"]].cost for i in queued
                         if i.payload.get("entitlement") is None
                         and i.payload.get("reward") in rewards)

    @property
    def available(self) -> float:
        return self.balance - self.spent


def balance_of(ctx: Context, worker: str, card_balance: float | None) -> float | None:
    """What the card shows: the account when cached, else the card's own ``balance``."""
    account = Account(ctx, worker)
    if account.known:
        return account.available
    return None if card_balance is None else card_balance - account.spent


def entitlement_tier(lang: str, entitlement: dict[str, Any]) -> str:
    """The tier an entitlement came from: HR's name in the factory's language, else the
    catalogue's word for the key (as the card names tiers)."""
    key = str(entitlement.get("tier") or "")
    named = str(entitlement.get("tier_name") or "")
    if named and normalise(lang) == DEFAULT_LANGUAGE:
        return named
    try:
        return t(lang, f"tier.{key}")
    except KeyError:
        return named or key


def source_name(lang: str, source: str) -> str:
    try:
        return t(lang, f"points.source.{source}")
    except KeyError:
        return source


def change_text(lang: str, points: float) -> str:
    key = "say.points_added" if points >= 0 else "say.points_taken"
    return t(lang, key, points=number(abs(points)))


def points_parts(lang: str, account: Account, *, cached: bool) -> list[Part]:
    """"你的积分余额是120分。最近：主管表扬，加10分；……"."""
    parts: list[Part] = [("say.balance", t(lang, "say.balance",
                                           balance=number(account.available)))]
    recent = [t(lang, "say.points_line", source=source_name(lang, str(x.get("source"))),
                change=change_text(lang, float(x.get("points") or 0)))
              for x in account.lines[:LINES_SPOKEN]]
    if recent:
        parts.append(("say.recent", t(lang, "say.recent", lines=t(lang, "say.list_sep")
                                      .join(recent))))
    if cached:
        parts.append(("say.offline", t(lang, "say.points_offline")))
    return parts


def refusal_reason(reason: str) -> str:
    """The server's reason as one of the kiosk's phrases: balance, stock, retired,
    entitlement, or other."""
    text = reason.lower()
    for words, key in ((("is retired",), "retired"),
                       (("used already", "no entitlement"), "entitlement"),
                       (("too few points", "balance"), "balance"),
                       (("out of stock",), "stock"),
                       (("tier", "menu"), "tier")):
        if any(word in text for word in words):
            return key
    return "other"


def picture(ctx: Context, code: str, size: int, pictogram: str = "gift") -> pygame.Surface:
    """The reward's photo, fitted in a ``size`` square; its pictogram without one."""
    cached = ctx.store.photo(reward_picture_key(code))
    if cached is not None:
        try:
            image = pygame.image.load(io.BytesIO(cached[1]))
        except pygame.error as exc:
            logger.warning("unreadable picture for reward %s: %s", code, exc)
        else:
            scale = size / max(image.get_size())
            return pygame.transform.smoothscale(
                image, (max(1, round(image.get_width() * scale)),
                        max(1, round(image.get_height() * scale))))
    return icons.pictogram(pictogram, size)


def has_photo(ctx: Context, code: str) -> bool:
    return ctx.store.photo(reward_picture_key(code)) is not None


class CoinButton(Button):
    """The card's "my points" button: a big coin and the balance, the label under them."""

    amount: str | None = None

    def draw(self, surface: pygame.Surface) -> None:
        if self.amount is None:
            super().draw(surface)
            return
        pygame.draw.rect(surface, theme.PANEL, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        width = self.rect.width - 16
        coin = icons.icon("coin", 56)
        number_image = fonts.fit(self.amount, 48, theme.INK, width - 60)
        row_w = coin.get_width() + 6 + number_image.get_width()
        x = self.rect.centerx - row_w // 2
        surface.blit(coin, (x, self.rect.y + 14))
        surface.blit(number_image, number_image.get_rect(
            midleft=(x + coin.get_width() + 6, self.rect.y + 42)))
        text = fonts.fit(self.label, 26, theme.INK, width)
        surface.blit(text, text.get_rect(midtop=(self.rect.centerx, self.rect.y + 80)))
