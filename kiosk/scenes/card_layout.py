"""Where the scorecard puts things, and its left panel: who, the big total with its unit,
the tier, the way to the next tier, today and "at this pace", the rank, and what the card
is (from the cache while offline, not yet confirmed, incomplete).

The screen, 1280x800::

    +-------------+----------------------+----------------+
    | photo name  | today | week | month | replay | 中文  |
    | 9999.9 分   +----------------------+----------------+
    | ★★★ tier    | tiles: picture, value| to do: notes   |
    | ==== next   | sun/cloud, points    | wrapped, tap   |
    | today, pace | lines: hours, entries| for the whole  |
    | rank        | adjustments          | note           |
    | status      | total = 9999.9 分    |                |
    +-------------+----------------------+----------------+
    |            footer: log, claim, points, ...           |
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pygame

from kiosk.i18n import t
from kiosk.i18n.readout import number, tier_name
from kiosk.model import Scorecard, Worker
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Ink

TOP = theme.TOP_BAR + 16
BOTTOM = theme.HEIGHT - 160  # the footer's top, less a gap
LEFT = pygame.Rect(theme.MARGIN, TOP, 400, BOTTOM - TOP)
MIDDLE = pygame.Rect(440, TOP, 460, BOTTOM - TOP)
RIGHT = pygame.Rect(916, TOP, theme.WIDTH - theme.MARGIN - 916, BOTTOM - TOP)
BUTTON_ROW = 120  # the period tabs, and "hear again" and the language beside them
TABS = pygame.Rect(MIDDLE.x, TOP, MIDDLE.width, BUTTON_ROW)
VOICE = pygame.Rect(RIGHT.x, TOP, RIGHT.width, BUTTON_ROW)
BREAKDOWN = pygame.Rect(MIDDLE.x, TOP + BUTTON_ROW + 12, MIDDLE.width,
                        BOTTOM - TOP - BUTTON_ROW - 12)
TASKS = pygame.Rect(RIGHT.x, BREAKDOWN.y, RIGHT.width, BREAKDOWN.height)

PAD = 20
PHOTO = 80
NAME_SIZES = (40, 30)  # one line, shrinking no further than the second
NAME_WRAPPED = 26  # else two lines at this size, cut with "…" past them
TOTAL_SIZES = (128, 64)  # the big number: largest first, shrunk to fit beside its unit
UNIT_SIZE = 40
TOTAL_BASELINE = TOP + 232
MIN_TEXT = 24  # no sentence on the card is drawn smaller

@dataclass(frozen=True)
class TotalPlace:
    """The big total and its unit: sizes and rects, the unit on the total's baseline."""

    size: int
    total: pygame.Rect
    unit: pygame.Rect


def place_total(total: str, unit: str, left: int = LEFT.x + PAD,
                width: int = LEFT.width - 2 * PAD, baseline: int = TOTAL_BASELINE
                ) -> TotalPlace:
    """The largest size (from `TOTAL_SIZES`) at which ``total`` and its unit fit ``width``
    side by side; 9999.9 fits, with its unit always beside it."""
    unit_w, _ = fonts.font(UNIT_SIZE).size(unit)
    gap = 10
    size = TOTAL_SIZES[0]
    while size > TOTAL_SIZES[1] and fonts.font(size).size(total)[0] + gap + unit_w > width:
        size -= 4
    total_font, unit_font = fonts.font(size), fonts.font(UNIT_SIZE)
    total_rect = pygame.Rect(left, baseline - total_font.get_ascent(),
                             *total_font.size(total))
    unit_rect = pygame.Rect(total_rect.right + gap, baseline - unit_font.get_ascent(),
                            *unit_font.size(unit))
    return TotalPlace(size, total_rect, unit_rect)


def draw_identity(ink: Ink, worker: Worker, portrait: pygame.Surface) -> None:
    """The photo, the name (one line, or two, never below 24 px) and the worker's code."""
    x, y = LEFT.x + PAD, LEFT.y + 16
    ink.blit(portrait, (x, y), role="photo")
    name_x = x + PHOTO + 16
    width = LEFT.right - PAD - name_x
    size = widgets.fit_size(worker.name, NAME_SIZES[0], width, NAME_SIZES[1])
    if fonts.font(size).size(worker.name)[0] <= width:
        rect = ink.text(worker.name, size, (name_x, y + 2), role="name")
    else:
        rect, _ = ink.paragraph(worker.name, NAME_WRAPPED, (name_x, y), width, 2, role="name")
    ink.text(worker.code, 22, (name_x, rect.bottom + 2), theme.MUTED, max_width=width,
             role="code")


def draw_waiting(ink: Ink, text: str) -> None:
    x, y = LEFT.x + PAD, LEFT.y + 150
    ink.paragraph(text, 36, (x, y), LEFT.width - 2 * PAD, 4, theme.MUTED, role="status")


def draw_total(ink: Ink, lang: str, card: Scorecard) -> TotalPlace:
    place = place_total(number(card.total), t(lang, "card.points"))
    ink.text(number(card.total), place.size, place.total.topleft, role="total")
    ink.text(t(lang, "card.points"), UNIT_SIZE, place.unit.topleft, theme.MUTED, role="unit")
    return place


STATUS_H = 36


def draw_progress(ink: Ink, lang: str, card: Scorecard, status_lines: int = 0) -> None:
    """Stars and tier, the bar to the next tier, then today and "at this pace", and the
    rank when it is sent (above the ``status_lines`` at the foot; with three of them the
    rank gives way, it is spoken)."""
    x, width = LEFT.x + PAD, LEFT.width - 2 * PAD
    y = TOTAL_BASELINE + 18
    placed = card.rank is not None or bool(card.tier)  # no data, no rank: no stars
    if placed:
        widgets.stars(ink.surface, (x, y), card.stars(card.tier), size=48)
    if card.tier:
        ink.text(tier_name(lang, card.tier, card), 30, (x + 170, y + 6), max_width=width - 170,
                 role="tier")
    bar = pygame.Rect(x, y + 62, width, 24)
    if card.next_tier and card.points_needed is not None:
        fraction = card.total / max(card.total + card.points_needed, 1e-9)
        widgets.progress_bar(ink.surface, bar, fraction)
        note = t(lang, "card.next_tier", points=number(card.points_needed),
                 tier=tier_name(lang, card.next_tier, card))
    else:
        if placed:
            widgets.progress_bar(ink.surface, bar, 1.0 if card.tier else 0.0, theme.STAR)
        note = t(lang, "card.top_tier") if card.tier else ""
    if note:
        ink.text(note, 28, (x, bar.bottom + 6), max_width=width, min_size=MIN_TEXT,
                 role="next_tier")
    y = bar.bottom + 46
    today = []
    if card.today_points is not None:
        today.append(t(lang, "card.today", points=number(card.today_points)))
    if card.projected_total is not None:
        today.append(t(lang, "card.pace", total=number(card.projected_total)))
    if today:
        ink.text(" · ".join(today), 28, (x, y), theme.GOOD if card.today_points else theme.INK,
                 max_width=width, min_size=MIN_TEXT, role="today")
    status_top = LEFT.bottom - 12 - status_lines * STATUS_H
    if card.rank is not None and y + 40 + 36 <= status_top:
        ink.text(t(lang, "card.rank", rank=card.rank, of=card.rank_of or "?"), 30,
                 (x, y + 40), max_width=width, min_size=MIN_TEXT, role="rank")


def status_notes(lang: str, card: Scorecard, offline_since: float | None
                 ) -> list[tuple[str, str, tuple[int, int, int]]]:
    """What the card is, at the panel's foot: taken from the cache while the server cannot
    be reached ("as of"), changed here and not yet confirmed, or incomplete. Online a card
    is never called an earlier one."""
    notes: list[tuple[str, str, tuple[int, int, int]]] = []
    if offline_since is not None:
        when = time.strftime("%m-%d %H:%M", time.localtime(offline_since))
        notes.append(("offline", t(lang, "card.as_of", time=when), theme.BAD))
    if card.unconfirmed:
        notes.append((UNCONFIRMED_ICON, t(lang, "card.unconfirmed"), theme.BAD))
    if not card.complete:
        notes.append(("unknown", t(lang, "card.incomplete"), theme.INK))
    return notes


def draw_status(ink: Ink, notes: list[tuple[str, str, tuple[int, int, int]]]) -> None:
    x, width = LEFT.x + PAD, LEFT.width - 2 * PAD
    y = LEFT.bottom - 12 - len(notes) * STATUS_H
    for icon, text, color in notes:
        ink.blit(icons.pictogram(icon, 32, color), (x, y), role=f"status:{icon}")
        ink.text(text, 26, (x + 42, y + 1), color, max_width=width - 42, min_size=MIN_TEXT,
                 role="status")
        y += STATUS_H


UNCONFIRMED_ICON = "not_my_shift"  # a clock: waiting for the server's word
