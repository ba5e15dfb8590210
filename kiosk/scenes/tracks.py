"""The dual track (过程-结果双轨制): the worker's process line in blue and result line in
red over the last weeks, each a share of its dimensions' maximum, with this period's
two scores above them. Reached from a tile on the scorecard when the scheme has tracks
(`tracks_tiles`); the server sends the lines with the card (`tracks`, `track_weeks`)."""

from __future__ import annotations

from collections.abc import Sequence

import pygame

from kiosk.i18n.readout import number
from kiosk.model import Scorecard, Worker
from kiosk.scenes.base import Context, Scene
from kiosk.ui import theme, widgets
from kiosk.ui.widgets import Button

COLORS = {"process": theme.PRIMARY, "result": theme.BAD}  # the blue line and the red line
CHART = pygame.Rect(theme.MARGIN + 60, 300, theme.WIDTH - 2 * theme.MARGIN - 100, 280)


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


class TracksTile(Button):
    """The scorecard's way in: two small lines, blue over red, and the title."""

    card: Scorecard | None = None

    def draw(self, surface: pygame.Surface) -> None:
        pygame.draw.rect(surface, theme.PANEL, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        box = pygame.Rect(self.rect.x + 16, self.rect.y + 14, self.rect.width - 32,
                          max(20, self.rect.height - 70))
        for key, points in (("process", (0.55, 0.35, 0.45, 0.15)),
                            ("result", (0.85, 0.7, 0.75, 0.5))):
            line = [(box.x + round(box.width * i / 3), box.y + round(box.height * y))
                    for i, y in enumerate(points)]
            pygame.draw.lines(surface, COLORS[key], False, line, 5)
        widgets.label(surface, self.label, 26, (self.rect.centerx, self.rect.bottom - 44),
                      anchor="midtop", max_width=self.rect.width - 16)


def tracks_tiles(scene: Scene, card: Scorecard | None, rects: Sequence[pygame.Rect],
                 worker: Worker) -> list[Button]:
    """The tile for the spare grid cell the scorecard leaves when the card has tracks."""
    if card is None or not card.tracks or not rects:
        return []

    def open_() -> None:
        scene.ctx.scenes.push(TracksScene(scene.ctx, worker, card))

    tile = TracksTile(rects[0], scene.tr("tracks.title"), open_, name="tracks")
    tile.card = card
    return [tile]


def track_slots(card: Scorecard | None) -> int:
    """Grid cells the scorecard keeps for the tracks tile (0 or 1)."""
    return 1 if card is not None and card.tracks else 0


class TracksScene(Scene):
    name = "tracks"

    def __init__(self, ctx: Context, worker: Worker, card: Scorecard) -> None:
        super().__init__(ctx, worker=worker)
        self.card = card
        self.buttons = [self.back_button()]

    def enter(self) -> None:
        shares = {t.key: percent(t.percent) for t in self.card.tracks}
        if shares:
            self.ctx.say(self.lang, [("say.tracks", self.tr(
                "say.tracks", process=shares.get("process", "—"),
                result=shares.get("result", "—")))])

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("tracks.title"))
        card = self.card
        if not card.tracks:
            widgets.label(surface, self.tr("tracks.no_tracks"), 36, CHART.center, theme.MUTED,
                          "center")
            return
        x = theme.MARGIN
        for track in card.tracks:  # this period: the share and the points it gives
            box = pygame.Rect(x, theme.TOP_BAR + 80, 600, 110)
            widgets.panel(surface, box)
            pygame.draw.rect(surface, COLORS.get(track.key, theme.INK),
                             (box.x + 16, box.y + 20, 16, 70), border_radius=6)
            widgets.label(surface, self.tr(f"tracks.{track.key}",
                                           percent=percent(track.percent)),
                          44, (box.x + 48, box.y + 10), COLORS.get(track.key, theme.INK),
                          max_width=box.width - 64)
            widgets.label(surface, self.tr("tracks.points", points=number(track.points),
                                           weight=number(track.weight)),
                          28, (box.x + 48, box.y + 66), theme.MUTED, max_width=box.width - 64)
            x += 616
        self._draw_weeks(surface)

    def _draw_weeks(self, surface: pygame.Surface) -> None:
        card = self.card
        widgets.panel(surface, CHART.inflate(100, 70).move(-20, 0))
        labels = card.week_labels
        widgets.label(surface, self.tr("tracks.weeks", n=len(labels)), 24,
                      (CHART.x - 50, CHART.y - 30), theme.MUTED)
        if not labels:
            return
        base, top = CHART.bottom - 30, CHART.y + 10
        for share in (0.0, 0.5, 1.0):  # the scale: 0, 50 and 100 %
            y = base - round((base - top) * share)
            pygame.draw.line(surface, theme.LINE, (CHART.x, y), (CHART.right, y), 2)
            widgets.label(surface, percent(share), 20, (CHART.x - 8, y), theme.MUTED,
                          "midright")
        slot = CHART.width / len(labels)
        xs = [round(CHART.x + slot * (i + 0.5)) for i in range(len(labels))]
        for cx, label in zip(xs, labels, strict=True):
            widgets.label(surface, label[-3:], 20, (cx, base + 8), theme.MUTED, "midtop")
        for key, values in card.weeks.items():
            color = COLORS.get(key, theme.INK)
            run: list[tuple[int, int]] = []
            for cx, value in zip(xs, values, strict=True):
                if value is None:  # a week without data or without tracks: a gap
                    if len(run) > 1:
                        pygame.draw.lines(surface, color, False, run, 5)
                    run = []
                    continue
                point = (cx, base - round((base - top) * max(0.0, min(value, 1.0))))
                run.append(point)
                pygame.draw.circle(surface, color, point, 8)
            if len(run) > 1:
                pygame.draw.lines(surface, color, False, run, 5)
