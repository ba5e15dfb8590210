"""Camera test helpers: recorded streams (H.264 clips made with PyAV) for the camera's one
owner to read through the same code path as a V4L2 device, an opener that counts opens
and refuses a second one like V4L2, and a still camera for scene tests."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pygame
import qrcode
from PIL import Image, ImageDraw

from kiosk.hardware import camera
from kiosk.hardware.camera import Frame

SIZE = (640, 480)
LABEL = "LOT-2026-11-0042 PN 55-1031"  # a product label's QR code: no one's badge


def qr_picture(text: str, size: int = 220) -> Image.Image:
    return qrcode.make(text).convert("RGB").resize((size, size), Image.NEAREST)


def workbench(label: str | None = LABEL, shade: int = 0) -> Image.Image:
    """What a kiosk's camera might see: a repaired machine part on a bench, and a
    product label with a QR code when ``label`` is given."""
    image = Image.new("RGB", SIZE, (120 + shade, 128 + shade, 120))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 340, 640, 480), fill=(92, 74, 58))  # the bench
    draw.rectangle((60, 150, 300, 350), fill=(70, 92, 120), outline=(30, 30, 30), width=4)
    draw.ellipse((110, 190, 250, 330), fill=(180, 184, 190), outline=(40, 40, 40), width=6)
    draw.ellipse((160, 240, 200, 280), fill=(60, 60, 60))
    draw.rectangle((300, 230, 380, 260), fill=(200, 160, 40))
    if label is not None:
        draw.rectangle((395, 95, 625, 345), fill=(250, 250, 250))
        image.paste(qr_picture(label, 210), (405, 105))
    return image


def record_stream(path: Path, pictures: Iterable[Image.Image], fps: int = 15) -> Path:
    """An H.264 MP4 of ``pictures``, one a frame: a recorded camera stream."""
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps)}
        for index, picture in enumerate(pictures):
            frame = av.VideoFrame.from_image(picture)
            frame.pts, frame.time_base = index, Fraction(1, fps)
            output.mux(stream.encode(frame))
        output.mux(stream.encode())
    return path


class Counted:
    """A container as the opener gave it; closing it tells the opener."""

    def __init__(self, inner: Any, on_close: Callable[[], None]) -> None:
        self._inner = inner
        self._on_close = on_close

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def close(self) -> None:
        self._on_close()
        self._inner.close()


class CountingOpener:
    """``camera.open_source`` that counts every open and, like a V4L2 device that is
    streaming, refuses a second open while one is still open ("Device or resource busy").
    ``fail`` (an exception, or a callable making one) makes the next opens fail instead."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.opens: list[str] = []
        self.open_now = 0
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, source: str, v4l2: bool) -> Any:
        with self._lock:
            self.opens.append(source)
            if self.fail is not None:
                raise self.fail
            if self.open_now:
                raise OSError(errno.EBUSY, "Device or resource busy", source)
            self.open_now += 1
        return Counted(camera.open_source(source, v4l2), self._closed)

    def _closed(self) -> None:
        with self._lock:
            self.open_now -= 1


class Unplugged:
    """A container whose device goes away after ``frames`` frames (ENODEV mid-stream)."""

    def __init__(self, inner: Any, frames: int) -> None:
        self._inner = inner
        self._frames = frames

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def decode(self, *args: Any, **kwargs: Any):
        for index, frame in enumerate(self._inner.decode(*args, **kwargs)):
            if index >= self._frames:
                raise OSError(errno.ENODEV, "No such device")
            yield frame

    def close(self) -> None:
        self._inner.close()


def wait_for(condition: Callable[[], object], timeout: float = 5.0,
             step: Callable[[], None] | None = None) -> None:
    """Wait until ``condition()`` holds, calling ``step`` (e.g. ``app.step``) meanwhile."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        if step is not None:
            step()
        time.sleep(0.02)


class StillCamera:
    """A camera that always shows one picture and answers a photo at once (a ``PHOTO``
    event): for scene tests that are not about the camera."""

    def __init__(self, picture: Image.Image | None = None) -> None:
        picture = picture or workbench()
        self.frame = Frame(1, picture.size, picture.convert("RGB").tobytes(), 0.0)
        self.photos = 0
        self.available = True

    def latest(self) -> Frame | None:
        return self.frame if self.available else None

    def take_photo(self) -> int | None:
        if not self.available:
            return None
        self.photos += 1
        pygame.event.post(pygame.event.Event(camera.PHOTO, request=self.photos,
                                             jpeg=self.frame.jpeg()))
        return self.photos
