"""Raw-socket clients for attacking the server from outside, and its front on a port.

Every socket goes to 127.0.0.1 (from other loopback source addresses, 127.1.x.y, where a
test needs many clients), and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import select
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from server.serving.front import Front, Limits
from support.live_server import LiveServer


def source(n: int) -> str:
    """A loopback address of its own for client number `n` (never 127.0.0.1)."""
    return f"127.1.{n // 200}.{n % 200 + 1}"


def connect(port: int, src: str = "127.0.0.1", timeout: float = 5) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(src, 0))
    return sock


def tls_connect(port: int, certificate: str, src: str = "127.0.0.1",
                timeout: float = 5) -> ssl.SSLSocket:
    context = ssl.create_default_context(cadata=certificate)
    context.check_hostname = False
    return context.wrap_socket(connect(port, src, timeout))


def read_answer(sock: socket.socket, timeout: float = 10) -> bytes:
    """What the server sends until it closes or `timeout` passes (b"" if nothing)."""
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError):
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data and _complete(data):
            break
    return data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


def status_of(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer[9:12])


def closed(sock: socket.socket) -> bool:
    """Whether the server has closed (or reset) the connection: the socket reads EOF."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        sock.setblocking(False)
        while sock.recv(65536):
            pass
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    except OSError:
        return True
    return True


def wait_closed(socks: list[socket.socket], timeout: float) -> list[socket.socket]:
    """Wait up to `timeout` for the server to close every socket; those still open."""
    deadline = time.monotonic() + timeout
    open_ = list(socks)
    while open_ and time.monotonic() < deadline:
        select.select(open_, [], [], 0.5)
        open_ = [s for s in open_ if not closed(s)]
    return open_


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.close()



@dataclass
class Live:
    """A real server the tests attack, and what they need to reach its insides."""

    server: LiveServer
    kiosk_token: str
    display_path: str

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def wall_port(self) -> int:
        return self.server.wall_port


QUICK = Limits(handshake_s=1.0, idle_s=1.0, head_s=1.0, body_s=1.0, send_s=2.0,
               linger_s=0.5, per_address=3, connections=50)


class FrontOnPort:
    """serving/front.py's Front around a WSGI app on a free loopback port, in a thread of
    its own, with the limits a test chooses (short ones, to watch them cut)."""

    def __init__(self, app: Any, limits: Limits = QUICK,
                 tls: ssl.SSLContext | None = None, *, threads: int = 2,
                 transfers: int = 0, long_answers: re.Pattern[bytes] | None = None,
                 writes: int = 0, write_targets: re.Pattern[bytes] | None = None) -> None:
        self.app, self.limits, self.tls = app, limits, tls
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="app")
        # As a worker runs them (serving/worker.py): uploads and long answers apart.
        self.transfers = (ThreadPoolExecutor(max_workers=transfers,
                                             thread_name_prefix="transfer")
                          if transfers else None)
        self.long_answers = long_answers
        self.writes = (ThreadPoolExecutor(max_workers=writes, thread_name_prefix="writes")
                       if writes else None)
        self.write_targets = write_targets
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="front", daemon=True)
        self.finish: asyncio.Event | None = None

    def _run(self) -> None:
        self.loop.run_until_complete(self._serve())
        self.loop.close()

    async def _serve(self) -> None:
        self.finish = asyncio.Event()
        front = Front(self.app, self.pool, self.limits, multiprocess=False,
                      transfers=self.transfers, long_answers=self.long_answers,
                      writes=self.writes, write_targets=self.write_targets)
        server = await asyncio.start_server(partial(front.serve, tls=self.tls),
                                            "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        await self.finish.wait()
        server.close()
        await front.stop(1.0)

    def __enter__(self) -> FrontOnPort:
        self.thread.start()
        assert self.ready.wait(10), "the front did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.finish is not None
        self.loop.call_soon_threadsafe(self.finish.set)
        self.thread.join(timeout=10)
        self.pool.shutdown(wait=True, cancel_futures=True)
        for extra in (self.transfers, self.writes):
            if extra is not None:
                extra.shutdown(wait=True, cancel_futures=True)
