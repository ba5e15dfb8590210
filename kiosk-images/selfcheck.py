"""A kiosk image's self-check, headless: run inside the image (chroot, or on the device
with the screen stopped) as `/opt/shopfloor/venv/bin/python /opt/shopfloor/selfcheck.py`.

Checks what the kiosk needs at start: its program, the CJK font with every glyph, a
pygame window (SDL's dummy driver), the speech library, the PC/SC client library, that the
kiosk user may grab keyboard-wedge card readers (python-evdev, the group `input`, which
Debian's udev gives the input devices), its local store, and that the system boots into
the kiosk. Prints one JSON object; exits 1
when anything failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
SAMPLE = "本周积分 第一名 Points this week"


def program() -> str:
    out = subprocess.run([str(VENV_BIN / "shopfloor-kiosk"), "--version"], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return out.strip()


def font() -> str:
    from kiosk.ui import fonts

    missing = fonts.missing_glyphs(SAMPLE)
    if missing:
        raise RuntimeError(f"no glyphs for {''.join(sorted(missing))}")
    return str(fonts.font_path())


def window() -> str:
    import pygame

    from kiosk.ui import fonts

    pygame.display.init()
    try:
        surface = pygame.display.set_mode((1280, 800))
        label = fonts.text(SAMPLE, 48, (255, 255, 255))
        surface.blit(label, (10, 10))
        pygame.display.flip()
        return f"{pygame.version.ver}, text {label.get_width()}x{label.get_height()}"
    finally:
        pygame.display.quit()


def speech() -> str:
    from kiosk.hardware.speech import load_espeak

    load_espeak()
    out = subprocess.run(["espeak-ng", "--version"], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    return out.strip()


def pcsc() -> str:
    import smartcard.scard as scard

    return f"pyscard ok ({len(dir(scard))} symbols)"


# Debian 12's udev package puts it under /lib (the same folder as /usr/lib on merged /usr)
UDEV_DEFAULT = [Path(folder, "udev/rules.d/50-udev-default.rules") for folder in
                ("/usr/lib", "/lib")]


def card_readers() -> str:
    """The kiosk reads keyboard-wedge card readers itself, grabbed, through evdev: it needs
    python-evdev, and read access to /dev/input/event*, which it has as a member of the
    group `input` because Debian's own udev rule gives those devices to that group (0660).
    No rule of ours; this fails if either fact stops holding."""
    import grp
    import pwd

    import evdev

    path = next((path for path in UDEV_DEFAULT if path.exists()), None)
    if path is None:
        raise RuntimeError("no 50-udev-default.rules: is udev installed?")
    if 'SUBSYSTEM=="input", GROUP="input"' not in " ".join(path.read_text().split()):
        raise RuntimeError(f"{path} no longer gives input devices to the group input")
    group = grp.getgrnam("input")
    user = pwd.getpwnam("kiosk")
    if "kiosk" not in group.gr_mem and user.pw_gid != group.gr_gid:
        raise RuntimeError("the user kiosk is not in the group input")
    assert evdev.ecodes.KEY_ENTER == 28
    return "python-evdev ok; the user kiosk is in the group input; udev: input -> group input"


def store() -> str:
    with tempfile.TemporaryDirectory() as data:
        out = subprocess.run([str(VENV_BIN / "shopfloor-kiosk"), "status", "--data-dir", data,
                              "--json"], check=True, capture_output=True, text=True,
                             timeout=60).stdout
    status = json.loads(out)
    return f"enrolled={status['enrolled']}, queue={status['queue_depth']}"


def boot() -> str:
    etc = Path("/etc/systemd/system")
    wanted = {
        "default target": etc / "default.target",
        "kiosk screen": etc / "graphical.target.wants" / "shopfloor-kiosk.service",
        "pcscd": etc / "sockets.target.wants" / "pcscd.socket",
        "cage": Path("/usr/bin/cage"),
        # cage 0.1.4 exits at start without Xwayland; seatd gives it the screen
        "Xwayland": Path("/usr/bin/Xwayland"),
        "seatd": etc / "multi-user.target.wants" / "seatd.service",
    }
    missing = [name for name, path in wanted.items() if not path.exists()]
    if missing:
        raise RuntimeError(f"missing: {', '.join(missing)}")
    target = os.readlink(wanted["default target"])
    if not target.endswith("graphical.target"):
        raise RuntimeError(f"the default target is {target}")
    return "graphical.target → shopfloor-kiosk.service (cage, Xwayland, seatd)"


CHECKS: dict[str, Callable[[], str]] = {
    "program": program, "font": font, "window": window, "speech": speech, "pcsc": pcsc,
    "card_readers": card_readers, "store": store, "boot": boot,
}


def main() -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    report: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        try:
            report[name] = {"ok": True, "detail": check()}
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops it
            report[name] = {"ok": False, "detail": f"{type(error).__name__}: {error}"}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if all(item["ok"] for item in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
