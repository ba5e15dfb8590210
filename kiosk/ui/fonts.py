"""The CJK font the kiosk draws every language with (WenQuanYi Micro Hei), with caches."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pygame
import pygame.freetype

from kiosk.errors import FontMissingError

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)


def font_path() -> Path:
    for path in FONT_PATHS:
        if path.is_file():
            return path
    raise FontMissingError(
        "the CJK font is missing: install the Debian package fonts-wqy-microhei "
        f"(looked for {', '.join(str(p) for p in FONT_PATHS)})"
    )


@lru_cache(maxsize=32)
def font(size: int) -> pygame.font.Font:
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame.font.Font(str(font_path()), size)


@lru_cache(maxsize=2048)
def text(value: str, size: int, color: tuple[int, int, int]) -> pygame.Surface:
    """A rendered line of text, cached: the same labels are drawn every frame."""
    return font(size).render(value, True, color)


def fit(value: str, size: int, color: tuple[int, int, int], width: int, min_size: int = 16):
    """The largest rendering of ``value`` up to ``size`` that fits ``width`` pixels."""
    while size > min_size and font(size).size(value)[0] > width:
        size -= 2
    return text(value, size, color)


def wrap(value: str, size: int, width: int) -> list[str]:
    """Break ``value`` into lines no wider than ``width``; CJK breaks between any characters."""
    f = font(size)
    lines: list[str] = []
    line = ""
    for token in _tokens(value):
        candidate = line + token
        if line and f.size(candidate.rstrip())[0] > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _tokens(value: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for char in value:
        if char.isascii() and not char.isspace():
            word += char
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(char)
    if word:
        tokens.append(word)
    return tokens


def missing_glyphs(value: str) -> set[str]:
    """Characters of ``value`` the font has no glyph for (they would draw as boxes)."""
    if not pygame.freetype.get_init():
        pygame.freetype.init()
    face = _freetype_face()
    metrics = face.get_metrics(value)
    return {char for char, metric in zip(value, metrics, strict=True) if metric is None}


@lru_cache(maxsize=1)
def _freetype_face() -> pygame.freetype.Font:
    return pygame.freetype.Font(str(font_path()), 24)
