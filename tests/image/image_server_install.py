"""provisioning/server/install.sh for real, in a fresh Debian 12 (debootstrap minbase) in a
chroot: the user, settings, venv, database and units appear; a second run changes nothing;
the backup command works as the README shows; the installed units verify against that
system. Slow (it installs Debian packages and the program), so it runs in
`make image-test`, not `make test`. Run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.deploy_checks import mounted_under

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "kiosk-image"
CHROOT_RUN = REPO / "kiosk-images" / "chroot-run.sh"
INSTALL = "/src/shopfloor/provisioning/server/install.sh"


def in_root(root: Path, *argv: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(CHROOT_RUN), str(root), *argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A minimal Debian 12 with this checkout in /src/shopfloor and no service starting."""
    if os.geteuid() != 0:
        pytest.fail("the install test runs as root (debootstrap and chroot need it)")
    root = tmp_path_factory.mktemp("server") / "root"
    (CACHE / "debs").mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["debootstrap", "--variant=minbase", "--include=systemd",
                        f"--cache-dir={CACHE / 'debs'}",
                        "bookworm", str(root), "http://deb.debian.org/debian"],
                       check=True, capture_output=True, timeout=900)
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
        (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
        (root / "usr/sbin/policy-rc.d").chmod(0o755)
        files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard"],
                               check=True, capture_output=True, text=True).stdout.split()
        for name in files:
            if (REPO / name).is_file():
                target = root / "src" / "shopfloor" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, target)
        yield root
    finally:
        leftovers = mounted_under(root)
        assert not leftovers, f"still mounted: {leftovers}"
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def installed(debian: Path) -> tuple[Path, str]:
    # pip in the new system installs from a wheelhouse built here: on the test machines
    # PyPI is reached through a proxy whose certificate a fresh Debian does not trust.
    wheels = debian / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels),
                    f"{REPO}[server,postgresql]", "setuptools>=77", "wheel", "pip"],
                   check=True, capture_output=True, timeout=900)
    result = in_root(debian, "env", "PIP_NO_INDEX=1", "PIP_FIND_LINKS=/wheels", "bash", INSTALL,
                     "--postgresql", timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return debian, result.stdout


def test_install_makes_the_user_settings_program_database_and_units(
    installed: tuple[Path, str]
) -> None:
    root, output = installed
    user = next(line.split(":") for line in (root / "etc/passwd").read_text().splitlines()
                if line.startswith("shopfloor:"))
    assert user[6] == "/usr/sbin/nologin" and int(user[2]) < 1000
    env_file = root / "etc/shopfloor/shopfloor.env"
    assert env_file.stat().st_mode & 0o777 == 0o640
    settings = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                    if line and not line.startswith("#"))
    assert len(settings["SHOPFLOOR_SECRET_KEY"]) >= 48
    assert settings["SHOPFLOOR_DATA_DIR"] == "/var/lib/shopfloor"
    database = root / "var/lib/shopfloor/shopfloor.db"
    assert database.stat().st_uid == int(user[2])
    assert "its generated password is in /var/lib/shopfloor/first-admin-password" in output
    password_file = root / "var/lib/shopfloor/first-admin-password"
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert password_file.stat().st_uid == int(user[2])
    assert password_file.read_text().strip() not in output
    assert (root / "opt/shopfloor/venv/bin/shopfloor-server").exists()
    assert (root / "usr/bin/pg_dump").exists()


def test_a_second_run_keeps_the_settings_and_the_database(installed: tuple[Path, str]) -> None:
    root, _ = installed
    before = (root / "etc/shopfloor/shopfloor.env").read_text()
    again = in_root(root, "env", "PIP_NO_INDEX=1", "PIP_FIND_LINKS=/wheels", "bash", INSTALL,
                    timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (root / "etc/shopfloor/shopfloor.env").read_text() == before
    assert "created the first admin" not in again.stdout


def test_the_backup_command_of_the_readme_works_as_the_service_user(
    installed: tuple[Path, str]
) -> None:
    root, _ = installed
    result = in_root(root, "runuser", "-u", "shopfloor", "--", "bash", "-c",
                     "set -a; . /etc/shopfloor/shopfloor.env; "
                     "/opt/shopfloor/venv/bin/shopfloor-server backup "
                     "--out /var/backups/shopfloor/by-hand.sfbackup")
    assert result.returncode == 0, result.stderr
    assert (root / "var/backups/shopfloor/by-hand.sfbackup").stat().st_size > 0


def test_the_installed_units_verify_against_the_installed_system(
    installed: tuple[Path, str]
) -> None:
    root, _ = installed
    units = [f"/etc/systemd/system/{name}" for name in
             ("shopfloor-server.service", "shopfloor-backup.service", "shopfloor-backup.timer")]
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", *units],
                            capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
