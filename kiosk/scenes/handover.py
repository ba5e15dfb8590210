"""Supervisor hand-over: the workshop's redemptions waiting to be handed over, as photo
cards; tap one, confirm, and a ``reward_handover`` names the supervisor who handed it,
sealed with their PIN. Nobody hands over their own reward: the supervisor's own card is
greyed, and a tap on it says why."""

from __future__ import annotations

import json
from typing import Any

import pygame

from kiosk import events
from kiosk.scenes.acts import Visit, VisitScene
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.scenes.paging import Pager, cells
from kiosk.store import redemptions_key
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

COLUMNS, ROWS = 3, 2
PER_PAGE = COLUMNS * ROWS
HANDED_KEY = "handed_over"  # redemptions handed over here, until the server's list drops them


def handed(ctx: Context) -> set[str]:
    raw = ctx.store.get_setting(HANDED_KEY)
    return set(json.loads(raw)) if raw else set()


def pending(ctx: Context, workshop: str) -> list[dict[str, Any]]:
    cached = ctx.store.cached(redemptions_key(workshop))
    rows: list[Any] = cached.body if cached and isinstance(cached.body, list) else []
    done = handed(ctx)
    return [r for r in rows if isinstance(r, dict) and r.get("uuid")
            and r["uuid"] not in done and r.get("state", "pending") == "pending"]


class HandoverCard(Button):
    redemption: dict[str, Any] | None = None
    portrait: pygame.Surface | None = None
    own_note: str | None = None  # the supervisor's own reward: why they cannot hand it over

    def draw(self, surface: pygame.Surface) -> None:
        row = self.redemption or {}
        pygame.draw.rect(surface, theme.PANEL, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        if self.portrait is not None:
            surface.blit(self.portrait, (self.rect.x + 16, self.rect.y + 16))
        x, width = self.rect.x + 136, self.rect.width - 152
        name = str(row.get("worker_name") or row.get("worker") or "")
        widgets.label(surface, name, 34, (x, self.rect.y + 24), max_width=width)
        when = str(row.get("at") or "")[:16].replace("T", " ")
        if self.own_note is None:
            widgets.label(surface, " · ".join(v for v in (str(row.get("worker") or ""), when)
                                              if v),
                          22, (x, self.rect.y + 70), theme.MUTED, max_width=width)
        reward = str(row.get("reward_name") or row.get("reward") or "")
        widgets.text_block(surface, reward, 30, (self.rect.x + 16, self.rect.y + 134),
                           self.rect.width - 32, 2, theme.PRIMARY)
        if self.own_note is not None:  # greyed, and why, where the code and time were
            shade = pygame.Surface(self.rect.size, pygame.SRCALPHA)
            shade.fill((*theme.BG, 170))
            surface.blit(shade, self.rect)
            surface.blit(icons.icon("lock", 36, theme.MUTED), (x, self.rect.y + 68))
            widgets.text_block(surface, self.own_note, 22, (x + 42, self.rect.y + 66),
                               width - 42, 3, theme.INK)


class HandoverScene(VisitScene):
    name = "handover"

    def __init__(self, ctx: Context, visit: Visit) -> None:
        super().__init__(ctx, visit)
        self.pager = Pager(PER_PAGE)
        self.load()

    def enter(self) -> None:
        self.load()
        self.ctx.sync.request_redemptions(self.supervisor.workshop)

    def load(self) -> None:
        self.rows = pending(self.ctx, self.supervisor.workshop)
        shown = self.pager.shown(self.rows)
        area = pygame.Rect(theme.MARGIN, 150, theme.WIDTH - 2 * theme.MARGIN, 480)
        self.cards: list[HandoverCard] = []
        for rect, row in zip(cells(area, len(shown), COLUMNS, ROWS), shown, strict=True):
            card = HandoverCard(rect, "", self._pick(row), name=f"handover:{row['uuid']}")
            card.redemption = row
            card.portrait = self.ctx.photos.portrait(str(row.get("worker") or ""), 104)
            if row.get("worker") == self.supervisor.code:
                card.own_note = self.tr("handover.own")
                card.action = self._say_own
            self.cards.append(card)
        back, previous, following = footer(3)
        self.buttons = [*self.cards, self.back_button(back),
                        *self.pager.buttons(self.tr, previous, following, self.load)]

    def _forget_handed(self) -> None:
        """Hand-overs the server's list no longer shows need no hiding any more."""
        cached = self.ctx.store.cached(redemptions_key(self.supervisor.workshop))
        rows: list[Any] = cached.body if cached and isinstance(cached.body, list) else []
        listed = {r.get("uuid") for r in rows if isinstance(r, dict)}
        done = handed(self.ctx)
        if done - listed:
            self.ctx.store.set_setting(HANDED_KEY, json.dumps(sorted(done & listed)))

    def _say_own(self) -> None:
        self.ctx.say(self.lang, [("say.handover_own", self.tr("say.handover_own"))])

    def _pick(self, row: dict[str, Any]):
        def pick() -> None:
            self.ctx.scenes.push(HandoverConfirmScene(self.ctx, self.visit, row, self))
        return pick

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.REDEMPTIONS_READY and event.workshop == self.supervisor.workshop:
            self._forget_handed()
            self.load()
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("handover.title", n=len(self.rows)))
        if not self.rows:
            wrapped(surface, self.tr("handover.none"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)


class HandoverConfirmScene(VisitScene):
    name = "handover"

    def __init__(self, ctx: Context, visit: Visit, row: dict[str, Any],
                 back_to: Scene) -> None:
        super().__init__(ctx, visit)
        self.row = row
        self.back_to = back_to
        back, _, confirm = footer(3)
        self.buttons = [self.back_button(back),
                        Button(confirm, self.tr("btn.handover_confirm"), self._confirm,
                               icon="handover", color=theme.GOOD, ink=theme.PANEL,
                               name="confirm")]

    def _names(self) -> tuple[str, str]:
        return (str(self.row.get("worker_name") or self.row.get("worker") or ""),
                str(self.row.get("reward_name") or self.row.get("reward") or ""))

    def enter(self) -> None:
        worker, reward = self._names()
        self.ctx.say(self.lang, [("say.handover_confirm", self.tr(
            "say.handover_confirm", worker=worker, reward=reward))])

    def _confirm(self) -> None:
        uuid = str(self.row["uuid"])
        worker = str(self.row.get("worker") or "") or None
        if worker == self.supervisor.code:  # not their own (the list does not offer it)
            return
        sent = self.visit.record(self.ctx, "reward_handover", [
            (worker, {"redemption": uuid, "handed_by": self.supervisor.code})])
        if sent is None:
            return
        self.ctx.store.set_setting(HANDED_KEY, json.dumps(sorted(handed(self.ctx) | {uuid})))
        self.ctx.scenes.push(DoneScene(self.ctx, self.supervisor, back_to=self.back_to))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        worker, reward = self._names()
        self.draw_title(surface, self.tr("handover.confirm"))
        surface.blit(self.ctx.photos.portrait(str(self.row.get("worker") or ""), 240),
                     (120, 200))
        x, width = 420, theme.WIDTH - 420 - theme.MARGIN
        widgets.label(surface, worker, 56, (x, 220), max_width=width)
        bottom = widgets.text_block(surface, reward, 52, (x, 310), width, 2, theme.PRIMARY)
        widgets.label(surface, self.tr("handover.note"), 30, (x, max(430, bottom + 20)),
                      theme.MUTED, max_width=width)
