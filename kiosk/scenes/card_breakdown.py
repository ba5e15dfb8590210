"""How the total adds up: every point of it on a line of its own.

The dimension tiles come first (the scorecard draws them, `DimensionTile`), then the lines
this module makes: the hours on the machine (`hourly_points`, unless the server lists them
as entries), each point entry (a supervisor's remark, an approved claim: the category's
picture, its name, +N, who gave it), each adjustment for a closed period, and the sum, the
same number as the big total. A card from a server that lists less than its total counts
the rest as "other points", so the sum on screen always is the total.

On the card the lines fill the room under the tiles; when there are more, the last line
says how many, and a tap shows all of them, a page at a time (`BreakdownScene`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pygame

from kiosk.i18n import t
from kiosk.i18n.readout import dimension_name, number
from kiosk.model import Dimension, Scorecard, Worker
from kiosk.scenes.base import Context, Scene, footer
from kiosk.scenes.paging import Pager
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button, Ink

LINE_H = 36
SUM_H = 44
HOURLY_PICTURE = "machine"  # points per hour the machine ran
ENTRY_KINDS_LOCAL = ("pending", "local")  # entries the kiosk made itself (offline cards)


@dataclass(frozen=True)
class Line:
    """One line of the breakdown: a picture, what it is, who gave it, its points, and
    whether it was applied on this kiosk and awaits the server (`local`)."""

    key: str
    picture: str
    label: str
    who: str
    points: float
    local: bool = False
    met: bool | None = None  # a dimension's: met or missed (None: not a dimension)
    when: str = ""  # the day of an entry, "MM-DD" (shown in the whole breakdown)


def signed(points: float) -> str:
    """+10, -2.5, +0: a line's points with their sign."""
    return ("-" if points < -0.04 else "+") + number(abs(points))


def is_local(card: Scorecard, *keys: str) -> bool:
    """Whether kiosk/local_card.py changed any of ``keys`` here, or marked it waiting for
    the server (its `local_changes`: "output", "waiting:uptime", ...)."""
    return card.unconfirmed and any(
        changed in card.local_changes for key in keys if key
        for changed in (key, f"waiting:{key}"))


def dimension_local(card: Scorecard, dim: Dimension) -> bool:
    return is_local(card, dim.key)


def dimension_line(lang: str, card: Scorecard, dim: Dimension) -> Line:
    return Line(f"dim:{dim.key}", dim.key, dimension_name(lang, dim.key), "", dim.points,
                dimension_local(card, dim), None if dim.no_data else dim.met)


def card_lines(lang: str, card: Scorecard) -> list[Line]:
    """The lines after the tiles, in the order drawn, ending with "other points" when the
    card's lines do not reach its total."""
    lines: list[Line] = []
    entries = card.point_entries
    if card.hourly_points and not any(e.kind == "hourly" for e in entries):
        lines.append(Line("hourly", HOURLY_PICTURE, t(lang, "card.hourly"), "", card.hourly_points,
                          is_local(card, "hourly")))
    for entry in entries:
        ident = f"entry:{entry.id}" if entry.id is not None else ""
        label = entry.label(lang) or t(lang, "card.other_points")
        if entry.kind == "hourly":
            label = t(lang, "card.hourly") + (f" {entry.date[5:]}" if entry.date else "")
        who = t(lang, "card.given_by", name=entry.given_by_name) if entry.given_by_name else ""
        picture = HOURLY_PICTURE if entry.kind == "hourly" else entry.pictogram
        lines.append(Line(ident or f"entry:{len(lines)}", picture, label, who, entry.points,
                          entry.kind in ENTRY_KINDS_LOCAL or is_local(card, ident),
                          when=entry.date[5:] if entry.kind != "hourly" else ""))
    for index, adjustment in enumerate(card.adjustments):
        label = (t(lang, "card.adjustment", period=adjustment.period_label)
                 if adjustment.period_label else t(lang, "card.adjustment_earlier"))
        lines.append(Line(f"adjustment:{adjustment.id or index}", "undo", label,
                          adjustment.reason, adjustment.points))
    if not card.adjustments and card.adjustment_points:
        lines.append(Line("adjustment", "undo", t(lang, "card.adjustment_earlier"), "",
                          card.adjustment_points))
    listed = (sum(line.points for line in counted_lines(lang, card))
              + sum(line.points for line in lines))
    if abs(card.total - listed) >= 0.05:
        lines.append(Line("other", "other", t(lang, "card.other_points"), "",
                          round(card.total - listed, 1)))
    return lines


def counted_lines(lang: str, card: Scorecard) -> list[Line]:
    """What the dimensions add to the total: a line each, or with a dual track one line per
    track (its dimensions' share of their maximum, weighed), which is what the total counts."""
    if card.tracks:
        def name(key: str) -> str:
            return t(lang, "card.track", track=t(lang, f"tracks.{key}", percent="").strip())
        return [Line(f"track:{track.key}", "gauge_generic", name(track.key), "", track.points)
                for track in card.tracks]
    return [dimension_line(lang, card, d) for d in card.dimensions]


def all_lines(lang: str, card: Scorecard) -> list[Line]:
    return [*counted_lines(lang, card), *card_lines(lang, card)]


def points_color(points: float) -> tuple[int, int, int]:
    return theme.BAD if points < -0.04 else theme.GOOD if points > 0.04 else theme.MUTED


def draw_line(ink: Ink, line: Line, rect: pygame.Rect, lang: str, *, big: bool = False) -> None:
    """A line in ``rect``: picture, label and who gave it, "not confirmed" when local,
    and its points at the right."""
    pic = 48 if big else 30
    label_size, who_size, points_size = (30, 24, 34) if big else (24, 24, 26)
    y_mid = rect.centery
    color = theme.MUTED if line.met is None and line.key.startswith("dim:") else theme.INK
    if line.key.startswith("dim:"):
        image = icons.dimension_pictogram(line.picture, pic)
    else:
        image = icons.pictogram(line.picture, pic)
    ink.blit(image, (rect.x + 8, y_mid - pic // 2), role=f"picture:{line.key}")
    points = signed(line.points) if not line.key.startswith("dim:") else number(line.points)
    right = ink.text(points, points_size, (rect.right - 8, y_mid), points_color(line.points),
                     "midright", role="points")
    x = rect.x + pic + 18
    room = right.x - 12 - x
    if line.met is not None:  # a dimension: its sun or cloud after the name
        sign = icons.icon("sun" if line.met else "cloud", pic - 6)
        ink.blit(sign, (right.x - 12 - sign.get_width(), y_mid - sign.get_height() // 2),
                 role="met" if line.met else "missed")
        room -= sign.get_width() + 8
    label = ink.text(line.label, label_size, (x, y_mid), color, "midleft", max_width=room,
                     min_size=20, role="line")
    extra = t(lang, "card.local_line") if line.local else line.who
    if big and line.when and not line.local:
        extra = " · ".join(part for part in (line.who, line.when) if part)
    if extra and label.right + 12 < x + room:
        ink.text(extra, who_size, (label.right + 12, y_mid), theme.BAD if line.local
                 else theme.MUTED, "midleft", max_width=x + room - label.right - 12,
                 min_size=20, role="local" if line.local else "who")


def draw_sum(ink: Ink, lang: str, card: Scorecard, rect: pygame.Rect, *, big: bool = False
             ) -> None:
    """The sum line: "total  = 92 分", the same number as the big total."""
    pygame.draw.line(ink.surface, theme.INK, (rect.x + 8, rect.y + 2),
                     (rect.right - 8, rect.y + 2), 3)
    size = 36 if big else 28
    ink.text(t(lang, "card.sum"), size, (rect.x + 8, rect.centery + 2), theme.INK, "midleft",
             role="sum_label")
    ink.text(f"= {number(card.total)} {t(lang, 'card.points')}", size,
             (rect.right - 8, rect.centery + 2), theme.INK, "midright", role="sum")


class LinesPanel(Button):
    """The lines under the tiles and the sum; a tap shows the whole breakdown."""

    card: Scorecard | None = None
    lang: str = "zh_CN"

    def capacity(self) -> int:
        return max(0, (self.rect.height - SUM_H - 4) // LINE_H)

    def draw(self, surface: pygame.Surface) -> None:
        self.paint(Ink(surface))

    def paint(self, ink: Ink) -> None:
        card = self.card
        if card is None:
            return
        pygame.draw.rect(ink.surface, theme.PANEL, self.rect, border_radius=16)
        pygame.draw.rect(ink.surface, theme.LINE, self.rect, 2, border_radius=16)
        lines = card_lines(self.lang, card)
        room = self.capacity()
        shown = lines if len(lines) <= room else lines[:max(0, room - 1)]
        y = self.rect.y + 2
        inner = self.rect.inflate(-12, 0)
        for line in shown:
            draw_line(ink, line, pygame.Rect(inner.x, y, inner.width, LINE_H), self.lang)
            y += LINE_H
        if len(shown) < len(lines):
            ink.blit(icons.icon("next", 30, theme.PRIMARY), (self.rect.x + 8, y + 4),
                     role="more_icon")
            ink.text(t(self.lang, "card.lines_more", n=len(lines) - len(shown)), 24,
                     (self.rect.x + 48, y + LINE_H // 2), theme.PRIMARY, "midleft",
                     max_width=self.rect.width - 56, min_size=20, role="more")
        draw_sum(ink, self.lang, card, pygame.Rect(inner.x, inner.bottom - SUM_H - 2,
                                                   inner.width, SUM_H))


ROWS = pygame.Rect(theme.MARGIN, theme.TOP_BAR + 80, theme.WIDTH - 2 * theme.MARGIN, 480)
ROW_H = 64


class BreakdownScene(Scene):
    """Every line of the card, a page at a time, with the sum under each page."""

    name = "card_breakdown"

    def __init__(self, ctx: Context, worker: Worker, card: Scorecard,
                 lang: str | None = None) -> None:
        super().__init__(ctx, lang=lang, worker=worker)
        self.card = card
        self.lines: Sequence[Line] = all_lines(self.lang, card)
        self.pager = Pager(per_page=(ROWS.height - 70) // ROW_H)
        self._build()

    def _build(self) -> None:
        back, previous, following = footer(3)
        self.pager.shown(self.lines)
        self.buttons = [self.back_button(back),
                        *self.pager.buttons(self.tr, previous, following, self._build)]

    def draw(self, surface: pygame.Surface) -> None:
        self.paint(surface)

    def paint(self, surface: pygame.Surface) -> Ink:
        super().draw(surface)
        ink = Ink(surface)
        pager = Pager(self.pager.per_page)
        pager.page = self.pager.page
        pager.shown(self.lines)
        right = theme.WIDTH - theme.MARGIN
        if pager.pages > 1:
            right = ink.text(self.tr("card.breakdown_page", page=pager.page + 1,
                                     pages=pager.pages), 28, (right, theme.TOP_BAR + 24),
                             theme.MUTED, "topright", role="page").x - 24
        ink.text(self.tr("card.breakdown", total=number(self.card.total)), 40,
                 (theme.MARGIN, theme.TOP_BAR + 18), max_width=right - theme.MARGIN,
                 min_size=28, role="title")
        widgets.panel(surface, ROWS)
        y = ROWS.y + 6
        for line in pager.shown(self.lines):
            draw_line(ink, line, pygame.Rect(ROWS.x + 12, y, ROWS.width - 24, ROW_H),
                      self.lang, big=True)
            y += ROW_H
        draw_sum(ink, self.lang, self.card,
                 pygame.Rect(ROWS.x + 12, ROWS.bottom - 70, ROWS.width - 24, 64), big=True)
        return ink
