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
from kiosk.errors import HardwareError
from kiosk.logs import log_event
from kiosk.ui.video_drivers import candidates

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
    display = open_display(fullscreen)
    pygame.font.init()
    pygame.display.set_caption("Shopfloor Kiosk")
    pygame.mouse.set_visible(not fullscreen)
    pygame.key.start_text_input()
    window = Window(display)
    log_event(logger, "display", size=list(display.get_size()), scaled=window.scaled,
              driver=pygame.display.get_driver())
    return window


def open_display(fullscreen: bool) -> pygame.Surface:
    """The screen, from the first SDL video driver that opens it (kiosk/ui/video_drivers.py).

    A driver that fails is logged and the next is tried; when none works, HardwareError
    names each failure, so `shopfloor-kiosk run` exits non-zero with it and systemd starts
    the kiosk again, rather than the kiosk leaving a blank screen without a word.
    """
    # Already open (a test's second window), SDL keeps the driver it chose.
    already = pygame.display.get_init()
    drivers = [pygame.display.get_driver()] if already else candidates(os.environ)
    failed: dict[str, str] = {}
    for number, driver in enumerate(drivers, 1):
        os.environ["SDL_VIDEODRIVER"] = driver  # SDL reads it in display.init()
        try:
            pygame.display.init()
            display = _set_mode(fullscreen)
        except pygame.error as exc:
            pygame.display.quit()
            failed[driver] = str(exc) or type(exc).__name__
            log_event(logger, "video_driver_failed", logging.WARNING, driver=driver,
                      error=failed[driver],
                      next=drivers[number] if number < len(drivers) else None)
            continue
        log_event(logger, "video_driver", driver=driver, failed=failed)
        return display
    log_event(logger, "video_driver_none", logging.ERROR, failed=failed)
    raise HardwareError("no SDL video driver could open the kiosk's window: "
                        + "; ".join(f"{driver}: {error}" for driver, error in failed.items()))


def _set_mode(fullscreen: bool) -> pygame.Surface:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if fullscreen:
            display = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            display = pygame.display.set_mode(LOGICAL_SIZE)
    for warning in caught:
        log_event(logger, "display", logging.WARNING, message=str(warning.message))
    return display
