"""Big touch widgets: picture buttons, grids, number pads, bars, stars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygame

from kiosk.ui import fonts, icons, theme

Action = Callable[[], None]


@dataclass
class Button:
    rect: pygame.Rect
    label: str
    action: Action
    icon: str | None = None
    color: tuple[int, int, int] = theme.PANEL
    ink: tuple[int, int, int] = theme.INK
    selected: bool = False
    name: str = ""
    image: pygame.Surface | None = None

    def hit(self, pos: tuple[int, int]) -> bool:
        return self.rect.collidepoint(pos)

    def draw(self, surface: pygame.Surface) -> None:
        fill = theme.SELECTED if self.selected else self.color
        pygame.draw.rect(surface, fill, self.rect, border_radius=18)
        border = theme.PRIMARY if self.selected else theme.LINE
        pygame.draw.rect(surface, border, self.rect, 4 if self.selected else 2, border_radius=18)
        label_size = 30 if self.rect.height >= 150 else 26
        label_h = fonts.font(label_size).get_height() if self.label else 0
        if self.icon or self.image:
            room = self.rect.height - label_h - 24
            size = max(24, min(room, self.rect.width - 24, 140))
            image = self.image or icons.icon(self.icon or "", size, self.ink)
            size = image.get_height()
            top = self.rect.y + (self.rect.height - size - label_h - 4) // 2
            surface.blit(image, (self.rect.centerx - size // 2, top))
            if self.label:
                text = fonts.fit(self.label, label_size, self.ink, self.rect.width - 16)
                surface.blit(text, text.get_rect(midtop=(self.rect.centerx, top + size + 4)))
        elif self.label:
            text = fonts.fit(self.label, 44 if len(self.label) <= 2 else label_size, self.ink,
                             self.rect.width - 16)
            surface.blit(text, text.get_rect(center=self.rect.center))


def grid(area: pygame.Rect, count: int, columns: int, gap: int = 20,
         row_height: int | None = None) -> list[pygame.Rect]:
    """``count`` cells laid out left to right, top to bottom, inside ``area``."""
    if count == 0:
        return []
    rows = -(-count // columns)
    w = (area.width - gap * (columns - 1)) // columns
    h = row_height or (area.height - gap * (rows - 1)) // rows
    return [
        pygame.Rect(area.x + (i % columns) * (w + gap), area.y + (i // columns) * (h + gap), w, h)
        for i in range(count)
    ]


def row(area: pygame.Rect, count: int, gap: int = 20) -> list[pygame.Rect]:
    return grid(area, count, max(count, 1), gap)


class NumberPad:
    """Digits 0-9, clear and backspace; ``value`` is what was typed (at most ``max_len``)."""

    def __init__(self, area: pygame.Rect, clear_label: str, max_len: int = 6,
                 *, strip_zero: bool = True) -> None:
        self.value = ""
        self.max_len = max_len
        self.strip_zero = strip_zero
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", clear_label, "0", ""]
        self.buttons: list[Button] = []
        for rect, label in zip(grid(area, 12, 3, gap=12), labels, strict=True):
            if label == "":
                self.buttons.append(Button(rect, "", self._backspace, icon="backspace",
                                           name="key:back"))
            elif label == clear_label:
                self.buttons.append(Button(rect, label, self._clear, name="key:clear"))
            else:
                self.buttons.append(Button(rect, label, self._digit(label), name=f"key:{label}"))

    def _digit(self, digit: str) -> Action:
        def press() -> None:
            if self.strip_zero and self.value == "0":
                self.value = digit
            elif len(self.value) < self.max_len:
                self.value += digit
        return press

    def _clear(self) -> None:
        self.value = ""

    def _backspace(self) -> None:
        self.value = self.value[:-1]


def progress_bar(surface: pygame.Surface, rect: pygame.Rect, fraction: float,
                 color: tuple[int, int, int] = theme.GOOD) -> None:
    pygame.draw.rect(surface, theme.BAR_BG, rect, border_radius=rect.height // 2)
    filled = rect.copy()
    filled.width = max(rect.height, round(rect.width * max(0.0, min(1.0, fraction))))
    if fraction > 0:
        pygame.draw.rect(surface, color, filled, border_radius=rect.height // 2)


def stars(surface: pygame.Surface, pos: tuple[int, int], lit: int, total: int = 3,
          size: int = 56) -> None:
    for i in range(total):
        color = theme.STAR if i < lit else theme.STAR_OFF
        surface.blit(icons.icon("star", size, color), (pos[0] + i * (size + 6), pos[1]))


def label(surface: pygame.Surface, value: str, size: int, pos: tuple[int, int],
          color: tuple[int, int, int] = theme.INK, anchor: str = "topleft",
          max_width: int | None = None) -> pygame.Rect:
    if max_width:
        image = fonts.fit(value, size, color, max_width)
    else:
        image = fonts.text(value, size, color)
    rect = image.get_rect(**{anchor: pos})
    surface.blit(image, rect)
    return rect


def panel(surface: pygame.Surface, rect: pygame.Rect, color=theme.PANEL) -> None:
    pygame.draw.rect(surface, color, rect, border_radius=18)


def text_block(surface: pygame.Surface, value: str, size: int, pos: tuple[int, int],
               width: int, max_lines: int = 2, color: tuple[int, int, int] = theme.INK,
               anchor: str = "topleft") -> int:
    """``value`` wrapped to ``width`` in at most ``max_lines`` lines, the last one cut with
    "…" when more would follow; ``anchor`` places each line at ``pos`` (``topleft`` or
    ``midtop``). Returns the y under the last line."""
    lines = fonts.wrap(value, size, width) or [""]
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and fonts.font(size).size(last + "…")[0] > width:
            last = last[:-1]
        lines = [*lines[:max_lines - 1], last.rstrip() + "…"]
    x, y = pos
    for line in lines:
        image = fonts.fit(line, size, color, width)
        surface.blit(image, image.get_rect(**{anchor: (x, y)}))
        y += image.get_height() + 2
    return y
