"""QR input: the keyboard wedge, and the camera decode path on generated images and video."""

from __future__ import annotations

import threading
from pathlib import Path

import av
import pygame
import pytest
import qrcode
from PIL import Image

from kiosk.hardware.qr import CameraScanner, WedgeDecoder, decode_qr, frames, snapshot

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


def test_decode_video_frames(video):
    found = [decode_qr(image) for image in frames(str(video), v4l2=False)]
    assert sum(1 for texts in found if texts == [SECRET]) >= 10
    assert found[0] == []


def test_camera_scanner_reports_a_code_once(video):
    seen: list[str] = []
    done = threading.Event()
    scanner = CameraScanner(str(video), on_text=lambda text: (seen.append(text), done.set()),
                            v4l2=False)
    scanner.start()
    assert done.wait(10)
    scanner.stop()
    assert seen == [SECRET]


def test_snapshot_is_a_jpeg(video):
    data = snapshot(str(video), v4l2=False)
    assert data is not None and data[:2] == b"\xff\xd8"


def test_no_camera_means_no_thread(monkeypatch):
    monkeypatch.setattr("kiosk.hardware.qr.camera_devices", lambda: [])
    scanner = CameraScanner()
    scanner.start()
    assert scanner._thread is None
    scanner.stop()
