"""The kiosk's local SQLite store: settings, roster and scorecard caches, the event outbox,
and the notices told here.

Cached answers (``cached``): a worker's points account, the rewards catalogue, a
workshop's pending hand-overs, each with the time it was fetched (the "as of" note).
``redeem_refused`` keeps each ``reward_redeem`` the server rejected, with its reason, until
the worker has been told (at once if still on screen, else on their next card).

The outbox is a state machine (see :class:`OutboxState`): an event is written ``pending``
with ``synchronous=FULL`` before the screen says "done"; the sync worker claims a batch
(``in_flight``), then acks each item (``sent``) or nacks it (back to ``pending`` to retry,
or ``failed`` when the server rejected it). Rows left ``in_flight`` by a crash go back to
``pending`` when the store opens; ``sent`` rows are pruned.

A notice (a decision the server asks the kiosk to tell) stays in the worker's cards until
the server has this kiosk's ``notice_seen`` event. ``notices_seen`` remembers the ones told
here, so that a visit before the event is sent (or before a fresh card replaces the
cached one) does not tell them again; marks are forgotten after ``NOTICE_MARK_DAYS``.
"""

from __future__ import annotations

import enum
import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS roster (id INTEGER PRIMARY KEY CHECK (id = 1),
    etag TEXT, body TEXT NOT NULL, fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS scorecards (worker TEXT NOT NULL, period TEXT NOT NULL,
    body TEXT NOT NULL, fetched_at REAL NOT NULL, PRIMARY KEY (worker, period));
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, worker TEXT, occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE TABLE IF NOT EXISTS photos (worker TEXT PRIMARY KEY, url TEXT NOT NULL,
    body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS video_files (sha256 TEXT PRIMARY KEY, name TEXT NOT NULL,
    size INTEGER NOT NULL, last_used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS watched (worker TEXT NOT NULL, video INTEGER NOT NULL,
    seconds REAL NOT NULL, completed INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL,
    PRIMARY KEY (worker, video));
CREATE TABLE IF NOT EXISTS notices_seen (worker TEXT NOT NULL, notice INTEGER NOT NULL,
    seen_at REAL NOT NULL, PRIMARY KEY (worker, notice));
CREATE TABLE IF NOT EXISTS cached (key TEXT PRIMARY KEY, body TEXT NOT NULL,
    fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS redeem_refused (uuid TEXT PRIMARY KEY, worker TEXT,
    reward TEXT NOT NULL, reason TEXT NOT NULL, refused_at REAL NOT NULL, told_at REAL);
"""
NOTICE_MARK_DAYS = 60


class OutboxState(enum.Enum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxItem:
    uuid: str
    kind: str
    worker: str | None
    occurred_at: str
    payload: dict[str, Any]
    attempts: int

    def as_api(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "kind": self.kind,
            "worker": self.worker,
            "occurred_at": self.occurred_at,
            "payload": self.payload,
        }


@dataclass(frozen=True)
class CachedScorecard:
    body: dict[str, Any]
    fetched_at: float


def claims_key(workshop: str) -> str:
    """The settings key under which the pending claims of ``workshop`` are cached."""
    return f"pending_claims:{workshop}"


def points_key(worker: str) -> str:
    """The cache key of ``worker``'s points account (GET /workers/<code>/points)."""
    return f"points:{worker}"


REWARDS_KEY = "rewards"


def redemptions_key(workshop: str) -> str:
    """The cache key of the redemptions of ``workshop`` waiting to be handed over."""
    return f"redemptions:{workshop}"


def reward_picture_key(code: str) -> str:
    """The photos row of a reward's picture (the photos table holds it beside workers')."""
    return f"reward:{code}"


@dataclass(frozen=True)
class Refusal:
    uuid: str
    worker: str | None
    reward: str
    reason: str


def scorecard_etag_key(worker: str, period: str) -> str:
    """The settings key of the ETag of the cached scorecard of ``worker`` for ``period``."""
    return f"scorecard_etag:{worker}:{period}"


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


class Store:
    """One SQLite file; safe to share between the UI thread and the sync thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the kiosk store at {path}: {exc}") from exc
        self._lock = threading.Lock()
        self._execute(
            "UPDATE outbox SET state = ?, updated_at = ? WHERE state = ?",
            (OutboxState.PENDING.value, time.time(), OutboxState.IN_FLIGHT.value),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store query failed: {exc}") from exc

    # cached answers ---------------------------------------------------------------------
    def cached(self, key: str) -> CachedScorecard | None:
        rows = self._execute("SELECT body, fetched_at FROM cached WHERE key = ?", (key,))
        return CachedScorecard(json.loads(rows[0][0]), rows[0][1]) if rows else None

    def save_cached(self, key: str, body: Any) -> None:
        self._execute(
            "INSERT INTO cached (key, body, fetched_at) VALUES (?, ?, ?) ON CONFLICT (key) "
            "DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at",
            (key, json.dumps(body, ensure_ascii=False), time.time()),
        )

    # refused redemptions ----------------------------------------------------------------
    def add_refusal(self, event_uuid: str, worker: str | None, reward: str, reason: str
                    ) -> None:
        self._execute(
            "INSERT OR IGNORE INTO redeem_refused (uuid, worker, reward, reason, refused_at) "
            "VALUES (?, ?, ?, ?, ?)", (event_uuid, worker, reward, reason, time.time()))

    def untold_refusals(self, worker: str) -> list[Refusal]:
        rows = self._execute(
            "SELECT uuid, worker, reward, reason FROM redeem_refused "
            "WHERE worker = ? AND told_at IS NULL ORDER BY refused_at", (worker,))
        return [Refusal(*row) for row in rows]

    def mark_refusal_told(self, event_uuid: str) -> None:
        self._execute("UPDATE redeem_refused SET told_at = ? WHERE uuid = ?",
                      (time.time(), event_uuid))

    def queued(self, kind: str, worker: str | None = None) -> list[OutboxItem]:
        """Events of ``kind`` not yet taken by the server (pending or in flight)."""
        rows = self._execute(
            "SELECT uuid, kind, worker, occurred_at, payload, attempts FROM outbox "
            "WHERE kind = ? AND state IN (?, ?) AND (? IS NULL OR worker = ?) ORDER BY seq",
            (kind, OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value, worker, worker))
        return [OutboxItem(u, k, w, o, json.loads(p), a) for u, k, w, o, p, a in rows]

    # settings -----------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        rows = self._execute("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_setting(self, key: str) -> None:
        self._execute("DELETE FROM settings WHERE key = ?", (key,))

    # roster -------------------------------------------------------------------------
    def roster(self) -> tuple[dict[str, Any] | None, str | None]:
        rows = self._execute("SELECT body, etag FROM roster WHERE id = 1")
        return (json.loads(rows[0][0]), rows[0][1]) if rows else (None, None)

    def save_roster(self, body: dict[str, Any], etag: str | None) -> None:
        self._execute(
            "INSERT INTO roster (id, etag, body, fetched_at) VALUES (1, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET etag = excluded.etag, body = excluded.body, "
            "fetched_at = excluded.fetched_at",
            (etag, json.dumps(body, ensure_ascii=False), time.time()),
        )

    # scorecards ---------------------------------------------------------------------
    def scorecard(self, worker: str, period: str) -> CachedScorecard | None:
        rows = self._execute(
            "SELECT body, fetched_at FROM scorecards WHERE worker = ? AND period = ?",
            (worker, period),
        )
        return CachedScorecard(json.loads(rows[0][0]), rows[0][1]) if rows else None

    def save_scorecard(self, worker: str, period: str, body: dict[str, Any]) -> None:
        self._execute(
            "INSERT INTO scorecards (worker, period, body, fetched_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (worker, period) DO UPDATE SET body = excluded.body, "
            "fetched_at = excluded.fetched_at",
            (worker, period, json.dumps(body, ensure_ascii=False), time.time()),
        )

    # worker photos ------------------------------------------------------------------
    def photo(self, worker: str) -> tuple[str, bytes] | None:
        rows = self._execute("SELECT url, body FROM photos WHERE worker = ?", (worker,))
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    def save_photo(self, worker: str, url: str, body: bytes) -> None:
        self._execute(
            "INSERT INTO photos (worker, url, body) VALUES (?, ?, ?) ON CONFLICT (worker) "
            "DO UPDATE SET url = excluded.url, body = excluded.body",
            (worker, url, body),
        )

    # training videos: verified files on disk, and what each worker has watched here ----
    def video_files(self) -> dict[str, tuple[str, int, float]]:
        """sha256 -> (file name, size, last used) of every verified video on disk."""
        rows = self._execute("SELECT sha256, name, size, last_used FROM video_files")
        return {r[0]: (r[1], int(r[2]), float(r[3])) for r in rows}

    def save_video_file(self, sha256: str, name: str, size: int) -> None:
        self._execute(
            "INSERT INTO video_files (sha256, name, size, last_used) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sha256) DO UPDATE SET name = excluded.name, size = excluded.size",
            (sha256, name, size, time.time()),
        )

    def touch_video_file(self, sha256: str) -> None:
        """Played just now: the last to be evicted."""
        self._execute("UPDATE video_files SET last_used = ? WHERE sha256 = ?",
                      (time.time(), sha256))

    def forget_video_file(self, sha256: str) -> None:
        self._execute("DELETE FROM video_files WHERE sha256 = ?", (sha256,))

    def watched(self, worker: str) -> dict[int, tuple[float, bool]]:
        """video id -> (seconds watched, completed) for the worker, as far as this kiosk
        knows (its own playback, and the server's answer in the scorecard)."""
        rows = self._execute("SELECT video, seconds, completed FROM watched WHERE worker = ?",
                             (worker,))
        return {int(r[0]): (float(r[1]), bool(r[2])) for r in rows}

    def save_watched(self, worker: str, video: int, seconds: float, completed: bool) -> None:
        """Keep the furthest point and, once completed, stay completed."""
        self._execute(
            "INSERT INTO watched (worker, video, seconds, completed, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (worker, video) DO UPDATE SET "
            "seconds = MAX(seconds, excluded.seconds), "
            "completed = MAX(completed, excluded.completed), updated_at = excluded.updated_at",
            (worker, video, seconds, int(completed), time.time()),
        )

    # notices told here --------------------------------------------------------------
    def seen_notices(self, worker: str) -> set[int]:
        rows = self._execute("SELECT notice FROM notices_seen WHERE worker = ?", (worker,))
        return {int(r[0]) for r in rows}

    def mark_notice_seen(self, worker: str, notice: int) -> None:
        now = time.time()
        self._execute(
            "INSERT INTO notices_seen (worker, notice, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (worker, notice) DO NOTHING", (worker, notice, now))
        self._execute("DELETE FROM notices_seen WHERE seen_at < ?",
                      (now - NOTICE_MARK_DAYS * 86400,))

    # outbox -------------------------------------------------------------------------
    def enqueue(self, kind: str, worker: str | None, payload: dict[str, Any]) -> str:
        """Write an event durably and return its UUID; only then may the screen say done."""
        event_uuid = str(uuid.uuid4())
        self._execute(
            "INSERT INTO outbox (uuid, kind, worker, occurred_at, payload, state, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event_uuid,
                kind,
                worker,
                now_iso(),
                json.dumps(payload, ensure_ascii=False),
                OutboxState.PENDING.value,
                time.time(),
            ),
        )
        return event_uuid

    def claim_batch(self, limit: int = 50) -> list[OutboxItem]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                rows = self._db.execute(
                    "SELECT uuid, kind, worker, occurred_at, payload, attempts FROM outbox "
                    "WHERE state = ? ORDER BY seq LIMIT ?",
                    (OutboxState.PENDING.value, limit),
                ).fetchall()
                self._db.executemany(
                    "UPDATE outbox SET state = ?, updated_at = ? WHERE uuid = ?",
                    [(OutboxState.IN_FLIGHT.value, time.time(), r[0]) for r in rows],
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot claim outbox items: {exc}") from exc
        return [OutboxItem(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    def ack(self, event_uuid: str) -> None:
        self._set_state(event_uuid, OutboxState.SENT, None)

    def nack(self, event_uuid: str, error: str, *, permanent: bool = False) -> None:
        state = OutboxState.FAILED if permanent else OutboxState.PENDING
        self._set_state(event_uuid, state, error)

    def _set_state(self, event_uuid: str, state: OutboxState, error: str | None) -> None:
        self._execute(
            "UPDATE outbox SET state = ?, last_error = ?, attempts = attempts + 1, "
            "updated_at = ? WHERE uuid = ? AND state = ?",
            (state.value, error, time.time(), event_uuid, OutboxState.IN_FLIGHT.value),
        )

    def prune_sent(self, older_than_s: float = 0.0) -> int:
        cutoff = time.time() - older_than_s
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM outbox WHERE state = ? AND updated_at <= ?",
                (OutboxState.SENT.value, cutoff),
            )
            return cursor.rowcount

    def depth(self) -> int:
        rows = self._execute(
            "SELECT COUNT(*) FROM outbox WHERE state IN (?, ?)",
            (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value),
        )
        return int(rows[0][0])

    def counts(self) -> dict[str, int]:
        rows = self._execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        counts = {state.value: 0 for state in OutboxState}
        counts.update({state: int(n) for state, n in rows})
        return counts

    def state_of(self, event_uuid: str) -> OutboxState | None:
        rows = self._execute("SELECT state FROM outbox WHERE uuid = ?", (event_uuid,))
        return OutboxState(rows[0][0]) if rows else None
