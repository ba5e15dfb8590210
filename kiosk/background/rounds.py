"""A worker thread that runs rounds: one round, a sleep that `wake` cuts short, again,
until `stop`. The sync worker and the video downloader each own one.

The thread guards its own callback: a round that raises is logged (with its traceback)
and the next round comes after `retry_s`, so one bad round never ends the thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Rounds:
    def __init__(self, name: str, round_then_delay: Callable[[], float], *,
                 retry_s: float = 30.0) -> None:
        """`round_then_delay` runs one round and says how many seconds to wait before
        the next; after a round that raised, the wait is `retry_s`. A round handles the
        errors it expects itself; anything else is logged here."""
        self.name = name
        self.retry_s = retry_s
        self._round = round_then_delay
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Start the next round now rather than after the wait."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_round(self) -> float:
        """One guarded round; how long to wait before the next."""
        try:
            return self._round()
        except Exception:  # a bug in one round must not end the thread: log it, go on
            logger.exception("%s: round failed", self.name)
            return self.retry_s

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self.run_round()
            self._wake.wait(delay)
            self._wake.clear()
