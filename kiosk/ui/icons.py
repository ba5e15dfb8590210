"""The project's own pictograms, drawn in code in one style: thick rounded strokes, flat
fills, a 100x100 design grid drawn at twice the size and smoothed down.

``python -m kiosk.ui.icons [DIR [SERVER_DIR]]`` writes every pictogram as a PNG (the copies
in assets/pictograms/ were made this way) and the ones HR picks from (``PICTOGRAM_NAMES``)
at 96 px to server/static/pictograms/, where the admin's picker shows them.

``pictogram(name, size)`` draws a category's, reward's or reason's picture (``other`` for a
name this kiosk does not know: a newer server may send one); ``dimension_pictogram(key,
size)`` a scorecard dimension's (a bar chart for a metric it has no picture of).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import pygame

from kiosk.ui import theme

Color = tuple[int, ...]
SUPERSAMPLE = 2
CLEAR = (0, 0, 0, 0)  # drawing with it cuts a hole in the pictogram


class Pen:
    """Draws on a 100x100 grid scaled to the surface."""

    def __init__(self, surface: pygame.Surface, color: Color) -> None:
        self.s = surface
        self.k = surface.get_width() / 100
        self.color = color

    def p(self, x: float, y: float) -> tuple[int, int]:
        return round(x * self.k), round(y * self.k)

    def line(self, points: list[tuple[float, float]], width: float = 8, color: Color | None = None):
        c = color or self.color
        w = max(1, round(width * self.k))
        pts = [self.p(x, y) for x, y in points]
        pygame.draw.lines(self.s, c, False, pts, w)
        for pt in pts:
            pygame.draw.circle(self.s, c, pt, w // 2)

    def circle(self, x: float, y: float, r: float, color: Color | None = None, width: float = 0):
        pygame.draw.circle(self.s, color or self.color, self.p(x, y), round(r * self.k),
                           round(width * self.k))

    def rect(self, x: float, y: float, w: float, h: float, color: Color | None = None,
             width: float = 0, radius: float = 6):
        r = pygame.Rect(*self.p(x, y), round(w * self.k), round(h * self.k))
        pygame.draw.rect(self.s, color or self.color, r, round(width * self.k),
                         border_radius=round(radius * self.k))

    def poly(self, points: list[tuple[float, float]], color: Color | None = None):
        pygame.draw.polygon(self.s, color or self.color, [self.p(x, y) for x, y in points])


def _sun(p: Pen) -> None:
    for i in range(8):
        a = i * math.pi / 4
        p.line([(50 + 30 * math.cos(a), 50 + 30 * math.sin(a)),
                (50 + 42 * math.cos(a), 50 + 42 * math.sin(a))], 7, theme.SUN)
    p.circle(50, 50, 22, theme.SUN)


def _cloud_shape(p: Pen, color: Color) -> None:
    p.circle(36, 56, 18, color)
    p.circle(56, 44, 22, color)
    p.circle(72, 60, 15, color)
    p.rect(20, 56, 66, 20, color, radius=10)


def _cloud(p: Pen) -> None:
    _cloud_shape(p, theme.CLOUD)
    for x in (34, 50, 66):
        p.line([(x, 82), (x - 4, 92)], 5, theme.PRIMARY)


def _star_points(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.45
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def _star(p: Pen) -> None:
    p.poly(_star_points(50, 54, 44))


def _person(p: Pen) -> None:
    p.circle(50, 32, 17)
    p.rect(22, 56, 56, 36, radius=18)


def _badge(p: Pen) -> None:
    p.rect(20, 30, 48, 64, radius=8)
    p.rect(30, 42, 28, 22, theme.PANEL, radius=4)
    p.rect(30, 72, 28, 6, theme.PANEL, radius=3)
    for r in (14, 24):
        pygame.draw.arc(p.s, p.color, pygame.Rect(*p.p(70 - r, 30 - r), *p.p(2 * r, 2 * r)),
                        -0.9, 0.9, round(6 * p.k))


def _machine(p: Pen) -> None:
    p.rect(10, 34, 62, 52, radius=6)
    p.rect(18, 42, 28, 18, theme.PANEL, radius=3)
    p.circle(60, 50, 6, theme.PANEL)
    p.rect(16, 86, 14, 8, radius=2)
    p.rect(52, 86, 14, 8, radius=2)


def _start(p: Pen) -> None:
    _machine(p)
    p.circle(76, 28, 20, theme.GOOD)
    p.poly([(70, 18), (70, 38), (86, 28)], theme.PANEL)


def _stop(p: Pen) -> None:
    _machine(p)
    p.circle(76, 28, 20, theme.BAD)
    p.rect(68, 20, 16, 16, theme.PANEL, radius=2)


def _fault(p: Pen) -> None:
    _machine(p)
    p.poly([(76, 6), (98, 46), (54, 46)], theme.WARN)
    p.line([(76, 20), (76, 32)], 6, theme.PANEL)
    p.circle(76, 39, 3.5, theme.PANEL)


def _output(p: Pen) -> None:
    for x, y in ((14, 56), (50, 56), (32, 22)):
        p.rect(x, y, 34, 34, radius=4)
        p.line([(x + 12, y + 4), (x + 22, y + 4)], 4, theme.PANEL)


def _defect(p: Pen) -> None:
    p.rect(16, 24, 56, 56, radius=6)
    p.line([(34, 24), (44, 44), (36, 58), (46, 80)], 6, theme.PANEL)
    p.circle(76, 72, 18, theme.BAD)
    p.line([(69, 65), (83, 79)], 6, theme.PANEL)
    p.line([(83, 65), (69, 79)], 6, theme.PANEL)


def _quality(p: Pen) -> None:
    p.circle(42, 42, 26, width=9)
    p.line([(62, 62), (88, 88)], 12)
    p.line([(42, 28), (42, 44)], 7, theme.BAD)
    p.circle(42, 55, 4, theme.BAD)


def _log(p: Pen) -> None:
    p.rect(18, 14, 56, 76, radius=8)
    for y in (34, 50, 66):
        p.line([(30, y), (60, y)], 5, theme.PANEL)
    p.poly([(70, 40), (84, 54), (58, 82), (44, 84), (46, 68)], theme.WARN)


def _claim(p: Pen) -> None:
    p.poly([(30, 10), (44, 10), (54, 40), (40, 40)], theme.PRIMARY)
    p.poly([(70, 10), (56, 10), (46, 40), (60, 40)], theme.BAD)
    p.circle(50, 64, 28, theme.STAR)
    p.poly(_star_points(50, 65, 18), theme.PANEL)


def _supervisor(p: Pen) -> None:
    _person(p)
    p.rect(26, 10, 48, 14, radius=6)
    p.poly(_star_points(50, 74, 11), theme.STAR)


def _exit(p: Pen) -> None:
    p.rect(14, 12, 44, 76, width=8, radius=4)
    p.line([(44, 50), (90, 50)], 9)
    p.line([(74, 34), (90, 50), (74, 66)], 9)


def _back(p: Pen) -> None:
    p.line([(86, 50), (18, 50)], 10)
    p.line([(42, 26), (18, 50), (42, 74)], 10)


def _check(p: Pen) -> None:
    p.line([(16, 52), (40, 76), (86, 26)], 13)


def _cross(p: Pen) -> None:
    p.line([(22, 22), (78, 78)], 13)
    p.line([(78, 22), (22, 78)], 13)


def _appeal(p: Pen) -> None:
    p.rect(10, 12, 80, 58, radius=14)
    p.poly([(26, 64), (44, 64), (22, 90)])
    p.line([(38, 32), (44, 24), (56, 24), (62, 32), (50, 44), (50, 50)], 7, theme.PANEL)
    p.circle(50, 60, 4, theme.PANEL)


def _chart_wrong(p: Pen) -> None:
    for i, h in enumerate((30, 50, 40, 64)):
        p.rect(12 + i * 18, 88 - h, 12, h, radius=2)
    p.circle(76, 28, 20, theme.BAD)
    p.line([(68, 20), (84, 36)], 6, theme.PANEL)
    p.line([(84, 20), (68, 36)], 6, theme.PANEL)


def _wrench(p: Pen) -> None:
    p.line([(24, 76), (62, 38)], 14)
    p.circle(68, 32, 20)
    p.circle(72, 28, 8, CLEAR)
    p.poly([(70, 26), (82, 8), (96, 22), (78, 34)], CLEAR)


def _clock(p: Pen) -> None:
    p.circle(50, 50, 40, width=9)
    p.line([(50, 24), (50, 50), (68, 62)], 8)


def _training(p: Pen) -> None:
    p.rect(8, 18, 84, 58, radius=8)
    p.poly([(42, 32), (42, 62), (66, 47)], theme.PANEL)
    p.rect(34, 80, 32, 8, radius=3)


def _dots(p: Pen) -> None:
    for x in (22, 50, 78):
        p.circle(x, 50, 10)


def _camera(p: Pen) -> None:
    p.rect(8, 28, 84, 56, radius=10)
    p.rect(32, 18, 36, 14, radius=4)
    p.circle(50, 56, 18, theme.PANEL)
    p.circle(50, 56, 10)


def _qr(p: Pen) -> None:
    for x, y in ((10, 10), (62, 10), (10, 62)):
        p.rect(x, y, 28, 28, width=7, radius=2)
        p.rect(x + 9, y + 9, 10, 10, radius=1)
    for x, y in ((62, 62), (78, 62), (62, 78), (80, 80), (46, 46), (46, 14), (14, 46)):
        p.rect(x, y, 10, 10, radius=1)


def _unknown(p: Pen) -> None:
    p.rect(14, 16, 56, 74, radius=8)
    p.circle(72, 34, 24, theme.BAD)
    p.line([(63, 28), (68, 21), (77, 21), (81, 28), (72, 36), (72, 41)], 5, theme.PANEL)
    p.circle(72, 48, 3, theme.PANEL)


def _gauge(p: Pen) -> None:
    pygame.draw.arc(p.s, p.color, pygame.Rect(*p.p(10, 18), *p.p(80, 80)),
                    0, math.pi, round(10 * p.k))
    p.line([(50, 58), (72, 34)], 8)
    p.circle(50, 58, 8)
    p.rect(10, 70, 80, 10, radius=4)


def _calendar(p: Pen) -> None:
    p.rect(10, 18, 80, 72, width=8, radius=8)
    p.rect(10, 18, 80, 20, radius=6)
    for x in (30, 70):
        p.line([(x, 10), (x, 24)], 8)
    p.line([(30, 62), (44, 74), (70, 50)], 8, theme.GOOD)


def _chart(p: Pen) -> None:
    for i, h in enumerate((30, 50, 40, 64)):
        p.rect(12 + i * 20, 88 - h, 14, h, radius=2)
    p.line([(8, 92), (92, 92)], 5)


def _medal(p: Pen) -> None:
    _claim(p)


def _growth(p: Pen) -> None:
    """Three rising bars and an arrow up to the right: my growth."""
    for i, height in enumerate((26, 42, 58)):
        p.rect(12 + i * 24, 88 - height, 18, height, radius=3)
    p.line([(14, 44), (44, 26), (82, 12)], 7)
    p.poly([(88, 8), (68, 8), (84, 26)])


def _offline(p: Pen) -> None:
    _cloud_shape(p, p.color)
    p.line([(18, 18), (84, 88)], 9, theme.OFFLINE)


def _backspace(p: Pen) -> None:
    p.poly([(8, 50), (32, 20), (92, 20), (92, 80), (32, 80)])
    p.line([(46, 36), (74, 64)], 8, theme.PANEL)
    p.line([(74, 36), (46, 64)], 8, theme.PANEL)


def _users(p: Pen) -> None:
    p.circle(34, 36, 13)
    p.rect(14, 54, 40, 30, radius=14)
    p.circle(66, 30, 15)
    p.rect(44, 50, 46, 38, radius=16)


def _play(p: Pen) -> None:
    p.poly([(28, 14), (28, 86), (84, 50)])


def _pause(p: Pen) -> None:
    p.rect(20, 14, 22, 72, radius=4)
    p.rect(58, 14, 22, 72, radius=4)


def _rewind(p: Pen) -> None:
    p.poly([(48, 20), (48, 80), (8, 50)])
    p.poly([(90, 20), (90, 80), (50, 50)])


def _download(p: Pen) -> None:
    p.line([(50, 10), (50, 62)], 12)
    p.poly([(24, 44), (76, 44), (50, 74)])
    p.rect(12, 80, 76, 10, radius=4)



def _coin(p: Pen) -> None:
    p.circle(50, 50, 44, theme.WARN)
    p.circle(50, 50, 38, theme.STAR)
    p.circle(50, 50, 30, theme.SUN, 4)
    p.poly(_star_points(50, 51, 20), theme.PANEL)


def _gift(p: Pen) -> None:
    p.rect(14, 44, 72, 46, theme.BAD, radius=6)
    p.rect(10, 30, 80, 18, theme.BAD, radius=5)
    p.rect(45, 30, 10, 60, theme.STAR, radius=0)
    p.poly([(50, 30), (28, 10), (22, 26)], theme.STAR)
    p.poly([(50, 30), (72, 10), (78, 26)], theme.STAR)


def _handover(p: Pen) -> None:
    p.rect(30, 14, 40, 34, theme.BAD, radius=5)
    p.rect(46, 14, 8, 34, theme.STAR, radius=0)
    p.poly([(8, 70), (30, 58), (60, 60), (62, 70), (40, 72)])
    p.poly([(8, 70), (40, 72), (86, 58), (92, 68), (44, 90), (8, 86)])


def _page_next(p: Pen) -> None:
    p.line([(34, 18), (68, 50), (34, 82)], 12)


def _page_prev(p: Pen) -> None:
    p.line([(66, 18), (32, 50), (66, 82)], 12)


def _undo(p: Pen) -> None:
    p.line([(30, 36), (62, 36), (78, 44), (84, 60), (78, 76), (62, 84), (40, 84)], 10)
    p.poly([(12, 36), (36, 16), (36, 56)])


def _lock(p: Pen) -> None:
    p.circle(50, 34, 25, width=11)
    p.rect(25, 34, 11, 16, radius=0)
    p.rect(64, 34, 11, 16, radius=0)
    p.rect(16, 44, 68, 48, radius=10)
    p.circle(50, 62, 8, CLEAR)
    p.rect(46, 62, 8, 16, CLEAR, radius=3)


# --- pictograms HR picks for categories, rewards and fault reasons ----------------------


def _helmet(p: Pen) -> None:
    pygame.draw.ellipse(p.s, p.color, pygame.Rect(*p.p(18, 24), *p.p(64, 70)))
    p.rect(18, 58, 64, 40, CLEAR, radius=0)
    p.rect(44, 18, 12, 22, radius=4)
    p.line([(32, 50), (34, 34)], 5, theme.PANEL)
    p.line([(68, 50), (66, 34)], 5, theme.PANEL)
    p.rect(8, 58, 84, 14, radius=6)
    p.line([(14, 65), (86, 65)], 3, theme.PANEL)


def _broom(p: Pen) -> None:
    p.line([(74, 8), (48, 56)], 9)
    p.poly([(34, 50), (64, 64), (58, 94), (14, 78)])
    for x0, x1 in ((26, 20), (36, 32), (46, 44)):
        p.line([(x0 + 6, 62), (x1 + 2, 84)], 3, theme.PANEL)
    for x, y, r in ((80, 82, 4), (90, 72, 3), (88, 90, 3)):
        p.circle(x, y, r)


def _lightbulb(p: Pen) -> None:
    p.circle(50, 40, 26, theme.STAR)
    p.poly([(34, 56), (66, 56), (60, 70), (40, 70)], theme.STAR)
    p.circle(50, 40, 26, width=6)
    p.rect(38, 70, 24, 8, radius=2)
    p.rect(40, 80, 20, 8, radius=3)
    p.line([(44, 52), (44, 42), (50, 48), (56, 42), (56, 52)], 4)
    for a in (-150, -110, -70, -30):
        r = math.radians(a)
        p.line([(50 + 34 * math.cos(r), 40 + 34 * math.sin(r)),
                (50 + 44 * math.cos(r), 40 + 44 * math.sin(r))], 5)


def _hand_help(p: Pen) -> None:
    p.circle(50, 24, 16, theme.BAD)
    p.poly([(50, 44), (34, 28), (50, 26), (66, 28)], theme.BAD)
    p.poly([(6, 66), (28, 56), (58, 58), (60, 68), (40, 70)])
    p.poly([(6, 66), (40, 70), (84, 56), (92, 66), (44, 90), (6, 86)])


def _cash(p: Pen) -> None:
    p.rect(16, 22, 76, 44, theme.GOOD, radius=5)
    p.rect(8, 32, 76, 44, theme.GOOD, radius=5)
    p.rect(14, 38, 64, 32, theme.PANEL, radius=3)
    p.circle(46, 54, 12, theme.GOOD)
    p.line([(41, 48), (46, 54), (51, 48)], 3, theme.PANEL)
    p.line([(46, 54), (46, 62)], 3, theme.PANEL)
    p.line([(41, 56), (51, 56)], 3, theme.PANEL)


def _rice_bowl(p: Pen) -> None:
    p.circle(36, 46, 14, theme.BAR_BG)
    p.circle(52, 42, 16, theme.BAR_BG)
    p.circle(66, 48, 12, theme.BAR_BG)
    for x, y in ((32, 42), (48, 36), (58, 44), (68, 46), (40, 50)):
        pygame.draw.ellipse(p.s, p.color, pygame.Rect(*p.p(x, y), *p.p(5, 3)))
    pygame.draw.arc(p.s, p.color, pygame.Rect(*p.p(20, 32), *p.p(64, 40)), math.pi, 2 * math.pi,
                    round(4 * p.k))
    p.poly([(10, 54), (90, 54), (80, 74), (64, 84), (36, 84), (20, 74)])
    p.rect(36, 84, 28, 8, radius=3)
    p.line([(58, 6), (84, 46)], 5)
    p.line([(70, 4), (90, 44)], 5)


def _movie_ticket(p: Pen) -> None:
    pts: list[tuple[float, float]] = [(8, 28), (92, 28), (92, 42), (86, 50), (92, 58),
                                      (92, 72), (8, 72), (8, 58), (14, 50), (8, 42)]
    p.poly(pts, theme.BAD)
    p.line([(66, 32), (66, 68)], 3, theme.PANEL)
    p.rect(20, 38, 36, 24, theme.PANEL, radius=3)
    p.poly([(32, 42), (32, 58), (46, 50)], theme.BAD)
    p.poly(_star_points(79, 51, 9), theme.PANEL)


def _phone_card(p: Pen) -> None:
    p.rect(26, 6, 48, 88, radius=9)
    p.rect(32, 16, 36, 60, theme.PANEL, radius=3)
    p.circle(50, 86, 4, theme.PANEL)
    p.line([(50, 58), (50, 30)], 7, theme.GOOD)
    p.line([(38, 42), (50, 30), (62, 42)], 7, theme.GOOD)


def _day_off(p: Pen) -> None:
    p.rect(10, 18, 80, 72, width=8, radius=8)
    p.rect(10, 18, 80, 20, radius=6)
    for x in (30, 70):
        p.line([(x, 10), (x, 24)], 8)
    p.circle(50, 64, 11, theme.SUN)
    for i in range(8):
        a = i * math.pi / 4
        p.line([(50 + 15 * math.cos(a), 64 + 15 * math.sin(a)),
                (50 + 21 * math.cos(a), 64 + 21 * math.sin(a))], 4, theme.SUN)


def _drink(p: Pen) -> None:
    p.poly([(22, 26), (78, 26), (70, 92), (30, 92)])
    p.poly([(28, 44), (72, 44), (67, 84), (33, 84)], theme.PRIMARY)
    p.rect(18, 18, 64, 10, radius=4)
    p.line([(56, 22), (66, 4), (80, 4)], 6)


def _gear(p: Pen, cx: float, cy: float, r: float, color: Color, teeth: int = 8,
          turn: float = 0) -> None:
    for i in range(teeth):
        a = turn + i * 2 * math.pi / teeth
        p.line([(cx + r * 0.8 * math.cos(a), cy + r * 0.8 * math.sin(a)),
                (cx + r * 1.15 * math.cos(a), cy + r * 1.15 * math.sin(a))], r * 0.45, color)
    p.circle(cx, cy, r, color)
    p.circle(cx, cy, r * 0.38, CLEAR)


def _gear_jam(p: Pen) -> None:
    _gear(p, 36, 40, 22, p.color)
    _gear(p, 68, 68, 18, p.color, turn=0.4)
    p.poly([(50, 42), (62, 36), (66, 50), (54, 56)], theme.BAD)
    p.circle(82, 20, 14, theme.BAD)
    p.line([(82, 12), (82, 21)], 5, theme.PANEL)
    p.circle(82, 27, 2.5, theme.PANEL)


def _no_power(p: Pen) -> None:
    p.rect(24, 30, 52, 50, radius=12)
    p.rect(34, 10, 8, 22, radius=2)
    p.rect(58, 10, 8, 22, radius=2)
    p.line([(50, 80), (50, 94)], 8)
    p.poly([(54, 38), (40, 58), (50, 58), (44, 74), (62, 50), (52, 50)], theme.PANEL)
    p.line([(12, 12), (88, 88)], 8, theme.BAD)


def _material_shortage(p: Pen) -> None:
    p.rect(8, 70, 84, 10, radius=2)
    for x in (14, 52):
        p.rect(x, 44, 34, 26, width=5, radius=3)
    p.rect(14, 44, 34, 26, radius=3)
    p.line([(58, 50), (80, 64)], 4, theme.MUTED)
    p.line([(80, 50), (58, 64)], 4, theme.MUTED)
    p.rect(10, 80, 10, 10, radius=2)
    p.rect(80, 80, 10, 10, radius=2)
    p.circle(76, 22, 16, theme.BAD)
    p.line([(68, 22), (84, 22)], 6, theme.PANEL)


def _part(p: Pen) -> None:
    """A machined part: a plate with a hole, the subject of the quality pictograms."""
    p.rect(10, 30, 62, 50, radius=4)
    p.circle(41, 55, 10, theme.PANEL)


def _burr(p: Pen) -> None:
    _part(p)
    p.poly([(72, 38), (90, 34), (76, 46), (92, 50), (76, 56), (88, 66), (72, 68)], theme.BAD)


def _leak(p: Pen) -> None:
    p.rect(6, 22, 52, 16, radius=3)
    p.rect(48, 14, 14, 32, radius=3)
    p.rect(58, 22, 36, 16, radius=3)
    for x, y, r in ((54, 58, 8), (44, 80, 6), (64, 84, 6)):
        p.circle(x, y, r, theme.PRIMARY)
        p.poly([(x - r * 0.9, y - r * 0.4), (x, y - r * 2.2), (x + r * 0.9, y - r * 0.4)],
               theme.PRIMARY)


def _scratch(p: Pen) -> None:
    _part(p)
    p.line([(16, 36), (66, 74)], 4, theme.PANEL)
    p.line([(22, 34), (70, 66)], 3, theme.PANEL)
    p.circle(80, 22, 14, theme.BAD)
    p.line([(73, 26), (87, 18)], 4, theme.PANEL)


def _size_wrong(p: Pen) -> None:
    p.rect(8, 54, 84, 22, radius=3)
    for i in range(9):
        x = 14 + i * 9
        p.line([(x, 54), (x, 62 if i % 2 else 68)], 3, theme.PANEL)
    p.line([(18, 30), (82, 30)], 5, theme.BAD)
    p.line([(28, 20), (18, 30), (28, 40)], 5, theme.BAD)
    p.line([(72, 20), (82, 30), (72, 40)], 5, theme.BAD)
    p.line([(44, 20), (56, 40)], 5, theme.BAD)
    p.line([(56, 20), (44, 40)], 5, theme.BAD)


def _overheat(p: Pen) -> None:
    p.circle(36, 76, 16)
    p.rect(28, 10, 16, 60, radius=8)
    p.rect(32, 14, 8, 56, theme.PANEL, radius=4)
    p.rect(32, 34, 8, 44, theme.BAD, radius=3)
    p.circle(36, 76, 11, theme.BAD)
    for y in (22, 44, 66):
        p.line([(62, y + 12), (68, y + 4), (62, y - 4), (68, y - 12)], 5, theme.BAD)
        p.line([(78, y + 12), (84, y + 4), (78, y - 4), (84, y - 12)], 5, theme.BAD)


ICONS: dict[str, Callable[[Pen], None]] = {
    "sun": _sun, "cloud": _cloud, "star": _star, "person": _person, "badge": _badge,
    "machine_start": _start, "machine_stop": _stop, "machine_fault": _fault,
    "machine": _machine, "output": _output, "defect": _defect, "quality_issue": _quality,
    "log": _log, "claim": _claim, "supervisor": _supervisor, "exit": _exit, "back": _back,
    "check": _check, "cross": _cross, "appeal": _appeal, "wrong_data": _chart_wrong,
    "machine_broken": _wrench, "not_my_shift": _clock, "training_done": _training,
    "other": _dots, "camera": _camera, "qr": _qr, "unknown": _unknown, "uptime": _gauge,
    "defect_rate": _defect, "training": _training, "attendance": _calendar,
    "points": _medal, "offline": _offline, "backspace": _backspace, "users": _users,
    "play": _play, "pause": _pause, "rewind": _rewind, "download": _download,
    "coin": _coin, "gift": _gift, "handover": _handover, "next": _page_next,
    "previous": _page_prev, "undo": _undo, "lock": _lock, "gauge_generic": _chart,
    # what HR picks from (PICTOGRAM_NAMES); some are the pictures above under a plain name
    "medal": _medal, "wrench": _wrench, "clock": _clock, "team": _users, "helmet": _helmet,
    "broom": _broom, "lightbulb": _lightbulb, "hand_help": _hand_help, "cash": _cash,
    "rice_bowl": _rice_bowl, "movie_ticket": _movie_ticket, "phone_card": _phone_card,
    "day_off": _day_off, "drink": _drink, "gear_jam": _gear_jam, "no_power": _no_power,
    "material_shortage": _material_shortage, "burr": _burr, "leak": _leak,
    "scratch": _scratch, "size_wrong": _size_wrong, "overheat": _overheat,
    "growth": _growth,
}


@lru_cache(maxsize=512)
def icon(name: str, size: int, color: Color = theme.INK) -> pygame.Surface:
    """The pictogram ``name`` as a ``size``-pixel square with transparency."""
    big = pygame.Surface((size * SUPERSAMPLE, size * SUPERSAMPLE), pygame.SRCALPHA)
    ICONS.get(name, _dots)(Pen(big, color))
    return pygame.transform.smoothscale(big, (size, size))


#: What HR picks from for a point category, a reward or a fault/quality reason (the
#: server's services/pictograms.PICTOGRAMS is the same list; a test keeps them equal).
PICTOGRAM_NAMES: tuple[str, ...] = (
    # deeds a remark or a claim is for
    "medal", "star", "helmet", "broom", "lightbulb", "wrench", "hand_help", "clock",
    "training_done", "team", "check", "output", "quality_issue",
    # rewards
    "gift", "cash", "coin", "rice_bowl", "movie_ticket", "phone_card", "day_off", "drink",
    # why a machine stopped or a part is bad
    "machine_fault", "gear_jam", "no_power", "material_shortage", "burr", "leak", "scratch",
    "size_wrong", "overheat", "defect", "other",
)

#: The picture of each scorecard dimension; unknown metric keys get ``DIMENSION_FALLBACK``.
DIMENSION_PICTOGRAMS: dict[str, str] = {
    "uptime": "uptime", "defect_rate": "defect_rate", "output": "output",
    "training": "training", "attendance": "attendance", "points": "points",
}
DIMENSION_FALLBACK = "gauge_generic"


def pictogram(name: str | None, size: int, color: Color = theme.INK) -> pygame.Surface:
    """The pictogram ``name`` (any name in ICONS; ``other`` for an unknown or empty one)."""
    return icon(name if name in ICONS else "other", size, color)


def dimension_pictogram(key: str, size: int, color: Color = theme.INK) -> pygame.Surface:
    """The picture of scorecard dimension ``key``; a neutral chart for a metric it does not know."""
    return icon(DIMENSION_PICTOGRAMS.get(key, DIMENSION_FALLBACK), size, color)


SERVER_STATIC = Path(__file__).resolve().parents[2] / "server" / "static" / "pictograms"
SERVER_SIZE = 96  # the admin's picker shows them at 48 CSS px: sharp on a 2x screen


def export(directory: Path, size: int = 256, names: Iterable[str] | None = None) -> list[Path]:
    """Write ``names`` (default: every pictogram) as ``size``-pixel PNGs to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(ICONS if names is None else names):
        path = directory / f"{name}.png"
        pygame.image.save(icon(name, size), str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    export(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/pictograms"))
    # the admin's picker: the pictures HR picks from, served from the server's static
    export(Path(sys.argv[2]) if len(sys.argv) > 2 else SERVER_STATIC, SERVER_SIZE,
           PICTOGRAM_NAMES)
