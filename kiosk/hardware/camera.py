"""One owner per camera: it opens the device once and shares its frames.

V4L2 lets one reader stream a device at a time: a second ``open`` of a camera that is
streaming fails ("Device or resource busy"). So :class:`Camera` is the only thing that
opens a camera. On its own thread it opens the device with PyAV (``format="v4l2"``; in
tests and demos a recorded video, through the same code), turns each decoded frame into
an immutable :class:`Frame` and hands it on:

- to every subscriber (:meth:`Camera.subscribe`): the QR scanner
  (kiosk/hardware/qr.py, ``CameraScanner``) decodes the shared stream;
- to the claim photo: :meth:`Camera.take_photo` asks for the *next* frame as a JPEG,
  answered on the camera's thread with a ``PHOTO`` event (``request``, ``jpeg``);
- to the preview: :meth:`Camera.latest` is the newest frame (a read of one immutable
  value under a lock, so the preview can show 15 frames a second without an event each).

A camera that cannot be opened (missing, busy) or fails mid-stream (unplugged, a driver
error, a recording that ends when it does not loop) is logged once per outage
(``camera``, ``available: false``, the reason), and tried again every ``retry_s``
seconds in the background; coming back is logged once too (``camera``,
``available: true``). While it is down, :attr:`Camera.available` is False,
:meth:`Camera.latest` is None and a photo asked for is answered with ``jpeg=None``. A
subscriber that raises is logged and never stops the stream.

A V4L2 device reports no end; a recorded stream (``v4l2=False``) plays at its own frame
rate and starts again at its end (``loop``), like a camera that never stops.
"""

from __future__ import annotations

import enum
import glob
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pygame

from kiosk import events
from kiosk.logs import log_event

logger = logging.getLogger(__name__)

RETRY_S = 3.0
V4L2_OPTIONS = {"framerate": "15", "video_size": "640x480"}
PHOTO_MAX_SIDE = 1024  # a claim's photo travels base64 in an event (the server takes 1 MB)
PHOTO_QUALITY = 85
MAX_PACE_S = 1.0  # a recorded stream's longest wait for its next frame

# ``request``: the number take_photo() returned; ``jpeg``: the photo, or None when the
# camera went down before a frame came.
PHOTO = pygame.event.custom_type()

# (source, v4l2) -> an open PyAV input container
Opener = Callable[[str, bool], Any]
FrameCallback = Callable[["Frame"], None]
PhotoCallback = Callable[[int, bytes | None], None]


class CameraState(enum.StrEnum):
    STARTING = "starting"  # started, no frame yet
    STREAMING = "streaming"
    UNAVAILABLE = "unavailable"  # missing, busy, lost; retried in the background


def camera_devices() -> list[str]:
    """The V4L2 device nodes, in order (a USB camera often adds a metadata node too)."""
    return sorted(glob.glob("/dev/video*"), key=lambda path: (len(path), path))


def open_source(source: str, v4l2: bool) -> Any:
    """Open a camera (``v4l2=True``) or a recorded video with PyAV: the one place a
    camera is opened."""
    import av

    if v4l2:
        return av.open(source, format="v4l2", options=dict(V4L2_OPTIONS))
    return av.open(source)


@dataclass(frozen=True)
class Frame:
    """One picture of the stream: RGB bytes, row after row; ``seq`` counts from 1 at start."""

    seq: int
    size: tuple[int, int]
    rgb: bytes = field(repr=False)
    at: float  # time.monotonic() when it was decoded

    def image(self, mode: str = "RGB") -> Any:  # -> PIL.Image.Image
        from PIL import Image

        image = Image.frombytes("RGB", self.size, self.rgb)
        return image if mode == "RGB" else image.convert(mode)

    def jpeg(self, quality: int = PHOTO_QUALITY, max_side: int = PHOTO_MAX_SIDE) -> bytes:
        image = self.image()
        if max(image.size) > max_side:
            image.thumbnail((max_side, max_side))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        return buffer.getvalue()


def post_photo(request: int, jpeg: bytes | None) -> None:
    events.post(PHOTO, request=request, jpeg=jpeg)


class Camera:
    """Owns one camera: ``device`` (e.g. ``/dev/video0``), or the first device node that
    opens when None; with ``v4l2=False`` a recorded video stands in for it."""

    def __init__(self, device: str | None = None, *, v4l2: bool = True,
                 loop: bool | None = None, opener: Opener = open_source,
                 retry_s: float = RETRY_S,
                 devices: Callable[[], list[str]] = camera_devices) -> None:
        self.device = device
        self.v4l2 = v4l2
        self.loop = (not v4l2) if loop is None else loop
        self.retry_s = retry_s
        self._opener = opener
        self._devices = devices
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = CameraState.STARTING
        self._latest: Frame | None = None
        self._seq = 0
        self._subscribers: list[FrameCallback] = []
        self._photos: list[tuple[int, PhotoCallback]] = []
        self._requests = 0
        self._down_logged = False
        self.source: str | None = None  # the device streaming now
        self.reason: str | None = None  # why it is unavailable

    # -- what the kiosk asks -----------------------------------------------------------

    @property
    def state(self) -> CameraState:
        return self._state

    @property
    def available(self) -> bool:
        return self._state is CameraState.STREAMING

    def latest(self) -> Frame | None:
        """The newest frame while the camera streams, else None."""
        with self._lock:
            return self._latest

    def subscribe(self, callback: FrameCallback) -> Callable[[], None]:
        """Call ``callback(frame)`` on the camera's thread for every frame (keep it short);
        returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
        return unsubscribe

    def take_photo(self, on_photo: PhotoCallback = post_photo) -> int | None:
        """Ask for the next frame as a JPEG: ``on_photo(request, jpeg)`` on the camera's
        thread (by default a ``PHOTO`` event); the request's number, or None (and no
        answer) when the camera is not streaming."""
        with self._lock:
            if self._state is not CameraState.STREAMING:
                return None
            self._requests += 1
            self._photos.append((self._requests, on_photo))
            return self._requests

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-camera", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # -- the camera's thread -------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            opened = self._open()
            if opened is None:
                self._stop.wait(self.retry_s)
                continue
            source, container = opened
            try:
                reason = self._stream(source, container)
            finally:
                _close(container)
            if self._stop.is_set():
                break
            self._down(source, reason)
            self._stop.wait(self.retry_s)
        with self._lock:
            self._state, self._latest = CameraState.UNAVAILABLE, None
        self.source, self.reason = None, "stopped"
        self._answer_photos(None)

    def _open(self) -> tuple[str, Any] | None:
        from av.error import FFmpegError

        candidates = [self.device] if self.device else self._devices()
        if not candidates:
            self._down(None, "no camera device")
            return None
        reasons = []
        for source in candidates:
            try:
                return source, self._opener(source, self.v4l2)
            except (OSError, FFmpegError) as exc:  # missing, busy, not a capture device
                reasons.append(f"{type(exc).__name__}: {exc}")
        self._down(",".join(candidates), "; ".join(reasons))
        return None

    def _stream(self, source: str, container: Any) -> str:
        """Decode and deliver until stopped, or the device fails; why it stopped."""
        from av.error import FFmpegError

        if not container.streams.video:
            return "no video stream"
        stream = container.streams.video[0]
        try:
            while not self._stop.is_set():
                for frame in self._paced(container.decode(stream)):
                    if self._stop.is_set():
                        return "stopped"
                    self._deliver(frame, source)
                if not self.loop:
                    return "the stream ended"
                container.seek(0)
        except (OSError, FFmpegError) as exc:  # unplugged (ENODEV), a driver's I/O error
            return f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug or a broken stream: never kill the thread
            logger.exception("camera stream failed")
            return f"{type(exc).__name__}: {exc}"
        return "stopped"

    def _paced(self, frames: Iterator[Any]) -> Iterator[Any]:
        """A recorded stream plays at its own rate; a device paces itself."""
        if self.v4l2:
            yield from frames
            return
        started, first = time.monotonic(), None
        for frame in frames:
            if frame.time is not None:
                first = frame.time if first is None else first
                delay = started + (frame.time - first) - time.monotonic()
                if delay > 0 and self._stop.wait(min(delay, MAX_PACE_S)):
                    return
            yield frame

    def _deliver(self, decoded: Any, source: str) -> None:
        image = decoded.to_image()
        if image.mode != "RGB":
            image = image.convert("RGB")
        rgb = image.tobytes()
        with self._lock:
            self._seq += 1
            frame = Frame(self._seq, image.size, rgb, time.monotonic())
            self._latest = frame
            back = self._state is not CameraState.STREAMING
            self._state = CameraState.STREAMING
            subscribers = list(self._subscribers)
            # photos asked for before this frame was out: a later one waits for the next
            photos, self._photos = self._photos, []
        if back:
            self.source, self.reason, self._down_logged = source, None, False
            log_event(logger, "camera", available=True, device=source,
                      size=f"{frame.size[0]}x{frame.size[1]}")
        for callback in subscribers:
            try:
                callback(frame)
            except Exception:
                logger.exception("a camera subscriber failed")
        self._answer(photos, frame)

    def _answer_photos(self, frame: Frame | None) -> None:
        with self._lock:
            photos, self._photos = self._photos, []
        self._answer(photos, frame)

    def _answer(self, photos: list[tuple[int, PhotoCallback]], frame: Frame | None) -> None:
        if not photos:
            return
        jpeg = frame.jpeg() if frame is not None else None
        for request, on_photo in photos:
            try:
                on_photo(request, jpeg)
            except Exception:
                logger.exception("a photo callback failed")

    def _down(self, source: str | None, reason: str) -> None:
        with self._lock:
            self._state = CameraState.UNAVAILABLE
            self._latest = None
        self.source, self.reason = None, reason
        self._answer_photos(None)
        if not self._down_logged:
            self._down_logged = True
            log_event(logger, "camera", logging.WARNING, available=False, device=source,
                      reason=reason, retry_s=self.retry_s)


def _close(container: Any) -> None:
    try:
        container.close()
    except Exception:  # closing a device that is gone may fail too; nothing to do
        logger.debug("closing the camera failed", exc_info=True)
