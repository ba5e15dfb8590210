"""One camera owner (kiosk/hardware/camera.py): the QR scanner and the claim photo share
one open of the camera, through the real code path, on a V4L2 loopback device where the
kernel offers one and otherwise on a recorded stream; a camera that is missing, busy or
unplugged shows a message and the kiosk carries on; QR codes that are no badge leave an
open card alone."""

from __future__ import annotations

import base64
import errno
import io
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pygame
import pytest
from camera_support import (
    LABEL,
    CountingOpener,
    StillCamera,
    Unplugged,
    record_stream,
    wait_for,
    workbench,
)
from kiosk_fakes import ALICE_QR, ZHANG_UID, card_credential, scorecard_json
from kiosk_support import badge, screenshot, tap_button
from PIL import Image, ImageChops, ImageStat

from kiosk import events
from kiosk.events import qr_credential
from kiosk.hardware import camera as camera_module
from kiosk.hardware.camera import Camera, CameraState, camera_devices
from kiosk.hardware.qr import CameraScanner, post_scan

ENROLMENT_CODE = "SFK1:https://10.0.0.5:8750:" + "ab" * 32 + ":K7Q2-M4XP"


@pytest.fixture(scope="module")
def stream(tmp_path_factory) -> Path:
    """Two seconds of a bench with a product label in view most of the time, then not."""
    path = tmp_path_factory.mktemp("camera") / "bench.mp4"
    return record_stream(path, [workbench(LABEL if i < 24 else None, shade=i) for i in range(30)])


@pytest.fixture
def av_opens(monkeypatch, stream) -> list[str]:
    """Every ``av.open`` of the camera's source in this process, whoever calls it: a photo
    that went round the owner (as ``qr.snapshot`` did) is counted here too."""
    opened: list[str] = []
    real_open = av.open

    def counting_open(file, *args, **kwargs):
        if str(file) == str(stream):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", counting_open)
    return opened


@pytest.fixture
def running(stream, av_opens) -> Iterator[tuple[Camera, CountingOpener, CameraScanner]]:
    """The camera's owner on the recorded stream, with the QR scanner subscribed (posting
    BADGE events as on a kiosk), both stopped after the test; ``av.open`` counted from
    before it starts."""
    opener = CountingOpener()
    owner = Camera(str(stream), v4l2=False, opener=opener, retry_s=0.1)
    scanner = CameraScanner(owner)
    owner.start()
    scanner.start()
    try:
        yield owner, opener, scanner
    finally:
        scanner.stop()
        owner.stop()


def camera_logs(caplog) -> list[dict]:
    return [dict(r.fields) for r in caplog.records
            if r.name == "kiosk.hardware.camera" and r.getMessage() == "camera"]


def photo_of(app) -> bytes:
    payload = next(item.payload for item in app.ctx.store.claim_batch(100)
                   if item.kind == "point_claim")
    return base64.b64decode(payload["photo_jpeg"])


def is_a_frame_of_the_stream(jpeg: bytes) -> bool:
    """The photo is one of the recorded stream's pictures (JPEG-close to one of them)."""
    photo = Image.open(io.BytesIO(jpeg)).convert("RGB")
    if photo.size != (640, 480):
        return False
    small = photo.resize((64, 48))
    for i in range(30):
        source = workbench(LABEL if i < 24 else None, shade=i).resize((64, 48))
        if sum(ImageStat.Stat(ImageChops.difference(small, source)).mean) / 3 < 6:
            return True
    return False


# -- one open -----------------------------------------------------------------------------


def test_one_open_serves_the_scanner_and_every_photo(stream, av_opens):
    """The scanner decodes the shared stream and three photos are its next frames: the
    device is opened once. Were a photo to open it again, V4L2 (and the counting opener,
    which refuses a second open like V4L2) would refuse, and both counts would be 2."""
    opener = CountingOpener()
    owner = Camera(str(stream), v4l2=False, opener=opener, retry_s=0.1)
    texts: list[str] = []
    scanner = CameraScanner(owner, on_text=texts.append)
    photos: list[tuple[int, bytes | None]] = []
    done = threading.Event()

    def got(request: int, jpeg: bytes | None) -> None:
        photos.append((request, jpeg))
        done.set()

    owner.start()
    scanner.start()
    try:
        wait_for(lambda: owner.available and texts)
        for _ in range(3):
            done.clear()
            seen = owner.latest()
            assert seen is not None
            assert owner.take_photo(got) is not None
            assert done.wait(2)
            assert owner.latest().seq > seen.seq  # the next frame, not the last one
    finally:
        scanner.stop()
        owner.stop()
    assert texts == [LABEL]
    assert [request for request, _ in photos] == [1, 2, 3]
    for _, jpeg in photos:
        assert jpeg is not None and jpeg[:2] == b"\xff\xd8" and is_a_frame_of_the_stream(jpeg)
    assert opener.opens == [str(stream)] and av_opens == [str(stream)]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_claim_photo_preview_take_retake_use_with_one_open(app, running, av_opens, speaker,
                                                           caplog, lang):
    """Through the app, with the scanner running on the same stream: the product label in
    view leaves the worker's card open; the claim's photo is a live preview, "take", the
    photo with "retake"/"use", and the claim carries the stream's frame. One open."""
    owner, opener, _ = running
    app.ctx.camera = owner
    code = "W001" if lang == "zh_CN" else "W002"
    card = scorecard_json(code)
    app.ctx.store.save_scorecard(code, "week", card)
    badge(app, card_credential(ZHANG_UID) if lang == "zh_CN" else qr_credential(ALICE_QR),
          "card" if lang == "zh_CN" else "qr")
    assert app.scenes.top.name == "scorecard"
    # The scanner reads the label from the shared stream; the card stays.
    caplog.set_level(logging.INFO, logger="kiosk.app")
    wait_for(lambda: any(r.getMessage() == "qr_ignored" for r in caplog.records),
             step=app.step)
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == code
    tap_button(app, "claim")
    tap_button(app, "category:FIX")
    tap_button(app, "photo")
    scene = app.scenes.top
    assert scene.name == "claim_photo" and scene.state == "preview"
    wait_for(lambda: scene.preview is not None, step=app.step)
    first = scene._seq
    wait_for(lambda: scene._seq > first + 3, step=app.step)  # live: new frames come
    screenshot(app, f"claim-photo-preview-{lang}")
    tap_button(app, "take")
    wait_for(lambda: scene.state == "taken", step=app.step)
    screenshot(app, f"claim-photo-retake-{lang}")
    tap_button(app, "retake")
    assert scene.state == "preview"
    tap_button(app, "take")
    wait_for(lambda: scene.state == "taken", step=app.step)
    taken = scene.photo
    tap_button(app, "use")
    assert app.scenes.top.name == "claim" and app.scenes.top.photo == taken
    screenshot(app, f"claim-photo-used-{lang}")
    tap_button(app, "send")
    jpeg = photo_of(app)
    assert jpeg == taken
    assert is_a_frame_of_the_stream(jpeg)
    assert opener.opens == [str(owner.device)] and av_opens == [str(owner.device)]
    assert not any(key == "say.camera_unavailable" for _, parts in speaker.said
                   for key, _ in parts)
    unknown = [i for i in app.ctx.store.claim_batch(100) if i.kind == "badge_in" and
               i.worker is None]
    assert unknown == []  # the label was never taken for a badge


def test_the_photo_is_refused_a_second_open(stream):
    """The counting opener behaves like V4L2: while the owner streams, a second open of
    the device fails. This is what crashed the kiosk when the photo opened it again."""
    opener = CountingOpener()
    owner = Camera(str(stream), v4l2=False, opener=opener, retry_s=0.1)
    owner.start()
    try:
        wait_for(lambda: owner.available)
        with pytest.raises(OSError) as refused:
            opener(str(stream), False)
        assert refused.value.errno == errno.EBUSY
    finally:
        owner.stop()


# -- a camera that fails --------------------------------------------------------------------


def busy_opener() -> CountingOpener:
    return CountingOpener(fail=OSError(errno.EBUSY, "Device or resource busy", "/dev/video0"))


@pytest.mark.parametrize("how", ["missing", "busy"])
def test_a_failing_camera_shows_a_message_and_the_kiosk_carries_on(app, speaker, caplog, how):
    caplog.set_level(logging.INFO, logger="kiosk.hardware.camera")
    if how == "missing":  # the real PyAV open of a device node that is not there
        owner = Camera("/dev/video-not-here", retry_s=0.05)
    else:
        opener = busy_opener()
        owner = Camera("/dev/video0", opener=opener, retry_s=0.05)
    owner.start()
    try:
        wait_for(lambda: owner.state is CameraState.UNAVAILABLE)
        app.ctx.camera = owner
        badge(app, card_credential(ZHANG_UID))
        tap_button(app, "claim")
        tap_button(app, "category:HELP")
        tap_button(app, "photo")
        scene = app.scenes.top
        assert scene.name == "claim_photo" and scene.state == "unavailable"
        assert [b.name for b in scene.buttons] == ["back"]
        spoken = [key for _, parts in speaker.said for key, _ in parts]
        assert spoken.count("say.camera_unavailable") == 1
        if how == "missing":
            screenshot(app, "claim-photo-unavailable-zh_CN")
        time.sleep(0.3)  # several retries: logged once
        for _ in range(5):
            app.step()
        tap_button(app, "back")
        tap_button(app, "send")  # the claim goes without a photo
        assert app.scenes.top.name == "done"
    finally:
        owner.stop()
    claims = [i.payload for i in app.ctx.store.claim_batch(100) if i.kind == "point_claim"]
    assert claims == [{"category": "HELP"}]
    lines = camera_logs(caplog)
    assert len(lines) == 1 and lines[0]["available"] is False
    expected = "FileNotFoundError" if how == "missing" else "Device or resource busy"
    assert expected in lines[0]["reason"]
    if how == "busy":
        assert len(opener.opens) >= 3  # retried in the background


def test_the_message_in_english(app, speaker):
    owner = Camera("/dev/video-not-here", retry_s=0.05)
    owner.start()
    try:
        wait_for(lambda: owner.state is CameraState.UNAVAILABLE)
        app.ctx.camera = owner
        badge(app, qr_credential(ALICE_QR), "qr")
        tap_button(app, "claim")
        tap_button(app, "category:HELP")
        tap_button(app, "photo")
        assert app.scenes.top.state == "unavailable"
        screenshot(app, "claim-photo-unavailable-en")
    finally:
        owner.stop()
    assert ("en", [("say.camera_unavailable", "The camera is not available. You can send "
                    "the claim without a photo.")]) in speaker.said


def test_a_camera_unplugged_mid_stream_is_retried_and_comes_back(app, stream, speaker, caplog):
    """The device goes away (ENODEV) while the preview shows it: the scene says the camera
    is not available; the owner opens it again in the background and the preview returns.
    Logged once each way."""
    caplog.set_level(logging.INFO, logger="kiosk.hardware.camera")
    plugged = threading.Event()
    opens: list[str] = []

    def opener(source: str, v4l2: bool):
        opens.append(source)
        if len(opens) == 1:
            return Unplugged(camera_module.open_source(source, v4l2), frames=20)
        if not plugged.is_set():
            raise OSError(errno.ENOENT, "No such file or directory", "/dev/video0")
        return camera_module.open_source(source, v4l2)

    owner = Camera(str(stream), v4l2=False, opener=opener, retry_s=0.05)
    app.ctx.camera = owner
    owner.start()
    try:
        wait_for(lambda: owner.available)
        badge(app, card_credential(ZHANG_UID))
        tap_button(app, "claim")
        tap_button(app, "category:FIX")
        tap_button(app, "photo")
        scene = app.scenes.top
        assert scene.state == "preview"
        wait_for(lambda: scene.state == "unavailable", step=app.step)
        assert owner.latest() is None and owner.take_photo() is None
        wait_for(lambda: len(opens) >= 4, step=app.step)  # tried again, and again: still gone
        assert app.scenes.top is scene and scene.state == "unavailable"
        plugged.set()
        wait_for(lambda: scene.state == "preview" and scene.preview is not None,
                 step=app.step)
        tap_button(app, "take")
        wait_for(lambda: scene.state == "taken", step=app.step)
    finally:
        owner.stop()
    lines = camera_logs(caplog)
    assert [line["available"] for line in lines] == [True, False, True]
    assert "No such device" in lines[1]["reason"]
    spoken = [key for _, parts in speaker.said for key, _ in parts]
    assert spoken.count("say.camera_unavailable") == 1


def test_a_photo_asked_for_when_the_camera_goes_away_is_answered_none(stream):
    """The next frame never comes (the device stalls, then goes away): the photo asked
    for is answered with None, so the scene can say the camera is not available."""
    gone = threading.Event()

    class Stalls(Unplugged):
        def decode(self, *args, **kwargs):
            for index, frame in enumerate(self._inner.decode(*args, **kwargs)):
                if index == 3:
                    gone.wait(5)
                    raise OSError(errno.ENODEV, "No such device")
                yield frame

    answers: list[tuple[int, bytes | None]] = []
    owner = Camera(str(stream), v4l2=False, retry_s=5,
                   opener=lambda source, v4l2: Stalls(camera_module.open_source(source, v4l2),
                                                      0))
    owner.start()
    try:
        wait_for(lambda: owner.available and owner.latest().seq == 3)
        request = owner.take_photo(lambda number, jpeg: answers.append((number, jpeg)))
        assert request == 1 and answers == []
        gone.set()
        wait_for(lambda: answers)
    finally:
        owner.stop()
    assert answers == [(1, None)]
    assert owner.state is CameraState.UNAVAILABLE and owner.latest() is None


def test_a_photo_that_never_comes_says_the_camera_is_not_available(app, speaker):
    class Stuck(StillCamera):
        def take_photo(self) -> int | None:
            return 1  # asked for, never answered: the device hangs

    app.ctx.camera = Stuck()
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "claim")
    tap_button(app, "category:FIX")
    tap_button(app, "photo")
    tap_button(app, "take")
    scene = app.scenes.top
    assert scene.state == "taking" and [b.name for b in scene.buttons] == ["back"]
    scene.update(1.0)
    assert scene.state == "taking"
    scene.update(2.5)
    assert scene.state == "unavailable"
    assert ("say.camera_unavailable" in [key for _, parts in speaker.said for key, _ in parts])


def test_a_failing_subscriber_never_stops_the_stream(stream, caplog):
    owner = Camera(str(stream), v4l2=False, retry_s=0.1)
    good: list[int] = []

    def bad(frame) -> None:
        raise RuntimeError("a broken subscriber")

    owner.subscribe(bad)
    unsubscribe = owner.subscribe(lambda frame: good.append(frame.seq))
    owner.start()
    try:
        wait_for(lambda: len(good) >= 10)
        unsubscribe()
        count = len(good)
        time.sleep(0.3)
        assert len(good) <= count + 1
        assert owner.available
    finally:
        owner.stop()
    assert any("a camera subscriber failed" in r.getMessage() for r in caplog.records)


def test_no_device_node_at_all_is_unavailable_and_logged_once(caplog):
    caplog.set_level(logging.INFO, logger="kiosk.hardware.camera")
    owner = Camera(devices=lambda: [], retry_s=0.02)
    owner.start()
    try:
        wait_for(lambda: owner.state is CameraState.UNAVAILABLE)
        time.sleep(0.2)
    finally:
        owner.stop()
    lines = camera_logs(caplog)
    assert len(lines) == 1 and lines[0]["reason"] == "no camera device"


# -- QR codes while a worker's card is open -------------------------------------------------


def wedge(app, text: str) -> None:
    """``text`` typed by a keyboard-wedge QR scanner: a burst ended by Return."""
    for char in text:
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=char))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="\r", scancode=40))
    app.step()
    app.step()


def camera_reads(app, text: str) -> None:
    """``text`` read by the camera scanner, posted as it posts it."""
    post_scan(text)
    app.step()
    app.step()


def unknown_badges(store) -> list[dict]:
    items = store.claim_batch(100)
    for item in items:
        store.nack(item.uuid, "test peek")
    return [i.payload for i in items if i.kind == "badge_in" and i.worker is None]


@pytest.mark.parametrize("read", [camera_reads, wedge], ids=["camera", "wedge"])
def test_qr_codes_that_are_no_badge_leave_an_open_card(app, store, sync, read):
    badge(app, card_credential(ZHANG_UID))
    card = app.scenes.top
    tap_button(app, "claim")
    claim = app.scenes.top
    read(app, LABEL)  # a product label
    read(app, ENROLMENT_CODE)  # an enrolment code is not for an open card either
    assert app.scenes.top is claim and app.scenes.top.worker.code == "W001"
    assert unknown_badges(store) == [] and sync.enrolments == []
    app.scenes.pop()
    assert app.scenes.top is card
    # Another worker's QR badge switches to that worker (like tapping their card).
    read(app, ALICE_QR)
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == "W002"


def test_from_idle_a_label_is_an_unknown_badge_and_an_enrolment_code_enrols(make_app, store,
                                                                            sync):
    app = make_app(timeout_s=5.0)
    store.set_setting("token", "tok-123")
    camera_reads(app, LABEL)
    assert app.scenes.top.name == "unknown_badge"
    assert unknown_badges(store) == [{"badge_hash": qr_credential(LABEL), "kind": "qr",
                                      "reader": "camera"}]
    app.scenes.reset()
    camera_reads(app, ENROLMENT_CODE)
    assert app.scenes.top.name == "enroll" and sync.enrolments == [ENROLMENT_CODE]
    # The attempt fails (another server, a used code): the kiosk stays enrolled, the
    # enrol scene says so, and it goes back to idle by itself.
    pygame.event.post(pygame.event.Event(events.ENROLMENT, enrolled=False, reason="used"))
    app.step()
    assert app.enrolled and app.scenes.top.name == "enroll"
    assert app.scenes.top.state == "failed"
    app.scenes.last_input -= 10
    app.step()
    assert app.scenes.top.name == "idle"


def test_a_revoked_token_still_goes_back_to_the_enrol_scene(make_app, store):
    app = make_app()
    pygame.event.post(pygame.event.Event(events.ENROLMENT, enrolled=False,
                                         reason="unauthorized"))
    app.step()
    assert not app.enrolled and app.scenes.top.name == "enroll"


def test_what_the_camera_reads_during_the_preview_is_no_badge(app, store):
    """The camera is pointed at the work: a label or a colleague's QR badge in view keeps
    the preview; a card tapped on the reader, or a QR badge held to the hand scanner, is
    a badge as ever."""
    app.ctx.camera = StillCamera()
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "claim")
    tap_button(app, "category:FIX")
    tap_button(app, "photo")
    scene = app.scenes.top
    camera_reads(app, LABEL)
    camera_reads(app, ALICE_QR)
    camera_reads(app, ENROLMENT_CODE)
    assert app.scenes.top is scene and scene.state == "preview"
    assert unknown_badges(store) == []
    wedge(app, ALICE_QR)
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == "W002"
    tap_button(app, "claim")
    tap_button(app, "category:FIX")
    tap_button(app, "photo")
    badge(app, card_credential(ZHANG_UID))
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == "W001"


# -- a V4L2 loopback device ----------------------------------------------------------------


def loopback_device() -> str | None:
    for name in sorted(Path("/sys/class/video4linux").glob("video*/name")):
        label = name.read_text(errors="replace").strip().lower()
        if "loopback" in label or label.startswith("dummy video device"):
            return f"/dev/{name.parent.name}"
    return None


@pytest.fixture(scope="module")
def loopback() -> Iterator[str]:
    """A v4l2loopback device: one there already, or one loaded here (and unloaded after)
    where the kernel has the module; else the test is skipped, saying why."""
    device = loopback_device()
    if device is not None:
        yield device
        return
    modprobe = shutil.which("modprobe") or shutil.which("/sbin/modprobe")
    release = os.uname().release
    if modprobe is None:
        pytest.skip(f"no V4L2 loopback device: no /dev/video* ({camera_devices() or 'none'}) "
                    f"and no modprobe to load v4l2loopback (kernel {release})")
    if not Path("/lib/modules", release).is_dir():
        pytest.skip(f"no V4L2 loopback device: kernel {release} has no modules "
                    f"(/lib/modules/{release} is absent), so no v4l2loopback")
    loaded = subprocess.run([modprobe, "v4l2loopback", "devices=1",
                             "card_label=shopfloor loopback"], capture_output=True, text=True)
    if loaded.returncode != 0:
        pytest.skip(f"no V4L2 loopback device: modprobe v4l2loopback failed: "
                    f"{loaded.stderr.strip()}")
    try:
        wait_for(lambda: loopback_device() is not None, timeout=5)
        yield loopback_device() or ""
    finally:
        subprocess.run([modprobe, "-r", "v4l2loopback"], capture_output=True)


def test_on_a_v4l2_loopback_device(loopback, app):
    """A writer feeds the loopback device like a webcam; the owner opens it as V4L2 once,
    the scanner reads the label and the claim's photo is its next frame."""
    stop = threading.Event()
    picture = workbench()

    def feed() -> None:
        with av.open(loopback, "w", format="v4l2") as output:
            video = output.add_stream("rawvideo", rate=15)
            video.width, video.height, video.pix_fmt = 640, 480, "yuv420p"
            index = 0
            while not stop.is_set():
                frame = av.VideoFrame.from_image(picture)
                frame.pts = index
                output.mux(video.encode(frame))
                index += 1
                time.sleep(1 / 15)

    writer = threading.Thread(target=feed, name="loopback-writer")
    writer.start()
    opener = CountingOpener()
    owner = Camera(loopback, opener=opener, retry_s=0.2)
    texts: list[str] = []
    scanner = CameraScanner(owner, on_text=texts.append)
    try:
        time.sleep(0.5)
        owner.start()
        scanner.start()
        wait_for(lambda: owner.available and texts, timeout=10)
        app.ctx.camera = owner
        badge(app, card_credential(ZHANG_UID))
        tap_button(app, "claim")
        tap_button(app, "category:FIX")
        tap_button(app, "photo")
        scene = app.scenes.top
        wait_for(lambda: scene.preview is not None, step=app.step)
        tap_button(app, "take")
        wait_for(lambda: scene.state == "taken", step=app.step)
        tap_button(app, "use")
        tap_button(app, "send")
    finally:
        scanner.stop()
        owner.stop()
        stop.set()
        writer.join(5)
    assert texts == [LABEL]
    assert photo_of(app)[:2] == b"\xff\xd8"
    assert opener.opens == [loopback]
