"""provisioning/kiosk/ansible/playbook.yml for real: `ansible-playbook` with the chroot
connection (provisioning/kiosk/ansible/connection_plugins/chroot.py) against a fresh
Debian 12 (debootstrap minbase with python3) runs the whole kiosk role, installing the
program from a wheelhouse and enrolling it with a real server on the host (loopback:
the chroot shares the host's network); a second run changes nothing (PLAY RECAP
changed=0); the lock-down of the issue is in place; in the chroot nothing was started and
nothing stays mounted. Slow (it installs Debian packages and the program), so it runs in
`make image-test`, not `make test`. Run as root.

The playbook runs inside a private mount namespace (`unshare --mount`) in which /proc, /sys,
/dev, /tmp and /run of the root are mounted, as kiosk-images/chroot-run.sh does: when
ansible-playbook ends, so do the mounts. Debian packages come from the shared cache
(.cache/kiosk-image/debs; new ones are added to it), wheels from .cache/kiosk-image/wheels.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.db import make_engine, make_sessionmaker
from server.models import Workshop
from server.services.devices.kiosks import add_kiosk
from support.deploy_checks import mounted_under, require
from support.live_server import LiveServer

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "kiosk-image"
PLAYBOOK = REPO / "provisioning" / "kiosk" / "ansible" / "playbook.yml"
HOST = "kiosk-test"
# the fleet's key and the console password HR set; made for this test only
FLEET_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDD0DanELjbytJOt+0k4hclgGXifEuXTlxO3rXVNnS5J "
             "fleet@test")
PASSWORD_HASH = ("$6$shopfloortest$5D6MYQMTec4h8g2zQa9KYM6TXg6l7.0LwNgQ39q0yYRhc2bQTxQ/"
                 "iR3jy4z/EF0B8vdJIS0Y9TXJyH57mIKSC0")  # openssl passwd -6
SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
# Runs "$@" on the controller with the root's pseudo file systems mounted in a private
# mount namespace that ends with it.
IN_NAMESPACE = """\
set -euo pipefail
root=$1; shift
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/run"
exec "$@"
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    output: str
    recap: dict[str, int]


def in_namespace(root: Path, *argv: str, env: dict[str, str] | None = None,
                 timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                           "bash", "-c", IN_NAMESPACE, "_", str(root), *argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)


def in_root(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return in_namespace(root, "chroot", str(root), "/usr/bin/env", "-i",
                        "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", *argv)


def processes_in(root: Path) -> list[str]:
    """Processes whose root directory is `root` (a daemon a package script started)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.readlink(proc / "root") == str(root):
                    found.append(f"{proc.name} {(proc / 'comm').read_text().strip()}")
            except OSError:
                continue
    return found


def link_debs(source: Path, target: Path) -> None:
    """Hard-link (or copy) the .deb files of `source` that `target` lacks."""
    target.mkdir(parents=True, exist_ok=True)
    for deb in source.glob("*.deb"):
        if not (target / deb.name).exists():
            try:
                os.link(deb, target / deb.name)
            except OSError:
                shutil.copy2(deb, target / deb.name)


@pytest.fixture(scope="module")
def debian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A minimal Debian 12 with python3 (Ansible needs it) and Debian's usual sources."""
    if os.geteuid() != 0:
        pytest.fail("the playbook test runs as root (debootstrap and chroot need it)")
    root = (tmp_path_factory.mktemp("kiosk") / "root").resolve()
    (CACHE / "debs").mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["debootstrap", "--variant=minbase", "--include=python3",
                        f"--cache-dir={CACHE / 'debs'}",
                        "bookworm", str(root), "http://deb.debian.org/debian"],
                       check=True, capture_output=True, timeout=900)
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        (root / "etc/apt/sources.list.d/debian.sources").write_text(SOURCES)
        # apt in the root starts from the shared cache without locking it (other builds
        # may be using it); what it downloads goes back after the runs
        link_debs(CACHE / "debs", root / "var/cache/apt/archives")
        yield root
    finally:
        try:
            assert not processes_in(root), f"still running: {processes_in(root)}"
            leftovers = mounted_under(root)
            assert not leftovers, f"still mounted: {leftovers}"
            link_debs(root / "var/cache/apt/archives", CACHE / "debs")
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The program's wheel, built now, and a copy of the wheelhouse of its kiosk extra.

    The wheelhouse is filled as kiosk-images/build-rootfs.sh fills it, then copied: another
    build may rewrite the shared one between the two runs."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet",
                    "--wheel-dir", str(CACHE / "wheels"), f"{REPO}[kiosk]"],
                   check=True, capture_output=True, timeout=900)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    for wheel in (CACHE / "wheels").glob("*.whl"):
        if not wheel.name.startswith("shopfloor_kiosk-"):
            shutil.copy2(wheel, wheelhouse / wheel.name)
    (program,) = dist.glob("shopfloor_kiosk-*.whl")
    return program, wheelhouse


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A real server on loopback and the enrolment code of one kiosk added to it."""
    live = LiveServer(tmp_path_factory.mktemp("server") / "live",
                      env={"SHOPFLOOR_ADMIN_PASSWORD": "admin password 1"})
    live.start()
    try:
        engine = make_engine(f"sqlite:///{live.data_dir / 'shopfloor.db'}")
        try:
            with make_sessionmaker(engine)() as session:
                session.add(Workshop(code="W1", name="机加工车间"))
                session.flush()
                code = add_kiosk(session, "K1", ["W1"], "test").code
                session.commit()
        finally:
            engine.dispose()
        yield live, live.payload(code)
    finally:
        live.stop()


@pytest.fixture(scope="module")
def runs(debian: Path, wheels: tuple[Path, Path], server: tuple[LiveServer, str],
         tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """The playbook twice against the same root."""
    program, wheelhouse = wheels
    live, enrolment_code = server
    home = tmp_path_factory.mktemp("ansible")
    inventory = home / "inventory.ini"
    inventory.write_text(
        "[kiosks]\n"
        f"{HOST}  ansible_connection=chroot  ansible_host={debian}  "
        f"enrolment_code={enrolment_code}\n\n"
        "[kiosks:vars]\n"
        # the chroot connection is root already: no sudo needed (nor installed yet)
        "ansible_become=false\n"
        "ansible_python_interpreter=/usr/bin/python3\n"
        f"shopfloor_wheel={program}\n"
        f"shopfloor_wheelhouse={wheelhouse}\n"
        f"shopfloor_server_url={live.url}\n"
        "kiosk_card_readers=ffff:0035 08ff:0009\n"
        f"technician_ssh_keys={FLEET_KEY}\n"
        f"technician_password_hash={PASSWORD_HASH}\n"
    )
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": str(home),
           "ANSIBLE_HOME": str(home), "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0"}
    playbook = require("ansible-playbook")

    def play() -> Run:
        start = time.monotonic()
        result = in_namespace(debian, playbook, "-i", str(inventory), str(PLAYBOOK),
                              env=env, timeout=2400)
        seconds = time.monotonic() - start
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-6000:]
        return Run(seconds, output, recap_of(output))

    first = play()
    second = play()
    print(f"\nplaybook in a chroot: first run {first.seconds:.0f} s "
          f"(changed={first.recap['changed']}), second run {second.seconds:.0f} s "
          f"(changed={second.recap['changed']})")
    return first, second


def recap_of(output: str) -> dict[str, int]:
    line = re.search(rf"^{HOST}\s+:\s+(.*)$", output, re.MULTILINE)
    assert line, f"no PLAY RECAP line for {HOST}:\n{output[-3000:]}"
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line.group(1))}


def changed_tasks(output: str) -> list[str]:
    """The names of the tasks that reported `changed`."""
    names, task = [], ""
    for line in output.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            task = line[line.index("[") + 1:line.rindex("]")]
        elif line.startswith("changed:"):
            names.append(task)
    return names


def test_the_first_run_sets_up_and_enrols_the_kiosk(debian: Path, runs: tuple[Run, Run],
                                                    server: tuple[LiveServer, str]) -> None:
    first, _ = runs
    assert first.recap["failed"] == 0 and first.recap["unreachable"] == 0
    assert "Enrol with the one-time code" in changed_tasks(first.output)
    # in a chroot the play says what it did not do instead of skipping it silently
    assert "chroot: units are enabled and start at the next boot" in first.output
    status = in_root(debian, "runuser", "-u", "kiosk", "--",
                     "/opt/shopfloor/venv/bin/shopfloor-kiosk", "status",
                     "--data-dir", "/var/lib/shopfloor-kiosk", "--json")
    assert status.returncode == 0, status.stderr
    enrolled = json.loads(status.stdout.strip().splitlines()[-1])
    assert enrolled["enrolled"] is True
    assert enrolled["server"] == server[0].url
    for unit in ("shopfloor-kiosk.service", "pcscd.socket", "seatd.service"):
        assert systemctl(debian, "is-enabled", unit) == "enabled"
    assert systemctl(debian, "get-default") == "graphical.target"
    kiosk = passwd(debian)["kiosk"]
    assert kiosk[6] == "/usr/sbin/nologin"
    assert "kiosk" in group_members(debian, "input")
    readers = debian / "etc/systemd/system/shopfloor-kiosk.service.d/card-readers.conf"
    assert "--card-reader ffff:0035 --card-reader 08ff:0009" in readers.read_text()
    data = (debian / "var/lib/shopfloor-kiosk").stat()
    assert (data.st_mode & 0o777, data.st_uid) == (0o700, int(kiosk[2]))


def test_a_second_run_changes_nothing(runs: tuple[Run, Run]) -> None:
    _, second = runs
    assert second.recap["failed"] == 0
    assert second.recap["changed"] == 0, changed_tasks(second.output)


def test_the_kiosk_is_locked_down(debian: Path, runs: tuple[Run, Run]) -> None:
    shadow = {line.split(":")[0]: line.split(":")
              for line in (debian / "etc/shadow").read_text().splitlines()}
    assert shadow["root"][1].startswith("!"), "root is locked"
    assert shadow["technician"][1] == PASSWORD_HASH
    technician = passwd(debian)["technician"]
    assert technician[6] == "/bin/bash"
    assert "technician" in group_members(debian, "sudo")
    keys = debian / "home/technician/.ssh/authorized_keys"
    assert keys.read_text().splitlines() == [FLEET_KEY]
    assert (keys.stat().st_mode & 0o777, keys.stat().st_uid) == (0o600, int(technician[2]))
    # no host keys shared by every copy of this root: each kiosk makes its own at first boot
    assert not list((debian / "etc/ssh").glob("ssh_host_*"))
    assert "ssh-keygen -A" in (debian / "etc/systemd/system/ssh.service.d/host-keys.conf"
                               ).read_text()
    assert systemctl(debian, "is-enabled", "ssh.service") == "enabled"
    # sshd as installed, with the playbook's drop-in (and a host key made for the check only,
    # in the namespace's /tmp): keys only, no root
    sshd = in_root(debian, "sh", "-c", "mkdir -p /run/sshd && "
                   "ssh-keygen -q -t ed25519 -N '' -f /tmp/host-key && "
                   "/usr/sbin/sshd -T -h /tmp/host-key")
    assert sshd.returncode == 0, sshd.stderr
    settings = dict(line.split(" ", 1) for line in sshd.stdout.splitlines() if " " in line)
    assert settings["passwordauthentication"] == "no"
    assert settings["kbdinteractiveauthentication"] == "no"
    assert settings["permitrootlogin"] == "no"
    sudoers = in_root(debian, "visudo", "-c")
    assert sudoers.returncode == 0, sudoers.stdout + sudoers.stderr
    # no text console besides the kiosk screen, no Ctrl+Alt+Del, no SysRq
    for unit in [*(f"getty@tty{n}.service" for n in range(2, 7)), "autovt@.service",
                 "serial-getty@ttyS0.service", "ctrl-alt-del.target"]:
        assert systemctl(debian, "is-enabled", unit) == "masked", unit
    logind = (debian / "etc/systemd/logind.conf.d/shopfloor-kiosk.conf").read_text()
    assert "NAutoVTs=0" in logind and "ReserveVT=0" in logind
    assert "kernel.sysrq = 0" in (debian / "etc/sysctl.d/50-shopfloor-kiosk.conf").read_text()
    exec_start = next(line for line in
                      (debian / "etc/systemd/system/shopfloor-kiosk.service").read_text()
                      .splitlines() if line.startswith("ExecStart="))
    cage_args = exec_start.split(" -- ")[0].split()[1:]
    assert "-s" not in cage_args, f"cage allows switching consoles: {exec_start}"


def test_nothing_was_started_and_nothing_stays_mounted(debian: Path,
                                                       runs: tuple[Run, Run]) -> None:
    assert processes_in(debian) == []
    assert mounted_under(debian) == []
    assert not (debian / "usr/sbin/policy-rc.d").exists()


def systemctl(root: Path, *argv: str) -> str:
    """systemctl on the root's unit files, offline (the host's systemctl, --root)."""
    result = subprocess.run(["systemctl", f"--root={root}", *argv], capture_output=True,
                            text=True, timeout=60, check=False)
    return result.stdout.strip()


def passwd(root: Path) -> dict[str, list[str]]:
    return {line.split(":")[0]: line.split(":")
            for line in (root / "etc/passwd").read_text().splitlines()}


def group_members(root: Path, name: str) -> list[str]:
    for line in (root / "etc/group").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return fields[3].split(",")
    return []
