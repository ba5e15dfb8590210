"""Appeal: "I disagree" with a dimension, then a reason chosen from pictures."""

from __future__ import annotations

import pygame

from kiosk.i18n.readout import dimension_name
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene
from kiosk.scenes.done import DoneScene
from kiosk.ui import theme, widgets
from kiosk.ui.widgets import Button

REASONS = ("wrong_data", "machine_broken", "not_my_shift", "training_done", "other")


class AppealScene(Scene):
    name = "appeal"

    def __init__(self, ctx: Context, worker: Worker, period: str, dimension: str,
                 period_start: str = "") -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.period = period
        self.period_start = period_start
        self.dimension = dimension
        area = pygame.Rect(theme.MARGIN, 180, theme.WIDTH - 2 * theme.MARGIN, 440)
        cells = widgets.grid(area, len(REASONS), 3, 20)
        self.buttons = [
            Button(rect, self.tr(f"appeal.reason.{reason}"), self._choose(reason), icon=reason,
                   name=f"reason:{reason}")
            for rect, reason in zip(cells, REASONS, strict=True)
        ]
        self.buttons.append(self.back_button(pygame.Rect(cells[-1].right + 20, cells[-1].y,
                                                         cells[-1].width, cells[-1].height)))

    def _choose(self, reason: str):
        def choose() -> None:
            payload = {"dimension": self.dimension, "period": self.period, "reason": reason}
            if self.period_start:
                payload["period_start"] = self.period_start
            self.ctx.record("appeal", self.worker.code, payload)
            self.ctx.scenes.push(DoneScene(self.ctx, self.worker))
        return choose

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        title = f"{dimension_name(self.lang, self.dimension)} — {self.tr('appeal.title')}"
        self.draw_title(surface, title)
