"""Network namespaces the tests make themselves (TESTING-REAL-PARTS.md): two namespaces
joined by a veth pair with addresses in 10.99.0.0/24, or one namespace with only its own
loopback. Nothing here touches the host's interfaces; everything is deleted afterwards."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

import pytest

from support.live_server import LiveServer

SERVER_IP, KIOSK_IP = "10.99.0.1", "10.99.0.2"


def ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30,
                            check=False)
    if result.returncode != 0:
        # Not a skip: these tests run as root on our machines, where namespaces work.
        pytest.fail(f"`ip {' '.join(args)}` failed: {result.stderr.strip()}")


def exec_in(ns: str) -> list[str]:
    return ["ip", "netns", "exec", ns]


class Namespace:
    """One namespace with loopback up and multicast on (mDNS on lo needs it)."""

    def __init__(self, name: str) -> None:
        if shutil.which("ip") is None:
            pytest.fail("`ip` (iproute2) is missing: scripts/packages/test-discovery.txt")
        self.name = name
        ip("netns", "add", name)
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "link", "set", "lo", "multicast", "on")

    def prefix(self) -> list[str]:
        return exec_in(self.name)

    def delete(self) -> None:
        """Kill what still runs inside (only this test's processes live here), then go."""
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True,
                              text=True, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        time.sleep(0.1 if pids else 0)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)


def tag() -> str:
    return secrets.token_hex(3)


def veth_pair(a: Namespace, b: Namespace, name: str) -> tuple[str, str]:
    """Join ``a`` (10.99.0.1) and ``b`` (10.99.0.2); returns the two interface names."""
    end_a, end_b = f"{name}a", f"{name}b"
    ip("link", "add", end_a, "type", "veth", "peer", "name", end_b)
    ip("link", "set", end_a, "netns", a.name)
    ip("link", "set", end_b, "netns", b.name)
    for ns, end, address in ((a, end_a, SERVER_IP), (b, end_b, KIOSK_IP)):
        ip("-n", ns.name, "addr", "add", f"{address}/24", "dev", end)
        ip("-n", ns.name, "link", "set", end, "multicast", "on")
        ip("-n", ns.name, "link", "set", end, "up")
    return end_a, end_b


class NamespacedServer(LiveServer):
    """A LiveServer inside a namespace; its health is asked from inside too."""

    def __init__(self, base: LiveServer, ns: Namespace, host: str) -> None:
        super().__init__(base.data_dir, env=base.env, workers=base.workers, host=host)
        self.prefix = ns.prefix()
        self.env["SHOPFLOOR_MDNS_INTERFACES"] = host

    def healthy(self) -> bool:
        probe = ("import httpx, sys; sys.exit(httpx.get(sys.argv[1], timeout=2).status_code "
                 "!= 200)")
        return subprocess.run([*self.prefix, sys.executable, "-c", probe,
                               f"{self.wall_url}/api/v1/health"], capture_output=True,
                              timeout=30, check=False).returncode == 0
