"""(e) avahi as an independent mDNS peer: a private D-Bus system bus and avahi-daemon in a
network namespace of their own (with their own tmpfs /run), on that namespace's loopback.
avahi-browse sees our server's advertisement; our kiosk discovery finds a service that
avahi-publish-service announces for the real server, and the pin check accepts it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_support import plant_server
from netns import Namespace, NamespacedServer, tag

PROBE = Path(__file__).with_name("ns_probe.py")

DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONF = """[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""


class Avahi:
    """dbus-daemon and avahi-daemon inside ``ns``; ``run`` runs an avahi tool beside them."""

    def __init__(self, ns: Namespace, folder: Path) -> None:
        for tool in ("dbus-daemon", "avahi-daemon", "avahi-browse", "avahi-publish-service",
                     "unshare"):
            if shutil.which(tool) is None:
                pytest.fail(f"{tool} is missing: scripts/packages/test-discovery.txt")
        self.ns = ns
        folder.mkdir(parents=True, exist_ok=True)
        socket = folder / "system_bus_socket"
        (folder / "dbus.conf").write_text(DBUS_CONF.format(socket=socket))
        (folder / "avahi.conf").write_text(AVAHI_CONF)
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                    "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={socket}"}
        self.log = folder / "avahi.log"
        self.processes: list[subprocess.Popen[bytes]] = []
        try:
            self._start([*ns.prefix(), "dbus-daemon", "--config-file",
                         str(folder / "dbus.conf"), "--nofork", "--nopidfile"])
            self._wait(lambda: socket.exists(), "the private D-Bus socket")
            # avahi-daemon keeps its pid file and socket under /run: a /run of its own.
            self._start([*ns.prefix(), "unshare", "--mount", "--propagation", "private", "sh",
                         "-c", f"mount -t tmpfs tmpfs /run && exec avahi-daemon -f "
                               f"{folder / 'avahi.conf'} --no-drop-root --no-chroot "
                               f"--no-rlimits"])
            self._wait(lambda: "Server startup complete" in self.log.read_text(),
                       "avahi-daemon")
        except BaseException:
            self.stop()
            raise

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log,
                                       stdin=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def _wait(self, ready, what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                pytest.fail(f"{what} did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def browse(self) -> list[list[str]]:
        result = subprocess.run([*self.ns.prefix(), "avahi-browse", "-rpt", "_shopfloor._tcp"],
                                env=self.env, capture_output=True, text=True, timeout=30,
                                check=False)
        return [line.split(";") for line in result.stdout.splitlines() if line.startswith("=")]

    def publish(self, name: str, port: int, *txt: str) -> subprocess.Popen[bytes]:
        return self._start([*self.ns.prefix(), "avahi-publish-service", "-s", name,
                            "_shopfloor._tcp", str(port), *txt])

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def space() -> Iterator[Namespace]:
    ns = Namespace(f"sf-avahi-{tag()}")
    yield ns
    ns.delete()


@pytest.fixture
def avahi(space: Namespace, tmp_path: Path) -> Iterator[Avahi]:
    peer = Avahi(space, tmp_path / "avahi")
    yield peer
    peer.stop()


def test_avahi_sees_our_server_and_our_kiosk_finds_what_avahi_publishes(space, avahi,
                                                                       tmp_path):
    base, _ = plant_server(tmp_path / "server")
    server = NamespacedServer(base, space, "127.0.0.1")
    try:
        server.start()
        identity_id = server_id(server)
        deadline = time.monotonic() + 15
        ours: list[list[str]] = []
        while not ours and time.monotonic() < deadline:
            ours = [r for r in avahi.browse() if r[3].startswith("shopfloor-")]
        assert ours, "avahi-browse did not see our server"
        row = ours[0]
        assert row[7] == "127.0.0.1" and row[8] == str(server.port)
        assert {'"v=1"', f'"id={identity_id}"', '"api=/api/v1"'} <= set(row[9].split())

        name = f"avahi-peer-{tag()}"
        avahi.publish(name, server.port, "v=1", f"id={identity_id}", "api=/api/v1")
        cert = server.data_dir / "tls" / "server.crt"
        probe = subprocess.run([*space.prefix(), sys.executable, str(PROBE), "127.0.0.1",
                                identity_id, str(cert), name], capture_output=True, text=True,
                               timeout=60, check=False)
        assert probe.returncode == 0, probe.stdout + probe.stderr
        found = json.loads(probe.stdout.splitlines()[-1])
        assert found == {"name": f"{name}._shopfloor._tcp.local.", "url": server.url,
                         "server_id": identity_id, "verified": True}
    finally:
        server.stop()


def server_id(server: NamespacedServer) -> str:
    import sqlite3

    db = sqlite3.connect(server.data_dir / "shopfloor.db")
    try:
        return str(db.execute("SELECT value FROM settings WHERE key = 'server_id'").fetchone()[0])
    finally:
        db.close()
