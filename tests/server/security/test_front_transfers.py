"""Uploads and video downloads run in threads of their own (serving/front.py `transfers`,
serving/worker.py): a client that takes its time over a file holds a transfer thread,
never one of the few threads the kiosks' short requests wait for. So do the kiosks' event
batches (`writes`): one waiting its turn for SQLite's writer never holds a card read up.

The front runs a small WSGI app of the test's own on a loopback port, with one app thread
and one transfer or writes thread, so a request that took the wrong thread would leave
none for the next; the app notes which thread served each request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from server.serving.front import Front, Limits
from server.serving.worker import LONG_ANSWERS, WRITE_TARGETS
from support.attack import FrontOnPort, connect, read_answer, status_of

# Deadlines long enough that nothing here is cut while the test holds a transfer open.
PATIENT = Limits(body_s=30.0, send_s=30.0, idle_s=10.0, head_s=10.0)
VIDEO = 8 * 1024 * 1024  # far more than the socket buffers hold: the answer waits on us
WAIT_S = 10.0


class App:
    """Reads an upload whole, answers a video of VIDEO bytes, or a short 'ok'; notes the
    thread each request ran in, and when an upload has started reading."""

    def __init__(self) -> None:
        self.threads: dict[str, str] = {}
        self.reading = threading.Event()
        # A batch of events waits for `released`, as one waits for the write lock.
        self.writing = threading.Event()
        self.released = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        path = environ["PATH_INFO"]
        self.threads[path] = threading.current_thread().name
        if path == "/api/v1/events":
            self.writing.set()
            self.released.wait(WAIT_S)
        if environ["REQUEST_METHOD"] == "POST":
            self.reading.set()
            size = str(len(environ["wsgi.input"].read())).encode()
            start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(size)))])
            return iter([size])
        if path.endswith("/file"):
            start_response("200 OK", [("Content-Type", "video/mp4"),
                                      ("Content-Length", str(VIDEO))])
            return (bytes(64 * 1024) for _ in range(VIDEO // (64 * 1024)))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return iter([b"ok"])


def _short(port: int) -> bytes:
    sock = connect(port, timeout=WAIT_S)
    try:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n")
        return read_answer(sock, WAIT_S)
    finally:
        sock.close()


@pytest.fixture
def app() -> App:
    return App()


def test_a_held_upload_leaves_the_app_thread_free(app: App) -> None:
    size = 1024 * 1024  # more than the 64 KiB the loop reads itself: streamed to the app
    with FrontOnPort(app, PATIENT, threads=1, transfers=1,
                     long_answers=LONG_ANSWERS) as front:
        upload = connect(front.port, timeout=WAIT_S)
        try:
            upload.sendall(b"POST /admin/videos/upload HTTP/1.1\r\nHost: s\r\n"
                           b"Content-Length: %d\r\n\r\n" % size + bytes(100 * 1024))
            assert app.reading.wait(WAIT_S), "the upload never reached the app"
            # The upload's thread now waits for the rest of its body; a short request
            # still gets the app's only thread.
            answer = _short(front.port)
            assert status_of(answer) == 200 and answer.endswith(b"ok")
            upload.sendall(bytes(size - 100 * 1024))
            assert read_answer(upload, WAIT_S).endswith(str(size).encode())
        finally:
            upload.close()
    assert app.threads["/admin/videos/upload"].startswith("transfer")
    assert app.threads["/api/v1/health"].startswith("app")


def test_a_video_download_nobody_reads_leaves_the_app_thread_free(app: App) -> None:
    with FrontOnPort(app, PATIENT, threads=1, transfers=1,
                     long_answers=LONG_ANSWERS) as front:
        download = connect(front.port, timeout=WAIT_S)
        try:
            download.sendall(b"GET /api/v1/videos/7/file?resume=1 HTTP/1.1\r\nHost: s\r\n\r\n")
            first = download.recv(4096)  # the answer has begun; the rest waits on us
            assert status_of(first) == 200
            answer = _short(front.port)
            assert status_of(answer) == 200 and answer.endswith(b"ok")
        finally:
            download.close()
    assert app.threads["/api/v1/videos/7/file"].startswith("transfer")
    assert app.threads["/api/v1/health"].startswith("app")


def test_without_a_transfer_pool_everything_shares_the_app_threads(app: App) -> None:
    """The control: with no transfer pool the same upload takes the app's only thread,
    and the short request waits until the upload is done."""
    with FrontOnPort(app, PATIENT, threads=1) as front:
        upload = connect(front.port, timeout=WAIT_S)
        try:
            upload.sendall(b"POST /admin/videos/upload HTTP/1.1\r\nHost: s\r\n"
                           b"Content-Length: %d\r\n\r\n" % (200 * 1024) + bytes(100 * 1024))
            assert app.reading.wait(WAIT_S)
            short = connect(front.port, timeout=WAIT_S)
            short.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: s\r\nConnection: close"
                          b"\r\n\r\n")
            assert read_answer(short, 1.0) == b"", "answered while the only thread was held"
            upload.sendall(bytes(100 * 1024))
            assert read_answer(upload, WAIT_S).endswith(b"204800")
            assert read_answer(short, WAIT_S).endswith(b"ok")
            short.close()
        finally:
            upload.close()
    assert app.threads["/admin/videos/upload"].startswith("app")


BATCH = (b"POST /api/v1/events HTTP/1.1\r\nHost: s\r\nContent-Type: application/json\r\n"
         b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")


def test_a_batch_waiting_its_turn_to_write_leaves_the_app_thread_free(app: App) -> None:
    with FrontOnPort(app, PATIENT, threads=1, writes=1,
                     write_targets=WRITE_TARGETS) as front:
        batch = connect(front.port, timeout=WAIT_S)
        try:
            batch.sendall(BATCH)
            assert app.writing.wait(WAIT_S), "the batch never reached the app"
            answer = _short(front.port)  # while the batch still waits
            assert status_of(answer) == 200 and answer.endswith(b"ok")
            app.released.set()
            assert status_of(read_answer(batch, WAIT_S)) == 200
        finally:
            app.released.set()
            batch.close()
    assert app.threads["/api/v1/events"].startswith("writes")
    assert app.threads["/api/v1/health"].startswith("app")


def test_without_a_writes_pool_a_waiting_batch_holds_the_app_thread(app: App) -> None:
    """The control: the same batch in the app's only thread keeps the short request
    waiting until the batch is let through."""
    with FrontOnPort(app, PATIENT, threads=1) as front:
        batch = connect(front.port, timeout=WAIT_S)
        short = connect(front.port, timeout=WAIT_S)
        try:
            batch.sendall(BATCH)
            assert app.writing.wait(WAIT_S)
            short.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: s\r\nConnection: close"
                          b"\r\n\r\n")
            assert read_answer(short, 1.0) == b"", "answered while the only thread was held"
            app.released.set()
            assert status_of(read_answer(batch, WAIT_S)) == 200
            assert read_answer(short, WAIT_S).endswith(b"ok")
        finally:
            app.released.set()
            batch.close()
            short.close()
    assert app.threads["/api/v1/events"].startswith("app")


@pytest.mark.parametrize(("method", "target", "streamed", "pool"), [
    (b"GET", b"/api/v1/videos/7/file", False, "transfers"),
    (b"GET", b"/api/v1/videos/7/file?resume=1", False, "transfers"),
    (b"GET", b"/api/v1/videos/7/thumbnail", False, "app"),
    (b"GET", b"/api/v1/videos/7/files", False, "app"),
    (b"GET", b"/x/api/v1/videos/7/file", False, "app"),
    (b"GET", b"/api/v1/videos", False, "app"),
    (b"POST", b"/api/v1/events", False, "writes"),
    (b"POST", b"/api/v1/events?x=1", False, "writes"),
    (b"POST", b"/api/v1/events", True, "transfers"),  # a body too large for the loop
    (b"GET", b"/api/v1/events", False, "app"),
    (b"PUT", b"/api/v1/events", False, "app"),
    (b"POST", b"/api/v1/events/1", False, "app"),
    (b"POST", b"/api/v1/eventsx", False, "app"),
    (b"POST", b"/x/api/v1/events", False, "app"),
    (b"POST", b"/api/v1/production", False, "app"),
])
def test_which_requests_take_a_transfer_or_writes_thread(
        method: bytes, target: bytes, streamed: bool, pool: str) -> None:
    pools = {name: ThreadPoolExecutor(1) for name in ("app", "transfers", "writes")}
    try:
        front = Front(App(), pools["app"], PATIENT, transfers=pools["transfers"],
                      long_answers=LONG_ANSWERS, writes=pools["writes"],
                      write_targets=WRITE_TARGETS)
        assert front.pool_for(method, target, streamed=streamed) is pools[pool]
    finally:
        for executor in pools.values():
            executor.shutdown()
