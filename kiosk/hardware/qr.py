"""QR codes: a USB scanner that types like a keyboard, and optionally a camera.

The keyboard wedge needs no text field: :class:`WedgeDecoder` watches every TEXTINPUT
event in any scene and turns a fast burst ended by Return into one scanned string.
:class:`CameraScanner` reads frames with PyAV (a V4L2 device, or in tests a video file)
and decodes them with zxing-cpp, restricted to QR codes.
"""

from __future__ import annotations

import glob
import io
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pygame

from kiosk import events
from kiosk.logs import log_event

logger = logging.getLogger(__name__)

MAX_GAP_S = 0.5
MIN_LENGTH = 4
REPEAT_S = 3.0


class WedgeDecoder:
    """Collects a scanner's keystrokes; ``feed`` returns the scanned text when Return ends it."""

    def __init__(self, max_gap_s: float = MAX_GAP_S, clock: Callable[[], float] = time.monotonic):
        self.max_gap_s = max_gap_s
        self._clock = clock
        self._buffer: list[str] = []
        self._last = 0.0

    def feed(self, event: pygame.event.Event) -> str | None:
        now = self._clock()
        if event.type == pygame.TEXTINPUT:
            if self._buffer and now - self._last > self.max_gap_s:
                self._buffer.clear()
            self._buffer.append(event.text)
            self._last = now
            return None
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            text = "".join(self._buffer)
            self._buffer.clear()
            if len(text) >= MIN_LENGTH and now - self._last <= self.max_gap_s:
                return text
        return None


def camera_devices() -> list[str]:
    return sorted(glob.glob("/dev/video*"))


def decode_qr(image: Any) -> list[str]:
    """QR texts in a PIL image (or anything zxing-cpp reads)."""
    import zxingcpp

    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in zxingcpp.read_barcodes(image, formats=qr_only)]


def frames(source: str, *, v4l2: bool, every: int = 1, mode: str = "L") -> Iterator[Any]:
    """PIL images from a camera (``v4l2=True``) or a video file, every ``every``-th frame."""
    import av

    options = {"framerate": "15", "video_size": "640x480"} if v4l2 else {}
    container = av.open(source, format="v4l2" if v4l2 else None, options=options)
    try:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == 0:
                yield frame.to_image().convert(mode)
    finally:
        container.close()


def snapshot(source: str, *, v4l2: bool = True) -> bytes | None:
    """One JPEG from the camera (or a video file), for a claim's photo."""
    for image in frames(source, v4l2=v4l2, mode="RGB"):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=80)
        return buffer.getvalue()
    return None


def scan_frames(images: Iterable[Any], on_text: Callable[[str], None], stop: threading.Event):
    """Decode each image; report each text once until it has been gone for REPEAT_S."""
    last_seen: dict[str, float] = {}
    for image in images:
        if stop.is_set():
            return
        now = time.monotonic()
        for text in decode_qr(image):
            if now - last_seen.get(text, -REPEAT_S) >= REPEAT_S:
                on_text(text)
            last_seen[text] = now


def post_scan(text: str) -> None:
    events.post(events.BADGE, credential=events.qr_credential(text), kind="qr", reader="camera",
                seen_at=time.perf_counter(), text=text)


class CameraScanner:
    """Scans QR codes from the first camera; start() does nothing when there is none."""

    def __init__(self, device: str | None = None, on_text: Callable[[str], None] = post_scan,
                 *, v4l2: bool = True) -> None:
        self.device = device
        self.v4l2 = v4l2
        self._on_text = on_text
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        device = self.device or next(iter(camera_devices()), None)
        if device is None:
            log_event(logger, "camera", available=False)
            return
        self._thread = threading.Thread(
            target=self._run, args=(device,), name="kiosk-camera", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self, device: str) -> None:
        log_event(logger, "camera", available=True, device=device)
        try:
            scan_frames(frames(device, v4l2=self.v4l2, every=3), self._on_text, self._stop)
        except Exception:
            logger.exception("camera scanning stopped")
