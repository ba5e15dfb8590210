"""The asyncio front (serving/front.py) around the real app, with one-second deadlines, on
a loopback port: a dribbled head, a slow body (read by the front, or streamed to the app)
and a slow TLS handshake are cut at their deadline even while bytes keep coming; one
address gets only its share of connections; and ordinary HTTP/1.1 still works: keep-alive,
chunked bodies, 100-continue, a body too large for a stranger (issue 16, item 1)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from flask import Flask

from server.serving.front import tls_context
from server.serving.tls import ensure_identity
from support.attack import (
    QUICK,
    FrontOnPort,
    close_all,
    connect,
    read_answer,
    status_of,
    wait_closed,
)
from support.factory import Factory, bearer, make_event

# One engine is enough: what is under test is the front, not the database.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# QUICK's deadlines are 1 s; what a test waits at most on a busy machine.
CUT_S = 6.0


def _post(path: str, length: int | None, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: shopfloor", "Content-Type: application/json",
             *headers]
    lines.append(f"Content-Length: {length}" if length is not None
                 else "Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _batch(count: int) -> bytes:
    return json.dumps({"events": [make_event("badge_in") for _ in range(count)]}).encode()


def test_a_dribbled_head_is_cut_at_its_deadline(app: Flask) -> None:
    with FrontOnPort(app) as front:
        sock = connect(front.port)
        try:
            started = time.monotonic()
            with pytest.raises(OSError):  # the cut shows as a reset on a later send
                for byte in b"GET /api/v1/health HTTP/1.1\r\nHost: shopfloor\r\nX-A: " * 10:
                    sock.send(bytes([byte]))
                    time.sleep(0.1)
                    assert time.monotonic() - started < CUT_S, "never cut"
            assert time.monotonic() - started < CUT_S
        finally:
            sock.close()


@pytest.mark.parametrize("length, sent", [(1000, 10), (200_000, 70_000)],
                         ids=["read-by-the-front", "streamed-to-the-app"])
def test_a_body_sent_slowly_is_cut_at_its_deadline(app: Flask, factory: Factory,
                                                   length: int, sent: int) -> None:
    with FrontOnPort(app) as front:
        sock = connect(front.port)
        try:
            sock.sendall(_post("/api/v1/events", length, *[
                f"{k}: {v}" for k, v in bearer(factory.kiosk_token).items()]))
            sock.sendall(b"x" * sent)
            started = time.monotonic()
            answer = read_answer(sock, timeout=CUT_S)
            assert status_of(answer) == 408, answer[:200]
            assert time.monotonic() - started < CUT_S
            assert not wait_closed([sock], CUT_S)
        finally:
            sock.close()


def test_a_body_dribbled_below_the_minimum_rate_is_cut_though_bytes_keep_coming(
    app: Flask, factory: Factory,
) -> None:
    with FrontOnPort(app) as front:
        sock = connect(front.port)
        try:
            sock.sendall(_post("/api/v1/events", 10_000, *[
                f"{k}: {v}" for k, v in bearer(factory.kiosk_token).items()]))
            started = time.monotonic()
            answer = b""
            while time.monotonic() - started < CUT_S and not answer:
                sock.send(b"x")
                answer = read_answer(sock, timeout=0.2)
            assert status_of(answer) == 408, answer[:200]
        finally:
            sock.close()


def test_a_slow_tls_handshake_is_cut_at_its_deadline(app: Flask, tmp_path: Path) -> None:
    identity = ensure_identity(tmp_path)
    context = tls_context(str(identity.certfile), str(identity.keyfile))
    with FrontOnPort(app, tls=context) as front:
        silent = connect(front.port)
        half_hello = connect(front.port)
        try:
            half_hello.sendall(bytes.fromhex("1603010200010001fc0303"))
            assert not wait_closed([silent, half_hello], CUT_S), "a handshake never ended"
            with httpx.Client(verify=False, timeout=5) as client:
                assert client.get(f"https://127.0.0.1:{front.port}/api/v1/health"
                                  ).status_code == 200
        finally:
            close_all([silent, half_hello])


def test_one_address_gets_only_its_share_of_connections(app: Flask) -> None:
    with FrontOnPort(app) as front:
        mine = [connect(front.port, "127.0.0.9") for _ in range(QUICK.per_address + 2)]
        try:
            open_ = wait_closed(mine, 0.5)
            assert len(open_) == QUICK.per_address
            with httpx.Client(timeout=5) as other:
                assert other.get(f"http://127.0.0.1:{front.port}/api/v1/health"
                                 ).status_code == 200
        finally:
            close_all(mine)


def test_ordinary_http_still_works(app: Flask, factory: Factory) -> None:
    with FrontOnPort(app) as front, httpx.Client(
            base_url=f"http://127.0.0.1:{front.port}", timeout=10,
            headers=bearer(factory.kiosk_token)) as kiosk:
        # Keep-alive: two requests, one connection; a body larger than the front reads
        # itself is streamed to the app.
        assert kiosk.get("/api/v1/health").status_code == 200
        big = _batch(500)
        assert len(big) > QUICK.preread_bytes
        answer = kiosk.post("/api/v1/events", content=big,
                            headers={"Content-Type": "application/json"})
        assert answer.status_code == 200
        assert [r["status"] for r in answer.json()["results"]] == ["accepted"] * 500
        # HEAD: the headers of a GET, no body.
        head = kiosk.head("/api/v1/health")
        assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize("events", [2, 500], ids=["read-by-the-front", "streamed-to-the-app"])
def test_chunked_bodies_and_100_continue(app: Flask, factory: Factory, events: int) -> None:
    body = _batch(events)
    auth = f"Authorization: Bearer {factory.kiosk_token}"
    with FrontOnPort(app) as front:
        chunked = connect(front.port)
        waiting = connect(front.port)
        try:
            chunked.sendall(_post("/api/v1/events", None, auth))
            chunked.sendall(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
            assert status_of(read_answer(chunked, timeout=10)) == 200
            waiting.sendall(_post("/api/v1/events", len(body), auth, "Expect: 100-continue"))
            assert status_of(read_answer(waiting, timeout=5)) == 100
            waiting.sendall(body)
            assert status_of(read_answer(waiting, timeout=10)) == 200
        finally:
            close_all([chunked, waiting])


def test_a_stranger_may_not_send_a_large_body(app: Flask) -> None:
    with FrontOnPort(app) as front:
        for path in ("/api/v1/enroll", "/admin/login"):
            sock = connect(front.port)
            try:
                sock.sendall(_post(path, 10 * 1024 * 1024))
                answer = read_answer(sock, timeout=5)
                assert status_of(answer) == 413, (path, answer[:200])
            finally:
                sock.close()
