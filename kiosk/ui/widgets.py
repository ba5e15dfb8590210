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


# --- text that wraps and never shrinks -----------------------------------------------------
# A long worker name or HR's note is wrapped at one size and cut with "…" only past the
# lines it is given; `fit` (which shrinks) is for short labels only.
ELLIPSIS = "…"


def fit_size(value: str, size: int, width: int, min_size: int = 16) -> int:
    """The largest size up to ``size`` (and not below ``min_size``) at which ``value`` fits
    ``width`` pixels on one line."""
    while size > min_size and fonts.font(size).size(value)[0] > width:
        size -= 2
    return max(size, min_size)


def wrap(value: str, size: int, width: int) -> list[str]:
    """``value`` broken into lines no wider than ``width`` at ``size``: between words (any
    two CJK characters), never before a closing mark ("，" moves down with the character
    before it), and inside a word only when the word alone is wider than a line
    ("Oyelaran-Whitfield" in a narrow column)."""
    measure = fonts.font(size).size
    lines: list[str] = []
    for paragraph in value.splitlines() or [""]:
        line: list[str] = []
        for token in _tokens(paragraph, measure, width):
            if not line or measure("".join(line) + token.rstrip())[0] <= width:
                line.append(token)
                continue
            carried: list[str] = []
            if token[:1] in CLOSING and len(line) > 1 and not line[-1][-1:].isspace():
                carried = [line.pop()]
            lines.append("".join(line).rstrip())
            line = [piece for piece in [*carried, token] if piece.strip()]
        if "".join(line).strip():
            lines.append("".join(line).rstrip())
    return lines


# Punctuation a line must not start with (Chinese line breaking, 禁则).
CLOSING = set("，。、；：！？）》」』”’,.;:!?)]}…")


def _tokens(value: str, measure: Callable[[str], tuple[int, int]], width: int) -> list[str]:
    """Words (with the space after them), single CJK characters, and the pieces of a
    word too wide for a line."""
    tokens: list[str] = []
    word = ""
    for char in value:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            tokens.append(word)
            word = ""
        if char == " " and tokens:
            tokens[-1] += char
        else:
            tokens.append(char)
    if word:
        tokens.append(word)
    pieces: list[str] = []
    for token in tokens:
        while measure(token.rstrip())[0] > width and len(token.rstrip()) > 1:
            cut = len(token) - 1
            while cut > 1 and measure(token[:cut])[0] > width:
                cut -= 1
            pieces.append(token[:cut])
            token = token[cut:]
        pieces.append(token)
    return pieces


def clamp(value: str, size: int, width: int, max_lines: int) -> tuple[list[str], bool]:
    """The lines of ``value`` at ``size`` in ``width``, at most ``max_lines`` of them; the
    last ends with "…" when the text goes on. Returns the lines and whether it was cut."""
    lines = wrap(value, size, width)
    if len(lines) <= max_lines:
        return lines, False
    if max_lines <= 0:
        return [], True
    measure = fonts.font(size).size
    last = lines[max_lines - 1]
    while last and measure(last + ELLIPSIS)[0] > width:
        last = last[:-1]
    return [*lines[:max_lines - 1], last.rstrip() + ELLIPSIS], True


def text_width(value: str, size: int) -> int:
    return fonts.font(size).size(value)[0]


def line_height(size: int) -> int:
    """The distance from one line of wrapped text to the next at ``size``."""
    return fonts.font(size).get_linesize() + 2


@dataclass(frozen=True)
class Drawn:
    """A piece of text as it was drawn: its role ("total", "note", ...), text, size, place."""

    role: str
    value: str
    size: int
    rect: pygame.Rect


class Ink:
    """Draws text on ``surface`` and keeps a list of what it drew (``drawn``), so a test can
    check sizes and places. Made afresh for every frame: drawing changes no scene."""

    def __init__(self, surface: pygame.Surface) -> None:
        self.surface = surface
        self.drawn: list[Drawn] = []

    def text(self, value: str, size: int, pos: tuple[int, int],
             color: tuple[int, int, int] = theme.INK, anchor: str = "topleft",
             max_width: int | None = None, *, role: str = "", min_size: int = 16
             ) -> pygame.Rect:
        """One line; with ``max_width`` it shrinks to fit, down to ``min_size`` (and is cut
        with "…" when even that is too wide)."""
        if max_width:
            size = fit_size(value, size, max_width, min_size)
            if fonts.font(size).size(value)[0] > max_width:
                value = clamp(value, size, max_width, 1)[0][0] if value else value
        image = fonts.text(value, size, color)
        rect = image.get_rect(**{anchor: pos})
        self.surface.blit(image, rect)
        self.drawn.append(Drawn(role, value, size, rect))
        return rect

    def lines(self, lines: list[str], size: int, pos: tuple[int, int],
              color: tuple[int, int, int] = theme.INK, *, role: str = "",
              anchor: str = "topleft") -> pygame.Rect:
        """Lines already wrapped, one under the other; the rect they cover."""
        x, y = pos
        covered = pygame.Rect(x, y, 0, 0)
        for line in lines:
            image = fonts.text(line, size, color)
            rect = image.get_rect(**{anchor: (x, y)})
            self.surface.blit(image, rect)
            self.drawn.append(Drawn(role, line, size, rect))
            covered = covered.union(rect) if covered.size != (0, 0) else rect
            y += line_height(size)
        return covered

    def paragraph(self, value: str, size: int, pos: tuple[int, int], width: int,
                  max_lines: int, color: tuple[int, int, int] = theme.INK, *,
                  role: str = "") -> tuple[pygame.Rect, bool]:
        """``value`` wrapped at ``size`` (never smaller) in at most ``max_lines`` lines, cut
        with "…" past them; the rect covered and whether it was cut."""
        shown, cut = clamp(value, size, width, max_lines)
        return self.lines(shown, size, pos, color, role=role), cut

    def blit(self, image: pygame.Surface, pos: tuple[int, int], *, role: str = "picture"
             ) -> pygame.Rect:
        rect = self.surface.blit(image, pos)
        self.drawn.append(Drawn(role, "", image.get_height(), rect))
        return rect
