"""One dimension up close: its picture, its sun or cloud and the points it gives the
total; the records behind it, day by day as bars, against the target
(a bar is green when the server says the day met it). When uptime was missed on days a
machine stood still after a fault (the card's ``fault_minutes``), a line says so, aloud
too, and those days' bars carry the fault sign."""

from __future__ import annotations

import pygame

from kiosk.i18n.format import format_value
from kiosk.i18n.readout import dimension_name, number
from kiosk.model import Dimension, Worker
from kiosk.scenes.appeal import AppealScene
from kiosk.scenes.base import Context, Scene, footer
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

CHART = pygame.Rect(theme.MARGIN + 20, 250, theme.WIDTH - 2 * theme.MARGIN - 40, 330)
# With the line about faults above it, the chart gives up the room that line takes.
FAULT_LINE_Y = 214
CHART_UNDER_FAULTS = pygame.Rect(CHART.x, 304, CHART.width, 276)


class DimensionScene(Scene):
    name = "dimension"

    def __init__(self, ctx: Context, worker: Worker, period: str, dim: Dimension,
                 period_start: str = "") -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.period = period
        self.period_start = period_start
        self.dim = dim
        back, disagree = footer(2)
        self.buttons = [
            self.back_button(back),
            Button(disagree, self.tr("dim.disagree"), self._appeal, icon="appeal",
                   name="disagree"),
        ]

    @property
    def fault_minutes(self) -> int:
        """The fault downtime of the days the dimension was missed (0: none, or met)."""
        return sum(minutes for _, minutes in self.dim.missed_for_faults())

    def _fault_text(self, key: str) -> str:
        return self.tr(key, dim=dimension_name(self.lang, self.dim.key),
                       minutes=self.fault_minutes)

    def enter(self) -> None:
        if self.fault_minutes:
            self.ctx.say(self.lang, [("say.dim_fault", self._fault_text("say.dim_fault"))])

    def _appeal(self) -> None:
        self.ctx.scenes.push(AppealScene(self.ctx, self.worker, self.period, self.dim.key,
                                         self.period_start))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        dim = self.dim
        # the dimension's own picture, its sun (met) or cloud (missed) on its corner
        surface.blit(icons.dimension_pictogram(dim.key, 96, theme.INK),
                     (theme.MARGIN, theme.TOP_BAR + 10))
        weather = icons.icon("sun" if dim.met else "cloud", 56,
                             theme.CLOUD if dim.no_data else theme.INK)
        surface.blit(weather, (theme.MARGIN + 92, theme.TOP_BAR + 76))
        x = theme.MARGIN + 160
        points = widgets.label(surface, f"{number(dim.points)} {self.tr('card.points')}", 52,
                               (theme.WIDTH - theme.MARGIN, theme.TOP_BAR + 16), theme.INK,
                               "topright")
        widgets.label(surface, dimension_name(self.lang, dim.key), 52, (x, theme.TOP_BAR + 16),
                      max_width=points.x - 24 - x)
        if dim.no_data:
            summary = self.tr("card.no_data")
        else:
            summary = self.tr("dim.value", value=format_value(dim, dim.value))
        if dim.target is not None:
            summary += "   " + self.tr("dim.target", target=format_value(dim, dim.target))
        widgets.label(surface, summary, 36, (x, theme.TOP_BAR + 88), theme.MUTED,
                      max_width=theme.WIDTH - theme.MARGIN - x)
        chart = CHART
        if self.fault_minutes:
            chart = CHART_UNDER_FAULTS
            surface.blit(icons.icon("machine_fault", 44, theme.BAD),
                         (theme.MARGIN, FAULT_LINE_Y))
            widgets.label(surface, self._fault_text("dim.fault"), 34,
                          (theme.MARGIN + 56, FAULT_LINE_Y + 2), theme.BAD,
                          max_width=theme.WIDTH - 2 * theme.MARGIN - 56)
        self._draw_chart(surface, chart)

    def _draw_chart(self, surface: pygame.Surface, chart: pygame.Rect = CHART) -> None:
        widgets.panel(surface, chart.inflate(40, 60))
        days = [d for d in self.dim.daily if d.date]
        if not days:
            widgets.label(surface, self.tr("card.no_data"), 44, chart.center, theme.MUTED,
                          "center")
            return
        faulted = {day for day, _ in self.dim.missed_for_faults()}
        values = [d.value for d in days if d.value is not None]
        top = max([*values, self.dim.target or 0.0, 1e-9]) * 1.15
        slot = chart.width / len(days)
        bar_w = max(8, min(90, round(slot * 0.6)))
        base_y = chart.bottom - 36
        height = base_y - chart.y - 30
        if self.dim.target is not None:
            y = base_y - round(height * self.dim.target / top)
            for x0 in range(chart.x, chart.right, 24):
                pygame.draw.line(surface, theme.PRIMARY, (x0, y), (min(x0 + 14, chart.right), y), 3)
        for i, day in enumerate(days):
            cx = round(chart.x + slot * (i + 0.5))
            label = day.date[5:] if len(days) <= 10 else day.date[-2:]
            widgets.label(surface, label, 22 if len(days) <= 10 else 16, (cx, base_y + 6),
                          theme.MUTED, "midtop")
            if day.value is None:
                continue
            h = max(4, round(height * day.value / top))
            rect = pygame.Rect(cx - bar_w // 2, base_y - h, bar_w, h)
            color = theme.GOOD if day.met else theme.BAD  # as the server judged the day
            pygame.draw.rect(surface, color, rect, border_radius=6)
            sign = min(40, bar_w - 8, h - 8)
            if day.date in faulted and sign >= 20:  # missed on a day with a fault
                surface.blit(icons.icon("machine_fault", sign, theme.PANEL),
                             (cx - sign // 2, base_y - sign - 4))
            if len(days) <= 10:
                widgets.label(surface, format_value(self.dim, day.value), 22,
                              (cx, rect.y - 4), theme.INK, "midbottom")
        pygame.draw.line(surface, theme.LINE, (chart.x, base_y), (chart.right, base_y), 2)
