"""A real `shopfloor-server run` (gunicorn) in a subprocess on free loopback ports: HTTPS
with the server's own certificate, and the plain-HTTP wall port beside it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from kiosk.link.trust import EnrolmentPayload, pinned_context
from server.serving.tls import load_identity


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Owns one server process; `stop` and `start` again keep the same port and data."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None,
                 workers: int = 1, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = free_port()
        self.wall_port = free_port()
        self.workers = workers
        # A wrapper such as ["ip", "netns", "exec", NS] to start the server elsewhere.
        self.prefix: list[str] = []
        self.env = {
            **os.environ,
            "SHOPFLOOR_DATA_DIR": str(data_dir),
            "SHOPFLOOR_TIMEZONE": os.environ.get("SHOPFLOOR_TIMEZONE", "Asia/Shanghai"),
            "SHOPFLOOR_MDNS_INTERFACES": "127.0.0.1",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def wall_url(self) -> str:
        """The plain-HTTP listener: /wall and the health check only."""
        return f"http://{self.host}:{self.wall_port}"

    @property
    def certificate(self) -> str:
        identity = load_identity(self.data_dir)
        assert identity is not None, "the server has not made its certificate yet"
        return identity.certfile.read_text()

    @property
    def fingerprint(self) -> str:
        identity = load_identity(self.data_dir)
        assert identity is not None, "the server has not made its certificate yet"
        return identity.fingerprint

    @property
    def verify(self) -> ssl.SSLContext:
        """TLS for httpx that trusts this server's certificate, as an enrolled kiosk does."""
        return pinned_context(self.certificate)

    @property
    def server_id(self) -> str:
        answer = httpx.get(f"{self.wall_url}/api/v1/health", timeout=5).json()
        return str(answer["server_id"])

    def payload(self, code: str) -> str:
        """The enrolment QR's text for a one-time code of this server."""
        return EnrolmentPayload(self.server_id, self.fingerprint, code).text()

    def start(self, timeout: float = 60) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # Its own session, so that kill() takes the gunicorn master and its workers at once.
        self.process = subprocess.Popen(
            [*self.prefix, sys.executable, "-m", "server.cli", "run", "--host", self.host,
             "--port", str(self.port), "--wall-port", str(self.wall_port),
             "--workers", str(self.workers)],
            env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.healthy():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()  # a server that never came up must not outlive the test
                raise RuntimeError("the server did not answer its health check in time")
            time.sleep(0.1)

    def healthy(self) -> bool:
        try:
            # The plain port answers the health check without the certificate dance.
            return httpx.get(f"{self.wall_url}/api/v1/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        """kill -9 the master and its workers: a crash with no goodbye of any kind."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def run_kiosks(server: LiveServer, kiosk: Callable[[int], None], count: int,
               deadline_s: float) -> None:
    """`kiosk(0)` to `kiosk(count - 1)` at once, each in a thread of its own, against
    `server`, which is stopped when they are done, whether they finished or not; fails
    when one is still running after `deadline_s`."""
    threads = [threading.Thread(target=kiosk, args=(i,), name=f"kiosk-{i}")
               for i in range(count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=deadline_s)
        assert not any(t.is_alive() for t in threads), "the kiosks did not finish in time"
    finally:
        server.stop()
