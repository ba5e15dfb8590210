"""The points account a worker can spend: "my points" (balance and last lines, spoken),
the rewards (pictures, cost, affordable or not, tier menu entitlements first as a free
choice), the confirmation that speaks the cost and the balance after, and the refusal a
worker is told when the server rejected a redemption.

A redemption is a ``reward_redeem`` event in the outbox, so it works offline; the
balance the scenes use is the cached account less the redemptions still waiting in the
outbox. The server's answer comes back through the sync thread: a refused redemption waits
in the store (``redeem_refused``) until the worker is told, at once when one of their
scenes is on top (``App`` pushes ``RefusedScene`` on ``REDEEM_REFUSED``), else when their
card next opens (``ScorecardScene.shown``).
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import Any

import pygame

from kiosk import events
from kiosk.hardware.speech import Part
from kiosk.i18n import DEFAULT_LANGUAGE, normalise, t
from kiosk.i18n.readout import number, tier_name
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.scenes.paging import Pager, cells
from kiosk.store import REWARDS_KEY, Refusal, points_key, reward_picture_key
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button

logger = logging.getLogger(__name__)

SOURCE_ICONS = {"remark": "supervisor", "claim": "claim", "hr": "person", "tier": "star",
                "redemption": "gift", "refund": "back", "adjustment": "log"}
LINES_SHOWN = 6
LINES_SPOKEN = 3
COLUMNS, ROWS = 4, 2
PER_PAGE = COLUMNS * ROWS


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

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Reward:
        stock = raw.get("stock")
        return cls(code=str(raw.get("code") or ""), name=str(raw.get("name") or raw.get("code")),
                   name_en=str(raw.get("name_en") or ""), cost=float(raw.get("cost") or 0),
                   stock=int(stock) if isinstance(stock, int | float) else None,
                   tier=raw.get("tier") or None, approval=bool(raw.get("approval")))


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


def tell_refusals(ctx: Context, worker: Worker) -> bool:
    """Push the refusal scene for ``worker`` when a refused redemption is still untold."""
    refusals = ctx.store.untold_refusals(worker.code)
    if not refusals:
        return False
    if ctx.scenes.top.name != RefusedScene.name:
        ctx.scenes.push(RefusedScene(ctx, worker, refusals))
    return True


def picture(ctx: Context, code: str, size: int) -> pygame.Surface:
    """The reward's picture, fitted in a ``size`` square; the gift pictogram without one."""
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
    return icons.icon("gift", size)


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


# --- my points -----------------------------------------------------------------------------
class PointsScene(Scene):
    name = "points"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.opened_at = time.time()
        self.spoken = False
        back, _, rewards = footer(3)
        self.buttons = [self.back_button(back),
                        Button(rewards, self.tr("btn.rewards"), self._rewards, icon="gift",
                               name="rewards")]
        self.account = Account(ctx, worker.code)

    @property
    def cached(self) -> bool:
        return self.account.fetched_at is not None and self.account.fetched_at < self.opened_at

    def enter(self) -> None:
        self.load()

    def shown(self) -> None:
        self.ctx.sync.request_points(self.worker.code)
        self.ctx.sync.request_rewards()

    def load(self) -> None:
        self.account = Account(self.ctx, self.worker.code)
        if self.account.known and not self.spoken:
            self.spoken = True
            self.ctx.say(self.lang, points_parts(self.lang, self.account, cached=self.cached))

    def _rewards(self) -> None:
        self.ctx.scenes.push(RewardsScene(self.ctx, self.worker))

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.POINTS_READY and event.worker == self.worker.code:
            self.load()
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        left = pygame.Rect(theme.MARGIN, theme.TOP_BAR + 16, 400, 540)
        widgets.panel(surface, left)
        surface.blit(icons.icon("coin", 150), (left.centerx - 75, left.y + 30))
        if not self.account.known:
            wrapped(surface, self.tr("card.no_data" if self.ctx.status.online is False
                                     else "points.loading"), 36,
                    pygame.Rect(left.x + 20, left.y + 230, left.width - 40, 100), theme.MUTED)
        else:
            widgets.label(surface, number(self.account.available), 120,
                          (left.centerx, left.y + 200), anchor="midtop",
                          max_width=left.width - 40)
            widgets.label(surface, self.tr("points.balance"), 36, (left.centerx, left.y + 350),
                          theme.MUTED, "midtop", max_width=left.width - 40)
            if self.account.spent:
                widgets.label(surface, self.tr("points.queued", points=number(
                    self.account.spent)), 26, (left.centerx, left.y + 410), theme.WARN,
                    "midtop", max_width=left.width - 40)
            if self.cached and self.account.fetched_at is not None:
                when = time.strftime("%m-%d %H:%M", time.localtime(self.account.fetched_at))
                widgets.label(surface, self.tr("card.as_of", time=when), 26,
                              (left.centerx, left.y + 470), theme.BAD, "midtop",
                              max_width=left.width - 40)
        right = pygame.Rect(440, theme.TOP_BAR + 16, theme.WIDTH - 440 - theme.MARGIN, 540)
        widgets.panel(surface, right)
        widgets.label(surface, self.tr("points.recent"), 36, (right.x + 20, right.y + 16))
        if self.account.known and not self.account.lines:
            widgets.label(surface, self.tr("points.no_lines"), 30,
                          (right.x + 20, right.y + 80), theme.MUTED)
        for i, line in enumerate(self.account.lines[:LINES_SHOWN]):
            self._draw_line(surface, line, right.x + 20, right.y + 76 + i * 76,
                            right.width - 40)

    def _draw_line(self, surface: pygame.Surface, line: dict[str, Any], x: int, y: int,
                   width: int) -> None:
        source = str(line.get("source") or "")
        points = float(line.get("points") or 0)
        color = theme.GOOD if points >= 0 else theme.BAD
        surface.blit(icons.icon(SOURCE_ICONS.get(source, "points"), 56), (x, y))
        amount = widgets.label(surface, f"{points:+g}", 44, (x + width, y + 4), color,
                               "topright")
        text_w = amount.x - x - 90
        reason = str(line.get("reason") or line.get("category") or "")
        widgets.label(surface, source_name(self.lang, source), 30, (x + 72, y),
                      max_width=text_w)
        second = " · ".join(v for v in (str(line.get("at") or "")[:10], reason) if v)
        widgets.label(surface, second, 22, (x + 72, y + 38), theme.MUTED, max_width=text_w)


# --- rewards -------------------------------------------------------------------------------
class RewardTile(Button):
    choice: Choice | None = None
    lang: str = "zh_CN"
    affordable: bool = True
    picture_surface: pygame.Surface | None = None

    def draw(self, surface: pygame.Surface) -> None:
        choice = self.choice
        if choice is None:
            return
        free = choice.entitlement is not None
        pygame.draw.rect(surface, theme.SELECTED if free else theme.PANEL, self.rect,
                         border_radius=18)
        pygame.draw.rect(surface, theme.STAR if free else theme.LINE, self.rect,
                         4 if free else 2, border_radius=18)
        if self.picture_surface is not None:
            image = self.picture_surface
            surface.blit(image, image.get_rect(midtop=(self.rect.centerx, self.rect.y + 12)))
        width = self.rect.width - 20
        name = choice.reward.label(self.lang)
        one_line = len(fonts.wrap(name, 26, width)) <= 1
        widgets.text_block(surface, name, 26,
                           (self.rect.centerx, self.rect.bottom - (76 if one_line else 104)),
                           width, 2, anchor="midtop")
        if free:
            cost = t(self.lang, "rewards.free", tier=choice.tier_name)
        else:
            cost = t(self.lang, "rewards.cost", points=number(choice.cost))
        widgets.label(surface, cost, 28, (self.rect.centerx, self.rect.bottom - 44),
                      theme.GOOD if self.affordable else theme.BAD, "midtop", max_width=width)
        tags = []
        if choice.reward.tier and not free:
            tags.append(t(self.lang, "rewards.tier_only",
                          tier=tier_name(self.lang, choice.reward.tier)))
        if choice.reward.approval:
            tags.append(t(self.lang, "rewards.approval"))
        if choice.reward.stock == 0:
            tags.append(t(self.lang, "rewards.sold_out"))
        if tags:
            tag = fonts.fit(" · ".join(tags), 22, theme.PANEL, width - 16)
            box = tag.get_rect(topleft=(self.rect.x + 10, self.rect.y + 10)).inflate(16, 8)
            box.topleft = (self.rect.x + 8, self.rect.y + 8)
            pygame.draw.rect(surface, theme.PRIMARY, box, border_radius=10)
            surface.blit(tag, (box.x + 8, box.y + 4))
        if not self.affordable:
            shade = pygame.Surface(self.rect.size, pygame.SRCALPHA)
            shade.fill((246, 243, 236, 150))
            surface.blit(shade, self.rect)


class RewardsScene(Scene):
    name = "rewards"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.pager = Pager(PER_PAGE)
        self.load()

    def shown(self) -> None:
        self.ctx.sync.request_rewards()
        self.ctx.sync.request_points(self.worker.code)

    def load(self) -> None:
        self.account = Account(self.ctx, self.worker.code)
        rewards = catalogue(self.ctx)
        choices: list[Choice] = []
        for entitlement in self.account.entitlements:
            tier_name = entitlement_tier(self.lang, entitlement)
            for code in entitlement.get("rewards") or []:
                reward = rewards.get(code) or Reward(str(code), str(code), "", 0, None, None,
                                                     False)
                choices.append(Choice(reward, str(entitlement.get("id")), tier_name))
        choices += [Choice(r) for r in rewards.values()]
        self.choices = choices
        self._layout()

    def affordable(self, choice: Choice) -> bool:
        return choice.reward.stock != 0 and choice.cost <= self.account.available + 1e-9

    def _layout(self) -> None:
        shown = self.pager.shown(self.choices)
        area = pygame.Rect(theme.MARGIN, 150, theme.WIDTH - 2 * theme.MARGIN, 480)
        self.tiles: list[RewardTile] = []
        for rect, choice in zip(cells(area, len(shown), COLUMNS, ROWS), shown, strict=True):
            tile = RewardTile(rect, "", self._choose(choice), name=f"reward:{choice.key}")
            tile.choice, tile.lang = choice, self.lang
            tile.affordable = self.affordable(choice)
            tile.picture_surface = picture(self.ctx, choice.reward.code, rect.height - 124)
            self.tiles.append(tile)
        back, previous, following = footer(3)
        self.buttons = [*self.tiles, self.back_button(back),
                        *self.pager.buttons(self.tr, previous, following, self._layout)]

    def _choose(self, choice: Choice):
        def choose() -> None:
            if choice.reward.stock == 0:
                self.ctx.say(self.lang, [("say.sold_out", self.tr(
                    "say.sold_out", name=choice.reward.label(self.lang)))])
            elif not self.affordable(choice):
                self.ctx.say(self.lang, [("say.too_few", self.tr(
                    "say.too_few", cost=number(choice.cost),
                    balance=number(self.account.available)))])
            else:
                self.ctx.scenes.push(RedeemConfirmScene(self.ctx, self.worker, choice,
                                                        self.account.available))
        return choose

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.REWARDS_READY or (
                event.type == events.POINTS_READY and event.worker == self.worker.code):
            self.load()
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        title = self.tr("rewards.title", balance=number(self.account.available))
        self.draw_title(surface, title)
        if not self.choices:
            wrapped(surface, self.tr("rewards.none"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)


class RedeemConfirmScene(Scene):
    """The reward big, its cost and the balance after, spoken; "confirm" records it."""

    name = "rewards"

    def __init__(self, ctx: Context, worker: Worker, choice: Choice, balance: float) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.choice = choice
        self.balance = balance
        back, _, confirm = footer(3)
        self.buttons = [self.back_button(back),
                        Button(confirm, self.tr("btn.redeem"), self._confirm, icon="check",
                               color=theme.GOOD, ink=theme.PANEL, name="confirm")]

    @property
    def after(self) -> float:
        return self.balance - self.choice.cost

    def enter(self) -> None:
        name = self.choice.reward.label(self.lang)
        if self.choice.entitlement:
            key, text = "say.redeem_free", self.tr("say.redeem_free", name=name,
                                                   tier=self.choice.tier_name)
        else:
            key, text = "say.redeem_cost", self.tr("say.redeem_cost", name=name,
                                                   cost=number(self.choice.cost),
                                                   after=number(self.after))
        self.ctx.say(self.lang, [(key, text)])

    def _confirm(self) -> None:
        payload: dict[str, Any] = {"reward": self.choice.reward.code}
        if self.choice.entitlement:
            payload["entitlement"] = _entitlement_id(self.choice.entitlement)
        self.ctx.record("reward_redeem", self.worker.code, payload)
        self.ctx.scenes.push(RedeemedScene(self.ctx, self.worker, self.choice))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        name = self.choice.reward.label(self.lang)
        widgets.text_block(surface, self.tr("rewards.confirm", name=name), 40,
                           (theme.MARGIN, theme.TOP_BAR + 18), theme.WIDTH - 2 * theme.MARGIN, 2)
        image = picture(self.ctx, self.choice.reward.code, 300)
        surface.blit(image, image.get_rect(center=(300, 400)))
        x, width = 540, theme.WIDTH - 540 - theme.MARGIN
        if self.choice.entitlement:
            widgets.label(surface, self.tr("rewards.free", tier=self.choice.tier_name), 56,
                          (x, 250), theme.GOOD, max_width=width)
        else:
            widgets.label(surface, self.tr("rewards.cost", points=number(self.choice.cost)),
                          72, (x, 230), theme.BAD, max_width=width)
        widgets.label(surface, self.tr("rewards.after", balance=number(self.after)), 48,
                      (x, 350), max_width=width)
        widgets.label(surface, self.tr("rewards.pickup"), 30, (x, 450), theme.MUTED,
                      max_width=width)


def _entitlement_id(value: str) -> int | str:
    return int(value) if value.isdigit() else value


class RedeemedScene(DoneScene):
    """Done: the redemption is in the outbox; a supervisor hands it over."""

    def __init__(self, ctx: Context, worker: Worker, choice: Choice) -> None:
        super().__init__(ctx, worker, back_to="scorecard")
        self.choice = choice

    def enter(self) -> None:
        self.ctx.say(self.lang, [("say.redeemed", self.tr(
            "say.redeemed", name=self.choice.reward.label(self.lang)))])

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        cx = theme.WIDTH // 2
        pygame.draw.circle(surface, theme.GOOD, (cx, 300), 150)
        surface.blit(icons.icon("gift", 200, theme.PANEL), (cx - 100, 200))
        widgets.text_block(surface, self.tr("rewards.done",
                                            name=self.choice.reward.label(self.lang)), 52,
                           (theme.WIDTH // 2, 490), 1080, 2, anchor="midtop")


# --- a refused redemption ------------------------------------------------------------------
class RefusedScene(Scene):
    """The server rejected a redemption: which reward and why, shown and spoken."""

    name = "redeem_refused"

    def __init__(self, ctx: Context, worker: Worker, refusals: list[Refusal]) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.refusals = refusals
        self.rewards = catalogue(ctx)
        ok = footer(3)[2]
        self.buttons = [Button(ok, self.tr("btn.ok"), self.ctx.scenes.pop, icon="check",
                               name="ok")]

    def _name(self, code: str) -> str:
        reward = self.rewards.get(code)
        return reward.label(self.lang) if reward else code

    def enter(self) -> None:
        parts: list[Part] = []
        for refusal in self.refusals:
            self.ctx.store.mark_refusal_told(refusal.uuid)
            why = self.tr(f"refused.{refusal_reason(refusal.reason)}")
            parts.append(("say.refused", self.tr("say.refused", name=self._name(refusal.reward),
                                                 reason=why)))
        self.ctx.say(self.lang, parts)

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("refused.title"))
        y, text_x = 160, theme.MARGIN + 250
        width = theme.WIDTH - text_x - theme.MARGIN
        for refusal in self.refusals[:2]:
            image = picture(self.ctx, refusal.reward, 200)
            surface.blit(image, image.get_rect(center=(theme.MARGIN + 110, y + 110)))
            pygame.draw.circle(surface, theme.BAD, (theme.MARGIN + 190, y + 190), 40)
            surface.blit(icons.icon("cross", 52, theme.PANEL), (theme.MARGIN + 164, y + 164))
            widgets.text_block(surface, self._name(refusal.reward), 52, (text_x, y + 10),
                               width, 1)
            why = self.tr(f"refused.{refusal_reason(refusal.reason)}")
            widgets.text_block(surface, why, 48, (text_x, y + 84), width, 2, theme.BAD)
            widgets.label(surface, self.tr("refused.no_charge"), 30, (text_x, y + 186),
                          theme.MUTED, max_width=width)
            y += 240
        if len(self.refusals) > 2:
            widgets.label(surface, self.tr("task.more", n=len(self.refusals) - 2), 30,
                          (text_x, y), theme.MUTED)
