"""The window: a 1280x800 canvas the scenes draw on, shown as it is in a window or scaled
(aspect kept, smoothed, letterboxed) to a full screen of any size.

Scaling is done here in software rather than by SDL's renderer: on kiosk boards without a
GPU, SDL's OpenGL path is Mesa's llvmpipe, which costs ~100 MB and more time per frame
than plain shared-memory blits. Set SDL_FRAMEBUFFER_ACCELERATION=1 to use a GPU anyway.
"""

from __future__ import annotations

import logging
import os
import warnings

import pygame

from kiosk.config import LOGICAL_SIZE
from kiosk.logs import log_event

logger = logging.getLogger(__name__)


class Window:
    def __init__(self, display: pygame.Surface) -> None:
        self.display = display
        size = display.get_size()
        if size == LOGICAL_SIZE:
            self.canvas = display
            self.target = display.get_rect()
        else:
            self.canvas = pygame.Surface(LOGICAL_SIZE).convert()
            scale = min(size[0] / LOGICAL_SIZE[0], size[1] / LOGICAL_SIZE[1])
            self.target = pygame.Rect(0, 0, round(LOGICAL_SIZE[0] * scale),
                                      round(LOGICAL_SIZE[1] * scale))
            self.target.center = display.get_rect().center

    @property
    def scaled(self) -> bool:
        return self.canvas is not self.display

    def present(self) -> None:
        if self.scaled:
            pygame.transform.smoothscale(self.canvas, self.target.size,
                                         self.display.subsurface(self.target))
        pygame.display.flip()

    def to_canvas(self, pos: tuple[float, float]) -> tuple[int, int]:
        """A point on the display (pixels) as a point on the canvas."""
        x = (pos[0] - self.target.x) * LOGICAL_SIZE[0] / self.target.width
        y = (pos[1] - self.target.y) * LOGICAL_SIZE[1] / self.target.height
        return round(x), round(y)

    def finger_to_canvas(self, x: float, y: float) -> tuple[int, int]:
        """A finger position (0..1 of the display) as a point on the canvas."""
        width, height = self.display.get_size()
        return self.to_canvas((x * width, y * height))


def open_window(fullscreen: bool) -> Window:
    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    pygame.display.init()
    pygame.font.init()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if fullscreen:
            display = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            display = pygame.display.set_mode(LOGICAL_SIZE)
    for warning in caught:
        log_event(logger, "display", logging.WARNING, message=str(warning.message))
    pygame.display.set_caption("Shopfloor Kiosk")
    pygame.mouse.set_visible(not fullscreen)
    pygame.key.start_text_input()
    window = Window(display)
    log_event(logger, "display", size=list(display.get_size()), scaled=window.scaled,
              driver=pygame.display.get_driver())
    return window
