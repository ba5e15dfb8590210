"""QR codes: a USB scanner that types like a keyboard, and optionally a camera.

The keyboard wedge needs no text field: :class:`WedgeDecoder` watches every TEXTINPUT
event in any scene and turns a fast burst ended by Return into one scanned string.
:class:`CameraScanner` decodes the frames of the camera's one owner
(kiosk/hardware/camera.py: it never opens the device itself) with zxing-cpp, restricted
to QR codes, on a thread of its own so decoding never holds up the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pygame

from kiosk import events
from kiosk.hardware.camera import Camera, Frame

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


def decode_qr(image: Any) -> list[str]:
    """QR texts in a PIL image (or anything zxing-cpp reads)."""
    import zxingcpp

    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in zxingcpp.read_barcodes(image, formats=qr_only)]


class Repeats:
    """Each text once, until it has been out of view for ``repeat_s``: a badge held up
    to the camera is one badge."""

    def __init__(self, repeat_s: float = REPEAT_S) -> None:
        self.repeat_s = repeat_s
        self._last_seen: dict[str, float] = {}

    def fresh(self, text: str, now: float) -> bool:
        last = self._last_seen.get(text)
        self._last_seen[text] = now
        for gone in [t for t, seen in self._last_seen.items() if now - seen > self.repeat_s]:
            del self._last_seen[gone]
        return last is None or now - last >= self.repeat_s


def post_scan(text: str) -> None:
    events.post(events.BADGE, credential=events.qr_credential(text), kind="qr", reader="camera",
                seen_at=time.perf_counter(), text=text)


class CameraScanner:
    """Reads QR codes from a :class:`~kiosk.hardware.camera.Camera`'s shared stream: every
    ``every``-th frame, and only the newest (frames that come while one is decoded are
    skipped). Each code is reported once until it has been out of view for REPEAT_S."""

    def __init__(self, camera: Camera, on_text: Callable[[str], None] = post_scan,
                 *, every: int = 3) -> None:
        self.camera = camera
        self.every = every
        self._on_text = on_text
        self._stop = threading.Event()
        self._ready = threading.Condition()
        self._frame: Frame | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-qr-camera", daemon=True)
        self._thread.start()
        self._unsubscribe = self.camera.subscribe(self._offer)

    def stop(self, timeout: float = 5.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        with self._ready:
            self._ready.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _offer(self, frame: Frame) -> None:
        """On the camera's thread: keep the frame for the decoder, never wait for it."""
        if frame.seq % self.every:
            return
        with self._ready:
            self._frame = frame
            self._ready.notify()

    def _run(self) -> None:
        repeats = Repeats()
        while not self._stop.is_set():
            with self._ready:
                while self._frame is None and not self._stop.is_set():
                    self._ready.wait()
                frame, self._frame = self._frame, None
            if frame is None:
                return
            try:
                for text in decode_qr(frame.image("L")):
                    if repeats.fresh(text, time.monotonic()):
                        self._on_text(text)
            except Exception:  # one bad frame or callback never ends the scanning
                logger.exception("QR decoding failed on a camera frame")
