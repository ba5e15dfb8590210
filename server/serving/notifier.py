"""The notification sender's thread, one in each serving worker process.

gunicorn forks its workers from the app built once in the master; a thread does not
survive a fork, so each worker starts its own `Notifier` when it begins serving and stops
it when it stops (serving/worker.py). Every POLL_S the thread runs one round of
services/alerts/sender.py: escalations and daily summaries due, then the outbox. The
outbox's conditional claims make several workers (and several servers on one database)
send each notification once. Tests of the app alone never start it: only serving does.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from sqlalchemy.orm import Session, sessionmaker

from server.config import Config
from server.services.alerts.notify import warm_up
from server.services.alerts.schedule import Settings
from server.services.alerts.sender import Sender

logger = logging.getLogger(__name__)

POLL_S = 1.0
STOP_WAIT_S = 5.0


class Notifier:
    """Made in the master (plain values only), started in each worker after the fork."""

    def __init__(self, sessions: sessionmaker[Session], config: Config) -> None:
        self.sessions = sessions
        self.settings = Settings.from_config(config)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        me = f"{socket.gethostname()}:{os.getpid()}"
        sender = Sender(self.sessions, self.settings, me)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(sender,),
                                        name="notifier", daemon=True)
        self._thread.start()
        logger.info("notifier_started", extra={
            "sender": me, "notify_targets": len(self.settings.notify_urls),
            "escalate_targets": len(self.settings.escalate_urls),
            "escalate_after_min": round(self.settings.escalate_after.total_seconds() / 60),
            "daily_summary_at": None if self.settings.daily_summary_at is None
            else self.settings.daily_summary_at.strftime("%H:%M")})

    def _run(self, sender: Sender) -> None:
        if not sender.idle:
            try:
                warm_up()
            except Exception:  # sending will say what is wrong, target by target
                logger.exception("notifier_warm_up_failed")
        while not self._stop.is_set():
            try:
                sender.run_round()
            except Exception:  # a database away for a moment must not end the thread
                logger.exception("notifier_round_failed")
            self._stop.wait(POLL_S)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
            self._thread = None
