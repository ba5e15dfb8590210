"""provisioning/server/install.sh for real, in a fresh Debian 12 (debootstrap minbase) in a
chroot: the user, settings, venv, database and units appear; a second run changes nothing;
the backup command works as the README shows; the installed units verify against that
system. The same again from a bundle (`make bundle`, `install.sh --offline`) in a second
fresh chroot with no network at all (a network namespace of its own), where the installed
server then answers on loopback. Slow (it installs Debian packages and the program), so it
runs in `make image-test`, not `make test`. Run as root.
"""

from __future__ import annotations

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
CACHE = REPO / ".cache" / "kiosk-image"
CHROOT_RUN = REPO / "kiosk-images" / "chroot-run.sh"
INSTALL = "/src/shopfloor/provisioning/server/install.sh"


def in_root(root: Path, *argv: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(CHROOT_RUN), str(root), *argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False)


def in_root_offline(root: Path, *argv: str,
                    timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """`in_root` in a network namespace of its own: no interface but loopback (brought up,
    so a server in the root can answer itself), no route to this machine or its mirror."""
    return subprocess.run(["unshare", "--net", "--", "bash", "-c",
                           'ip link set lo up && exec bash "$@"', "_", str(CHROOT_RUN),
                           str(root), *argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False)


def debootstrap(root: Path) -> None:
    """A minimal Debian 12 (with systemd, as a server has) where no service starts."""
    if os.geteuid() != 0:
        pytest.fail("the install test runs as root (debootstrap and chroot need it)")
    (CACHE / "debs").mkdir(parents=True, exist_ok=True)
    subprocess.run(["debootstrap", "--variant=minbase", "--include=systemd",
                    f"--cache-dir={CACHE / 'debs'}",
                    "bookworm", str(root), "http://deb.debian.org/debian"],
                   check=True, capture_output=True, timeout=900)
    (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
    (root / "usr/sbin/policy-rc.d").chmod(0o755)


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A minimal Debian 12 with this checkout in /src/shopfloor and no service starting."""
    root = tmp_path_factory.mktemp("server") / "root"
    try:
        debootstrap(root)
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
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
    units = [f"/etc/systemd/system/{unit.name}" for unit in
             sorted((REPO / "provisioning/server/systemd").iterdir())]
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", *units],
                            capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make bundle`'s archive, built here by the same script."""
    out = tmp_path_factory.mktemp("bundle")
    started = time.monotonic()
    result = subprocess.run(["bash", str(REPO / "scripts" / "build-bundle.sh"), str(out)],
                            env={**os.environ, "PYTHON": sys.executable},
                            capture_output=True, text=True, timeout=1800, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (archive,) = out.glob("shopfloor-server-bundle-*.tar")
    print(f"\nbundle: {archive.name}, {archive.stat().st_size / 2**20:.0f} MiB, "
          f"built in {time.monotonic() - started:.0f} s")
    return archive


@pytest.fixture(scope="module")
def offline(bundle: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Path, str, str]]:
    """A second fresh Debian 12, with the bundle copied in and unpacked in /root, the server
    installed from it with networking off; (root, the bundle's name, the install's output
    and errors)."""
    root = tmp_path_factory.mktemp("offline") / "root"
    try:
        debootstrap(root)
        (root / "etc/resolv.conf").unlink(missing_ok=True)
        shutil.copy(bundle, root / "root" / bundle.name)
        name = bundle.name.removesuffix(".tar")
        unpack = in_root(root, "tar", "-xf", f"/root/{bundle.name}", "-C", "/root")
        assert unpack.returncode == 0, unpack.stderr
        started = time.monotonic()
        result = in_root_offline(root, "bash", f"/root/{name}/install.sh",
                                 "--offline", f"/root/{bundle.name}", "--postgresql",
                                 timeout=1500)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        print(f"\noffline install: {time.monotonic() - started:.0f} s")
        yield root, name, result.stdout + result.stderr
    finally:
        leftovers = mounted_under(root)
        assert not leftovers, f"still mounted: {leftovers}"
        shutil.rmtree(root, ignore_errors=True)


def test_the_offline_install_has_no_network(offline: tuple[Path, str, str]) -> None:
    root, _, _ = offline
    interfaces = in_root_offline(root, "ls", "/sys/class/net")
    assert interfaces.stdout.split() == ["lo"], interfaces.stdout + interfaces.stderr


def test_the_offline_install_makes_the_user_settings_program_database_and_units(
    offline: tuple[Path, str, str]
) -> None:
    root, _, output = offline
    user = next(line.split(":") for line in (root / "etc/passwd").read_text().splitlines()
                if line.startswith("shopfloor:"))
    assert user[6] == "/usr/sbin/nologin" and int(user[2]) < 1000
    env_file = root / "etc/shopfloor/shopfloor.env"
    assert env_file.stat().st_mode & 0o777 == 0o640
    settings = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
                    if line and not line.startswith("#"))
    assert len(settings["SHOPFLOOR_SECRET_KEY"]) >= 48
    assert (root / "var/lib/shopfloor/shopfloor.db").stat().st_uid == int(user[2])
    assert "its generated password is in /var/lib/shopfloor/first-admin-password" in output
    assert not [line for line in output.splitlines() if line.startswith("W: ")], output
    assert (root / "var/lib/shopfloor/first-admin-password").stat().st_mode & 0o777 == 0o600
    assert (root / "opt/shopfloor/venv/bin/shopfloor-server").exists()
    assert (root / "usr/bin/pg_dump").exists()
    for unit in (REPO / "provisioning/server/systemd").iterdir():
        assert (root / "etc/systemd/system" / unit.name).read_text() == unit.read_text()
    # No compiler: the bundle's wheels are built already.
    assert not (root / "usr/bin/gcc").exists()


def test_a_second_offline_run_from_the_unpacked_bundle_changes_nothing(
    offline: tuple[Path, str, str]
) -> None:
    root, name, _ = offline
    before = (root / "etc/shopfloor/shopfloor.env").read_text()
    database = (root / "var/lib/shopfloor/shopfloor.db").stat()
    debian_packages = (root / "var/lib/dpkg/status").read_text()
    again = in_root_offline(root, "bash", f"/root/{name}/install.sh", "--offline",
                            f"/root/{name}", timeout=900)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert (root / "etc/shopfloor/shopfloor.env").read_text() == before
    assert (root / "var/lib/shopfloor/shopfloor.db").stat().st_ino == database.st_ino
    assert (root / "var/lib/dpkg/status").read_text() == debian_packages
    assert "created the first admin" not in again.stdout
    assert not list((root / "var/tmp").glob("shopfloor-bundle.*")), "left its unpacked copy"


def test_the_offline_install_refuses_a_damaged_bundle(offline: tuple[Path, str, str]) -> None:
    root, name, _ = offline
    wheel = next((root / "root" / name / "wheels").glob("flask-*.whl"))
    original = wheel.read_bytes()
    try:
        wheel.write_bytes(original[:-10])
        result = in_root_offline(root, "bash", f"/root/{name}/install.sh", "--offline",
                                 f"/root/{name}")
        assert result.returncode == 1
        assert f"do not match its SHA256SUMS: wheels/{wheel.name}" in result.stderr
        assert "==>" not in result.stdout
    finally:
        wheel.write_bytes(original)


def test_the_offline_server_answers_and_its_cli_works(offline: tuple[Path, str, str]) -> None:
    root, _, _ = offline
    backup = in_root_offline(root, "runuser", "-u", "shopfloor", "--", "bash", "-c",
                             "set -a; . /etc/shopfloor/shopfloor.env; "
                             "/opt/shopfloor/venv/bin/shopfloor-server backup "
                             "--out /var/backups/shopfloor/by-hand.sfbackup")
    assert backup.returncode == 0, backup.stderr
    # The unit's command, run by hand (no systemd in a chroot), asked for its health on the
    # wall port's plain HTTP within the same network namespace.
    script = """
set -a; . /etc/shopfloor/shopfloor.env; set +a
runuser -u shopfloor -- /opt/shopfloor/venv/bin/shopfloor-server run --workers 1 \
  >/tmp/server.log 2>&1 &
server=$!
for _ in $(seq 60); do
  if /opt/shopfloor/venv/bin/python -c '
import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:8751/api/v1/health", timeout=2).read().decode())
' 2>/dev/null; then kill "$server"; wait "$server"; exit 0; fi
  sleep 1
done
cat /tmp/server.log; kill "$server"; wait "$server"; exit 1
"""
    answer = in_root_offline(root, "bash", "-c", script, timeout=180)
    assert answer.returncode == 0, answer.stdout[-3000:] + answer.stderr[-3000:]
    assert '"server_id"' in answer.stdout
