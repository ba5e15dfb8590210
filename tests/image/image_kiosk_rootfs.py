"""The kiosk image: build its root filesystem with debootstrap (kiosk-images/build-rootfs.sh,
without a kernel), then run `shopfloor-kiosk --version` and the headless self-check inside
it with chroot. Slow (it installs Debian packages), so it is not part of `make test`:
`make image-test` runs it, and .ci/run runs that after `make test`.

Run as root: debootstrap and chroot need it. Packages and wheels are cached in
.cache/kiosk-image, so a second run downloads nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.deploy_checks import mounted_under

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "kiosk-images"
BUILD_TIMEOUT_S = 1800


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("the image test runs as root (debootstrap and chroot need it)")
    root = tmp_path_factory.mktemp("image") / "rootfs"
    env = {**os.environ, "PYTHON": sys.executable,
           "KIOSK_IMAGE_CACHE": str(REPO / ".cache" / "kiosk-image")}
    started = time.monotonic()
    try:
        result = subprocess.run(["bash", str(IMAGES / "build-rootfs.sh"), str(root),
                                 "--no-kernel"], env=env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                                check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        print(f"\nrootfs built in {time.monotonic() - started:.0f} s")
        yield root
    finally:
        # The build mounts only inside its own namespace; never delete through a mount.
        leftovers = mounted_under(root)
        assert not leftovers, f"still mounted: {leftovers}"
        shutil.rmtree(root, ignore_errors=True)


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
