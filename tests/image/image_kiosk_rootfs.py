"""The kiosk image: build its root filesystem with debootstrap (kiosk-images/build-rootfs.sh,
once for the session: conftest.py), then run `shopfloor-kiosk --version` and the headless
self-check inside it with chroot. Slow (it installs Debian packages), so it is not part of
`make test`: `make image-test` runs it, and .ci/run runs that after `make test`.

Run as root: debootstrap and chroot need it. Packages and wheels are cached in
.cache/kiosk-image, so a second run downloads nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "kiosk-images"


@pytest.fixture(scope="module")
def rootfs(kiosk_rootfs: Any) -> Path:  # the session's build (conftest.py)
    path: Path = kiosk_rootfs.path
    return path


def in_root(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(IMAGES / "chroot-run.sh"), str(root), *argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_kiosk_program_runs_inside_the_image(rootfs: Path) -> None:
    result = in_root(rootfs, "/opt/shopfloor/venv/bin/shopfloor-kiosk", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("shopfloor-kiosk ")


def test_the_headless_self_check_passes_inside_the_image(rootfs: Path) -> None:
    result = in_root(rootfs, "/opt/shopfloor/venv/bin/python", "/opt/shopfloor/selfcheck.py")
    report = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(report, ensure_ascii=False, indent=2)
    assert set(report) == {"program", "font", "window", "speech", "pcsc", "card_readers",
                           "store", "boot"}


def test_the_image_runs_the_kiosk_as_an_unprivileged_user(rootfs: Path) -> None:
    passwd = (rootfs / "etc" / "passwd").read_text().splitlines()
    kiosk = next(line.split(":") for line in passwd if line.startswith("kiosk:"))
    assert int(kiosk[2]) != 0 and kiosk[6] == "/usr/sbin/nologin"
    assert not (rootfs / "usr" / "sbin" / "policy-rc.d").exists()
    assert not list((rootfs / "var" / "cache" / "apt" / "archives").glob("*.deb"))


def test_the_kiosk_unit_verifies_against_the_image_itself(rootfs: Path) -> None:
    result = subprocess.run(["systemd-analyze", "verify", f"--root={rootfs}",
                             "/etc/systemd/system/shopfloor-kiosk.service"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
