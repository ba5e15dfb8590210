"""The gunicorn worker class: one asyncio loop serving every listener (serving/front.py).

gunicorn's master stays what it is: it binds the ports, forks the workers from the app
built once, restarts a worker that dies, and owns the mDNS advertisement. Each worker runs
this class instead of gunicorn's threaded one, whose threads a few dozen clients holding
half-sent requests could all tie up (every connection took a thread until its request was
read). Here the loop holds the connections and the app gets `threads` threads for complete
requests only, `TRANSFER_THREADS` more for uploads and video downloads, and
`write_threads` for the kiosks' event batches.

Listeners on `plain_ports` speak plain HTTP (the wall port); the others TLS with the
server's own certificate, when there is one (`certfile`, `keyfile`), else plain HTTP too
(`--http`). SIGTERM stops accepting and lets requests under way finish within
gunicorn's graceful timeout; SIGINT and SIGQUIT stop at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from gunicorn.workers.base import Worker

from server.serving.front import Front, Limits, tls_context
from server.wall.poll_memo import WallPollMemo

HEARTBEAT_S = 1.0
# Threads for requests that may take as long as their client (serving/front.py): a body
# streamed to the app (a video or spreadsheet upload), a video's download. Two such at once
# per worker process; a third waits for one of them, never for the kiosks' threads.
TRANSFER_THREADS = 2
# The targets whose answer is a file a client may take minutes over: a training video.
LONG_ANSWERS = re.compile(rb"/api/v1/videos/[^/?]+/file(?:\?|$)")
# The kiosks' event batches (POSTed here), which run in threads of their own
# (`write_threads`): on SQLite each waits its turn for the database's one writer, and
# waiting in one of the app's threads it would hold up the kiosks' card reads. Under
# `make bench-load` (100 kiosks flat out) this took the cards' p95 from about 210 ms to
# 25 ms; the batches, queued behind the write lock either way, wait longer.
WRITE_TARGETS = re.compile(rb"/api/v1/events(?:\?|$)")


class ShopfloorWorker(Worker):
    """A gunicorn worker running the asyncio front; subclassed by `serve` with its ports."""

    plain_ports: frozenset[int] = frozenset()
    certfile: str | None = None
    keyfile: str | None = None
    limits = Limits()
    # Addresses the per-address limit does not apply to: the trusted reverse proxies.
    exempt: tuple[str, ...] = ()
    # What runs beside the requests while the worker serves (the notification sender):
    # each has start() and stop(), and is started after the fork, in the worker.
    background: tuple[Any, ...] = ()
    # The wall polls the loop answers itself (wall/poll_memo.py): the app's memo, which
    # the fork gave this worker a copy of, filled by the app's own wall view.
    wall_polls: WallPollMemo | None = None
    # Threads for the event batches (WRITE_TARGETS): one on SQLite, whose writers take
    # turns across the workers anyway (server/db.py, SqliteWrites); PostgreSQL writes
    # side by side.
    write_threads = 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopped: asyncio.Event | None = None
        self.quick = False

    def init_process(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.stopped = asyncio.Event()
        super().init_process()  # signals, the app, then run()

    def init_signals(self) -> None:
        assert self.loop is not None
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        self.loop.add_signal_handler(signal.SIGTERM, self._stop)
        self.loop.add_signal_handler(signal.SIGINT, self._stop, True)
        self.loop.add_signal_handler(signal.SIGQUIT, self._stop, True)
        self.loop.add_signal_handler(signal.SIGUSR1, self.log.reopen_files)
        self.loop.add_signal_handler(signal.SIGWINCH, lambda: None)
        self.loop.add_signal_handler(signal.SIGABRT, self._abort)

    def _stop(self, quick: bool = False) -> None:
        self.alive = False
        self.quick = self.quick or quick
        assert self.stopped is not None
        self.stopped.set()

    def _abort(self) -> None:
        self.alive = False
        self.cfg.worker_abort(self)
        os._exit(1)

    def run(self) -> None:
        assert self.loop is not None
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        pool = ThreadPoolExecutor(max_workers=self.cfg.threads, thread_name_prefix="app")
        transfers = ThreadPoolExecutor(max_workers=TRANSFER_THREADS,
                                       thread_name_prefix="transfer")
        writes = ThreadPoolExecutor(max_workers=self.write_threads,
                                    thread_name_prefix="writes")
        front = Front(self.wsgi, pool, self.limits, exempt=self.exempt,
                      multiprocess=self.cfg.workers > 1,
                      early=self.wall_polls.answer if self.wall_polls else None,
                      transfers=transfers, long_answers=LONG_ANSWERS,
                      writes=writes, write_targets=WRITE_TARGETS)
        context = (tls_context(self.certfile, self.keyfile)
                   if self.certfile and self.keyfile else None)
        assert self.stopped is not None
        servers = []
        for listener in self.sockets:
            address = listener.getsockname()
            plain = isinstance(address, tuple) and address[1] in self.plain_ports
            servers.append(await asyncio.start_server(
                partial(front.serve, tls=None if plain else context), sock=listener.sock,
                backlog=self.cfg.backlog))
        for job in self.background:
            try:
                job.start()
            except Exception:  # the requests are served all the same
                self.log.exception("Background job %r did not start", job)
        try:
            while self.alive:
                self.notify()
                if self.ppid != os.getppid():
                    self.log.info("Parent changed, shutting down: %s", self)
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopped.wait(), HEARTBEAT_S)
        finally:
            for server in servers:
                server.close()
            # A second under the master's own grace, which then kills what is left.
            await front.stop(0 if self.quick else max(self.cfg.graceful_timeout - 1, 0))
            pool.shutdown(wait=False, cancel_futures=True)
            transfers.shutdown(wait=False, cancel_futures=True)
            writes.shutdown(wait=False, cancel_futures=True)
            for job in self.background:
                await asyncio.get_running_loop().run_in_executor(None, job.stop)
