"""The kiosk root filesystem, built once for the whole `make image-test` run: the chroot
checks (image_kiosk_rootfs.py) and the disk image that boots (image_kiosk_boot.py) use the
same folder. Built as `make image` builds it (with the kernel and GRUB), with a fleet SSH
key and a technician console password, so the boot test can check both."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.deploy_checks import mounted_under

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "kiosk-images"
BUILD_TIMEOUT_S = 1800
TECHNICIAN_PASSWORD = "image test technician"


@dataclass
class KioskRootfs:
    path: Path
    seconds: float  # the build's


@pytest.fixture(scope="session")
def kiosk_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KioskRootfs]:
    if os.geteuid() != 0:
        pytest.fail("the image tests run as root (debootstrap, chroot and mkfs need it)")
    folder = tmp_path_factory.mktemp("kiosk-image")
    root = folder / "rootfs"
    key = folder / "fleet_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleet", "-f", str(key)],
                   check=True, capture_output=True, timeout=60)
    password_hash = subprocess.run(["openssl", "passwd", "-6", TECHNICIAN_PASSWORD],
                                   check=True, capture_output=True, text=True,
                                   timeout=60).stdout.strip()
    env = {**os.environ, "PYTHON": sys.executable,
           "KIOSK_IMAGE_CACHE": str(REPO / ".cache" / "kiosk-image")}
    started = time.monotonic()
    try:
        result = subprocess.run(
            ["bash", str(IMAGES / "build-rootfs.sh"), str(root),
             "--technician-ssh-key", f"{key}.pub", "--technician-password-hash", password_hash],
            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=BUILD_TIMEOUT_S, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        seconds = time.monotonic() - started
        print(f"\nrootfs built in {seconds:.0f} s")
        yield KioskRootfs(root, seconds)
    finally:
        # The build mounts only inside its own namespace; never delete through a mount.
        leftovers = mounted_under(folder)
        assert not leftovers, f"still mounted: {leftovers}"
        shutil.rmtree(folder, ignore_errors=True)
