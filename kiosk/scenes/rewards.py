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

import time
from typing import Any

import pygame

from kiosk import events
from kiosk.i18n import t
from kiosk.i18n.readout import number, tier_name
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.scenes.paging import Pager, cells
from kiosk.scenes.points_account import (
    SOURCE_ICONS,
    Account,
    Choice,
    CoinButton,
    Reward,
    balance_of,
    catalogue,
    entitlement_tier,
    has_photo,
    picture,
    points_parts,
    refusal_reason,
    source_name,
)
from kiosk.scenes.redeem_refused import RefusedScene, tell_refusals
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button

# CoinButton, balance_of and refusal_reason are used by the card and the tests from here.
__all__ = ["CoinButton", "PointsScene", "RedeemConfirmScene", "RedeemedScene", "RefusedScene",
           "RewardsScene", "balance_of", "refusal_reason", "tell_refusals"]

LINES_SHOWN = 6
COLUMNS, ROWS = 4, 2
TAGS_H = 44  # a tile's line of tags at its top; the picture goes under it
TAG_MIN = 18  # px: the smallest the tags are drawn before one is left out
PER_PAGE = COLUMNS * ROWS


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

    def _line_picture(self, line: dict[str, Any], source: str) -> pygame.Surface:
        """A remark's or a claim's category picture (HR's pictogram), else the source's."""
        code = line.get("category")
        category = next((c for c in self.ctx.roster().categories if c.code == code), None)
        if category is not None and source in ("remark", "claim", "hr"):
            return icons.pictogram(category.pictogram, 56)
        return icons.icon(SOURCE_ICONS.get(source, "points"), 56)

    def _draw_line(self, surface: pygame.Surface, line: dict[str, Any], x: int, y: int,
                   width: int) -> None:
        source = str(line.get("source") or "")
        points = float(line.get("points") or 0)
        color = theme.GOOD if points >= 0 else theme.BAD
        surface.blit(self._line_picture(line, source), (x, y))
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
    """A reward: its photo or, without one, the pictogram HR picked big; with a photo the
    pictogram small in the corner; its name, and its cost (free with an entitlement)."""

    choice: Choice | None = None
    lang: str = "zh_CN"
    affordable: bool = True
    picture_surface: pygame.Surface | None = None
    corner_pictogram: pygame.Surface | None = None

    def draw(self, surface: pygame.Surface) -> None:
        choice = self.choice
        if choice is None:
            return
        free = choice.entitlement is not None
        pygame.draw.rect(surface, theme.SELECTED if free else theme.PANEL, self.rect,
                         border_radius=18)
        pygame.draw.rect(surface, theme.STAR if free else theme.LINE, self.rect,
                         4 if free else 2, border_radius=18)
        tags = self.tags()
        if self.picture_surface is not None:  # below the tags' line when there are tags
            image = self.picture_surface
            surface.blit(image, image.get_rect(midtop=(self.rect.centerx,
                                                       self.rect.y + (TAGS_H if tags else 12))))
        if self.corner_pictogram is not None:
            surface.blit(self.corner_pictogram, self.corner_pictogram.get_rect(
                topright=(self.rect.right - 8, self.rect.y + 8)))
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
        if tags:
            tag = fonts.fit(" · ".join(tags), 22, theme.PANEL, width - 16, TAG_MIN)
            box = tag.get_rect(topleft=(self.rect.x + 10, self.rect.y + 10)).inflate(16, 8)
            box.topleft = (self.rect.x + 8, self.rect.y + 8)
            # not greyed out when it cannot be had: a tap still says why, so it stays as
            # readable as the others (WCAG AA); the tag and the red cost tell it
            pygame.draw.rect(surface, theme.PRIMARY if self.affordable else theme.BAD, box,
                             border_radius=10)
            surface.blit(tag, (box.x + 8, box.y + 4))

    def tags(self) -> list[str]:
        """What the line at the top says, most important first (sold out or too few
        points, tier only, needs approval), as many as fit the tile."""
        choice = self.choice
        if choice is None:
            return []
        tags = []
        if choice.reward.stock == 0:
            tags.append(t(self.lang, "rewards.sold_out"))
        elif not self.affordable:
            tags.append(t(self.lang, "rewards.too_few"))
        if choice.reward.tier and choice.entitlement is None:
            tags.append(t(self.lang, "rewards.tier_only",
                          tier=tier_name(self.lang, choice.reward.tier)))
        if choice.reward.approval:
            tags.append(t(self.lang, "rewards.approval"))
        room = self.rect.width - 36
        while len(tags) > 1 and fonts.font(TAG_MIN).size(" · ".join(tags))[0] > room:
            tags.pop()
        return tags


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
            room = rect.height - (124 + TAGS_H - 12 if tile.tags() else 124)
            tile.picture_surface = picture(self.ctx, choice.reward.code, room,
                                           choice.reward.pictogram)
            if has_photo(self.ctx, choice.reward.code):
                tile.corner_pictogram = icons.pictogram(choice.reward.pictogram, 56)
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
        image = picture(self.ctx, self.choice.reward.code, 300, self.choice.reward.pictogram)
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
        pygame.draw.circle(surface, theme.PANEL, (cx, 300), 130)
        surface.blit(icons.pictogram(self.choice.reward.pictogram, 180), (cx - 90, 210))
        widgets.text_block(surface, self.tr("rewards.done",
                                            name=self.choice.reward.label(self.lang)), 52,
                           (theme.WIDTH // 2, 490), 1080, 2, anchor="midtop")
