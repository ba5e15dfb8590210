"""Workers' photos from the store, drawn as circles; the person pictogram when there is none."""

from __future__ import annotations

import io
import logging

import pygame

from kiosk.store import Store
from kiosk.ui import icons, theme

logger = logging.getLogger(__name__)


class PhotoBook:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[tuple[str, int], pygame.Surface] = {}

    def clear(self) -> None:
        self._cache.clear()

    def portrait(self, worker: str, size: int) -> pygame.Surface:
        """A round ``size``-pixel portrait of ``worker``."""
        key = (worker, size)
        if key not in self._cache:
            self._cache[key] = self._load(worker, size) or self._avatar(size)
        return self._cache[key]

    def _load(self, worker: str, size: int) -> pygame.Surface | None:
        cached = self.store.photo(worker)
        if cached is None:
            return None
        try:
            image = pygame.image.load(io.BytesIO(cached[1]))
        except pygame.error as exc:
            logger.warning("unreadable photo for %s: %s", worker, exc)
            return None
        side = min(image.get_size())
        square = image.subsurface(pygame.Rect((image.get_width() - side) // 2,
                                              (image.get_height() - side) // 2, side, side))
        round_ = pygame.Surface((size, size), pygame.SRCALPHA)
        round_.blit(pygame.transform.smoothscale(square, (size, size)), (0, 0))
        mask = pygame.Surface((size, size), pygame.SRCALPHA)
        pygame.draw.circle(mask, (255, 255, 255, 255), (size // 2, size // 2), size // 2)
        round_.blit(mask, (0, 0), special_flags=pygame.BLEND_RGBA_MIN)
        return round_

    def _avatar(self, size: int) -> pygame.Surface:
        avatar = pygame.Surface((size, size), pygame.SRCALPHA)
        pygame.draw.circle(avatar, theme.BAR_BG, (size // 2, size // 2), size // 2)
        inner = round(size * 0.72)
        avatar.blit(icons.icon("person", inner, theme.PRIMARY),
                    ((size - inner) // 2, (size - inner) // 2))
        return avatar
