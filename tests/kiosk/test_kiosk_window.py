"""The real kiosk process in a real X window (Xvfb), as a 1280x800 window and scaled to a
1920x1080 full screen: a QR badge typed by a keyboard-wedge scanner (xdotool), then
xdotool clicks through "log output", a number and "done"; the event is in the outbox.
The server is away, so this is also the offline path end to end."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kiosk_fakes import ALICE_QR, roster_json, scorecard_json
from kiosk_support import tap_button

from kiosk.store import Store
from server.serving.tls import ensure_identity

pytestmark = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                                reason="needs xvfb and xdotool (scripts/packages/test-kiosk.txt)")


def free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(
                f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


SCREENS = {"window": (1280, 800), "fullscreen": (1920, 1080)}


@pytest.fixture(params=sorted(SCREENS))
def xvfb(request) -> Iterator[tuple[str, str]]:
    display = f":{free_display()}"
    width, height = SCREENS[request.param]
    process = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{width}x{height}x24",
                                "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
        assert process.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    yield display, request.param
    process.terminate()
    process.wait(10)


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "kiosk-data"
    store = Store(folder / "kiosk.sqlite3")
    # Enrolled (a token and a pinned certificate) to a server that is not there.
    store.set_setting("server_id", "0123456789abcdef")
    store.set_setting("server_cert", ensure_identity(tmp_path / "server").certfile.read_text())
    store.set_setting("token", "tok-offline")
    store.set_setting("server_url", f"https://127.0.0.1:{dead_port()}")
    store.save_roster(roster_json(), '"r1"')
    card = scorecard_json("W002")
    card["worker"]["name"] = "Alice Smith"
    store.save_scorecard("W002", "week", card)
    store.close()
    return folder


def log_lines(data_dir: Path) -> list[dict]:
    path = data_dir / "logs" / "kiosk.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def wait_for_log(data_dir: Path, match: dict, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_lines(data_dir):
            if all(line.get(k) == v for k, v in match.items()):
                return line
        time.sleep(0.05)
    seen = [line.get("event") for line in log_lines(data_dir)]
    raise AssertionError(f"no log line {match}; saw {seen}")


def centres(app, names: list[str]) -> dict[str, tuple[int, int]]:
    """Where the buttons are, found by walking the same screens on the dummy display."""
    found = {}
    from kiosk_support import badge

    from kiosk.events import qr_credential

    app.ctx.store.save_scorecard("W002", "week", scorecard_json("W002"))
    badge(app, qr_credential(ALICE_QR), "qr")
    for name in names:
        button = next(b for b in app.scenes.top.buttons if b.name == name)
        found[name] = button.rect.center
        tap_button(app, name)
    return found


def on_screen(pos: tuple[int, int], mode: str) -> tuple[int, int]:
    """Where a canvas point is on the display: the canvas is scaled to fit, centred."""
    width, height = SCREENS[mode]
    scale = min(width / 1280, height / 800)
    left, top = (width - round(1280 * scale)) // 2, (height - round(800 * scale)) // 2
    return round(left + pos[0] * scale), round(top + pos[1] * scale)


def test_wedge_badge_and_clicks_in_a_real_window(xvfb, data_dir, app):
    display, mode = xvfb
    steps = ["log", "output", "key:4", "key:2", "done"]
    where = centres(app, steps)
    env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11",
           "SDL_AUDIODRIVER": "dummy", "PCSCLITE_CSOCK_NAME": str(data_dir / "no-pcscd.comm")}
    env.pop("XAUTHORITY", None)
    command = [sys.executable, "-m", "kiosk", "run", "--data-dir", str(data_dir)]
    kiosk = subprocess.Popen([*command, *(["--fullscreen"] if mode == "fullscreen" else [])],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_log(data_dir, {"event": "scene_changed", "scene": "idle"})
        xdo = ["xdotool"]
        subprocess.run([*xdo, "mousemove", "640", "400"], env=env, check=True)
        time.sleep(0.3)
        subprocess.run([*xdo, "type", "--delay", "5", ALICE_QR], env=env, check=True)
        subprocess.run([*xdo, "key", "Return"], env=env, check=True)
        wait_for_log(data_dir, {"event": "scene_changed", "scene": "scorecard", "worker": "W002"})
        for name in steps:
            x, y = on_screen(where[name], mode)
            subprocess.run([*xdo, "mousemove", str(x), str(y), "click", "1"], env=env,
                           check=True)
            time.sleep(0.25)
        queued = wait_for_log(data_dir, {"event": "event_queued", "kind": "output"})
        assert queued["worker"] == "W002"
        wait_for_log(data_dir, {"event": "scene_changed", "scene": "done"})
    finally:
        kiosk.terminate()
        kiosk.wait(15)
    assert kiosk.returncode == 0
    store = Store(data_dir / "kiosk.sqlite3")
    try:
        items = store.claim_batch(10)
    finally:
        store.close()
    assert [(i.kind, i.payload) for i in items] == [
        ("badge_in", {"kind": "qr", "reader": "keyboard"}),
        ("output", {"machine": "M1", "count": 42}),
    ]
