"""The project's own pictograms, drawn in code in one style: thick rounded strokes, flat
fills, a 100x100 design grid drawn at twice the size and smoothed down.

``python -m kiosk.ui.icons DIR`` writes every pictogram as a PNG (the copies in
assets/pictograms/ were made this way).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
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
    p.line([(76, 20), (76, 32)], 6, theme.INK)
    p.circle(76, 39, 3.5, theme.INK)


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
    "previous": _page_prev, "undo": _undo, "lock": _lock, "growth": _growth,
}


@lru_cache(maxsize=512)
def icon(name: str, size: int, color: Color = theme.INK) -> pygame.Surface:
    """The pictogram ``name`` as a ``size``-pixel square with transparency."""
    big = pygame.Surface((size * SUPERSAMPLE, size * SUPERSAMPLE), pygame.SRCALPHA)
    ICONS.get(name, _dots)(Pen(big, color))
    return pygame.transform.smoothscale(big, (size, size))


def export(directory: Path, size: int = 256) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(ICONS):
        path = directory / f"{name}.png"
        pygame.image.save(icon(name, size), str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    export(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/pictograms"))
