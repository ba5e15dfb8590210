"""Fixtures for the andon tests (kiosk K1's `post_events` and the app's `keys` come from
tests/server/conftest.py: the API factory, W1 with M1, M2, W001, W002, S001; W2 with M9,
W101, S101): `webhook`, a local HTTP listener standing in
for a notification target (apprise `json://127.0.0.1:PORT/path`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Received:
    at: float  # time.monotonic() when the request arrived
    path: str
    body: dict[str, Any]


@dataclass
class Webhook:
    """What a notification target received; `status` is what it answers (500: broken)."""

    port: int
    received: list[Received] = field(default_factory=list)
    status: int = 200
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "/hook", **query: str) -> str:
        tail = "&".join(f"{k}={v}" for k, v in query.items())
        return f"json://127.0.0.1:{self.port}{path}" + (f"?{tail}" if tail else "")

    def note(self, item: Received) -> None:
        with self._arrived:
            self.received.append(item)
            self._arrived.notify_all()

    def wait(self, count: int = 1, timeout: float = 10) -> list[Received]:
        """At least `count` messages, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return list(self.received)


@contextmanager
def listening() -> Iterator[Webhook]:
    """A notification target on a free loopback port, for as long as the block runs."""
    hook: Webhook

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if hook.status < 300:
                hook.note(Received(time.monotonic(), self.path, body))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: pytest shows what a test asserts

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook = Webhook(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="webhook", daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with listening() as hook:
        yield hook


@pytest.fixture(scope="module")
def module_webhook() -> Iterator[Webhook]:
    """One listener for a module's live server, which is told its address at start."""
    with listening() as hook:
        yield hook
