"""The kiosk's SDL video driver: candidates read from the environment, and for real (Xvfb)
a driver that fails is logged and the next one opens the window; when none can, the error
names each failure and `shopfloor-kiosk run` exits non-zero with it in its log."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from kiosk.errors import HardwareError
from kiosk.ui.video_drivers import candidates
from kiosk.ui.window import open_window


@pytest.mark.parametrize(("environ", "expected"), [
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, ["wayland", "x11"]),
    ({"WAYLAND_DISPLAY": "wayland-0"}, ["wayland"]),
    ({"DISPLAY": ":0"}, ["x11"]),
    ({}, ["kmsdrm"]),
    ({"WAYLAND_DISPLAY": "", "DISPLAY": ""}, ["kmsdrm"]),
    # The operator's choice first, but the others still follow; each driver once.
    ({"SDL_VIDEODRIVER": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},
     ["wayland", "x11"]),
    ({"SDL_VIDEODRIVER": "x11", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},
     ["x11", "wayland"]),
    ({"SDL_VIDEODRIVER": "KMSDRM", "DISPLAY": ":0"}, ["kmsdrm", "x11"]),
    ({"SDL_VIDEODRIVER": "wayland,x11"}, ["wayland", "x11", "kmsdrm"]),
    ({"SDL_VIDEODRIVER": " dummy , "}, ["dummy", "kmsdrm"]),
])
def test_candidates_from_the_environment(environ, expected):
    assert candidates(environ) == expected


def no_x_server() -> str:
    number = next(n for n in range(190, 240) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    return f":{number}"


@pytest.fixture
def fresh_display(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No display open, and a Wayland socket name where no compositor listens."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("WAYLAND_DISPLAY", "no-compositor-here")
    monkeypatch.setenv("SDL_VIDEODRIVER", "wayland")
    monkeypatch.delenv("XAUTHORITY", raising=False)
    pygame.display.quit()
    yield
    pygame.display.quit()


def driver_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, dict]]:
    return [(r.levelname, r.getMessage(), dict(getattr(r, "fields", {})))
            for r in caplog.records if r.getMessage().startswith("video_driver")]


def test_a_failing_driver_is_logged_and_the_window_opens_with_the_next(
        fresh_display, x_server, monkeypatch, caplog):
    monkeypatch.setenv("DISPLAY", x_server)
    caplog.set_level(logging.INFO, logger="kiosk.ui.window")
    window = open_window(False)
    assert pygame.display.get_driver() == "x11"
    assert window.display.get_size() == (1280, 800)
    (level, event, failed), (info_level, info_event, chosen) = driver_lines(caplog)
    assert (level, event) == ("WARNING", "video_driver_failed")
    assert failed["driver"] == "wayland" and failed["next"] == "x11" and failed["error"]
    assert (info_level, info_event) == ("INFO", "video_driver")
    assert chosen == {"driver": "x11", "failed": {"wayland": failed["error"]}}
    # Re-initialised later (a test's next window), SDL keeps the driver that worked.
    assert os.environ["SDL_VIDEODRIVER"] == "x11"


def test_no_driver_that_works_is_a_clear_error(fresh_display, monkeypatch, caplog):
    monkeypatch.setenv("DISPLAY", no_x_server())
    caplog.set_level(logging.INFO, logger="kiosk.ui.window")
    with pytest.raises(HardwareError) as raised:
        open_window(False)
    assert str(raised.value).startswith("no SDL video driver could open the kiosk's window: ")
    assert "wayland: " in str(raised.value) and "x11: " in str(raised.value)
    lines = driver_lines(caplog)
    assert [(level, event, fields.get("driver")) for level, event, fields in lines] == [
        ("WARNING", "video_driver_failed", "wayland"),
        ("WARNING", "video_driver_failed", "x11"),
        ("ERROR", "video_driver_none", None),
    ]
    assert set(lines[-1][2]["failed"]) == {"wayland", "x11"}
    assert not pygame.display.get_init()


def test_the_kiosk_exits_non_zero_with_the_error_in_its_log(tmp_path):
    """So systemd (Restart=always) starts it again, and the log says why."""
    data_dir = tmp_path / "kiosk-data"
    env = {**os.environ, "SDL_VIDEODRIVER": "wayland", "WAYLAND_DISPLAY": "no-compositor-here",
           "XDG_RUNTIME_DIR": str(tmp_path), "DISPLAY": no_x_server(),
           "SDL_AUDIODRIVER": "dummy", "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    env.pop("XAUTHORITY", None)
    done = subprocess.run([sys.executable, "-m", "kiosk", "run", "--data-dir", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "error: no SDL video driver could open the kiosk's window: wayland: " in done.stderr
    lines = [json.loads(line) for line in
             (data_dir / "logs" / "kiosk.jsonl").read_text(encoding="utf-8").splitlines()]
    events = [(line["event"], line.get("driver")) for line in lines
              if line["event"].startswith("video_driver")]
    assert events == [("video_driver_failed", "wayland"), ("video_driver_failed", "x11"),
                      ("video_driver_none", None)]
    none = next(line for line in lines if line["event"] == "video_driver_none")
    assert none["level"] == "error" and set(none["failed"]) == {"wayland", "x11"}
