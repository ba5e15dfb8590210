"""QR input: the keyboard wedge, and the camera decode path on generated images and on a
recorded stream read by the camera's one owner."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import pygame
import pytest
import qrcode
from PIL import Image

from kiosk.hardware.camera import Camera
from kiosk.hardware.qr import CameraScanner, Repeats, WedgeDecoder, decode_qr

SECRET = "SF-QR-8d1c2e7a44"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def keys(decoder: WedgeDecoder, text: str, clock: Clock, gap: float = 0.005):
    result = None
    for char in text:
        clock.now += gap
        assert decoder.feed(pygame.event.Event(pygame.TEXTINPUT, text=char)) is None
    clock.now += gap
    result = decoder.feed(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN))
    return result


def test_wedge_burst_ended_by_return():
    clock = Clock()
    decoder = WedgeDecoder(clock=clock)
    assert keys(decoder, SECRET, clock) == SECRET
    assert keys(decoder, SECRET * 6, clock) == SECRET * 6


def test_wedge_ignores_slow_typing_and_stray_return():
    clock = Clock()
    decoder = WedgeDecoder(clock=clock)
    assert keys(decoder, "12345678", clock, gap=0.8) is None
    assert decoder.feed(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN)) is None
    assert keys(decoder, "ab", clock) is None


def qr_image(text: str, size: int = 300, angle: float = 0) -> Image.Image:
    image = qrcode.make(text).convert("RGB").resize((size, size))
    canvas = Image.new("RGB", (640, 480), (190, 190, 180))
    canvas.paste(image.rotate(angle, expand=False, fillcolor=(190, 190, 180)), (120, 80))
    return canvas


@pytest.mark.parametrize("angle", [0, 17, 90])
def test_decode_image(angle):
    assert decode_qr(qr_image(SECRET, angle=angle).convert("L")) == [SECRET]


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("qr") / "camera.mp4"
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=15)
    stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
    blank = Image.new("RGB", (640, 480), (90, 90, 90))
    for index in range(30):
        image = qr_image(SECRET, size=240 + index * 3) if 10 <= index < 25 else blank
        for packet in stream.encode(av.VideoFrame.from_image(image)):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


def test_decode_the_frames_of_a_recorded_stream(video):
    """Every frame the owner hands its subscribers, decoded: the code while it is in view."""
    found: list[list[str]] = []
    done = threading.Event()
    owner = Camera(str(video), v4l2=False, loop=False, retry_s=60)

    def decode(frame) -> None:
        found.append(decode_qr(frame.image("L")))
        if len(found) == 30:
            done.set()

    owner.subscribe(decode)
    owner.start()
    try:
        assert done.wait(10)
    finally:
        owner.stop()
    assert sum(1 for texts in found if texts == [SECRET]) >= 10
    assert found[0] == []


def test_camera_scanner_reports_a_code_once(video):
    seen: list[str] = []
    done = threading.Event()
    owner = Camera(str(video), v4l2=False, retry_s=60)
    scanner = CameraScanner(owner, on_text=lambda text: (seen.append(text), done.set()))
    owner.start()
    scanner.start()
    try:
        assert done.wait(10)
        time.sleep(0.5)
    finally:
        scanner.stop()
        owner.stop()
    assert seen == [SECRET]


def test_a_code_counts_again_once_it_was_out_of_view():
    repeats = Repeats(repeat_s=3.0)
    assert repeats.fresh("A", 10.0)
    assert not repeats.fresh("A", 11.0) and not repeats.fresh("A", 13.5)  # still in view
    assert repeats.fresh("B", 13.6)
    assert repeats.fresh("A", 17.0)  # gone 3.5 s


def test_a_scanner_without_frames_stops_at_once():
    owner = Camera(devices=lambda: [], retry_s=60)
    scanner = CameraScanner(owner)
    owner.start()
    scanner.start()
    started = time.monotonic()
    scanner.stop()
    owner.stop()
    assert time.monotonic() - started < 1


def test_a_card_number_typed_through_sdl_arrives_whole():
    """A card reader the kiosk could not grab types like a scanner: leading zeros and the
    Wiegand comma stay (the app then tells the card number from a QR secret)."""
    clock = Clock()
    decoder = WedgeDecoder(clock=clock)
    assert keys(decoder, "0013748911", clock) == "0013748911"
    assert keys(decoder, "111,27706", clock) == "111,27706"
