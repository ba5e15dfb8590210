"""A redemption the server refused: which reward and why, shown and spoken to the worker
(``tell_refusals`` pushes it: at once when one of their scenes is on top, else when their
card next opens)."""

from __future__ import annotations

import pygame

from kiosk.hardware.speech import Part
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer
from kiosk.scenes.points_account import catalogue, picture, refusal_reason
from kiosk.store import Refusal
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button


def tell_refusals(ctx: Context, worker: Worker) -> bool:
    """Push the refusal scene for ``worker`` when a refused redemption is still untold."""
    refusals = ctx.store.untold_refusals(worker.code)
    if not refusals:
        return False
    if ctx.scenes.top.name != RefusedScene.name:
        ctx.scenes.push(RefusedScene(ctx, worker, refusals))
    return True



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
            reward = self.rewards.get(refusal.reward)
            image = picture(self.ctx, refusal.reward, 200,
                            reward.pictogram if reward else "gift")
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
