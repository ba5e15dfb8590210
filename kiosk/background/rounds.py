"""A worker thread that runs rounds: one round, a sleep that `wake` cuts short, again,
until `stop`. The sync worker and the video downloader each own one."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Rounds:
    def __init__(self, name: str, round_then_delay: Callable[[], float]) -> None:
        """`round_then_delay` runs one round and says how many seconds to wait before
        the next; it handles its own errors, since one escaping would end the thread."""
        self.name = name
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

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self._round()
            self._wake.wait(delay)
            self._wake.clear()
