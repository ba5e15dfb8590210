"""The wall boards' versions, read again a few times a second in each serving worker.

The worker's loop answers a TV's unchanged poll itself while its `WallPollMemo` holds a
version of that board read in the last quarter second (wall/poll_memo.py). Were the app
the only one to read versions, a poll per board and worker would still go to the app four
times a second, at ~2.7 ms each. This thread reads the version of every board a TV asked
about lately, each `REFRESH_S`, with one query per board (no Flask, no request), so polls
reach the app only when a board changed or a link is due to be seen.

Like the notifier (serving/notifier.py), it is made in the master and started in each
worker after the fork. A read that fails is logged once in a while and the thread goes on;
meanwhile the versions go stale and the app answers every poll, as it did before.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from server.wall.board import board_version_text
from server.wall.poll_memo import REFRESH_S, WallPollMemo

logger = logging.getLogger(__name__)

STOP_WAIT_S = 5.0
COMPLAIN_EVERY_S = 60.0


class WallVersionRefresher:
    """Made in the master (plain values only), started in each worker after the fork."""

    def __init__(self, sessions: sessionmaker[Session], zone: ZoneInfo,
                 memo: WallPollMemo) -> None:
        self.sessions = sessions
        self.zone = zone
        self.memo = memo
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._complained = 0.0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wall-versions", daemon=True)
        self._thread.start()

    def refresh(self) -> int:
        """Read every board a TV asked about lately into the memo; how many were read."""
        shown = self.memo.asked_about()
        if not shown:
            return 0
        read_at = self.memo.now()  # before the reads: the memo never vouches longer
        today = datetime.now(self.zone).date()
        with self.sessions() as session:
            for workshops in shown:
                version = board_version_text(
                    session, None if workshops is None else list(workshops), today)
                self.memo.refreshed(workshops, version, read_at)
        return len(shown)

    def _run(self) -> None:
        while not self._stop.wait(REFRESH_S):
            try:
                self.refresh()
            except Exception:  # a database away for a moment must not end the thread
                if time.monotonic() - self._complained >= COMPLAIN_EVERY_S:
                    self._complained = time.monotonic()
                    logger.exception("wall_versions_failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
            self._thread = None
