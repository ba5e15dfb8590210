"""The kiosk's local SQLite store: settings, roster and scorecard caches, the event outbox,
the server's keys, and what the kiosk must remember to tell people.

One class, `Store`, in parts: the file, its schema and modes and the settings
(kiosk/store_db.py); the server's keys, supervisors' wrong PINs and refused acts
(kiosk/store_trust.py); the outbox (kiosk/store_outbox.py); the caches here.

Scorecards are cached per worker and period with the time each was fetched, or last found
unchanged (``touch_scorecards``, a 304); the background prefetch keeps the roster's cards
there and forgets those of workers who left it (``prune_scorecards``), so the cache is as
large as the roster (kiosk/background/fetches.py).

Cached answers (``cached``): a worker's points account, the rewards catalogue, a
workshop's pending hand-overs, each with the time it was fetched (the "as of" note).
``redeem_refused`` keeps each ``reward_redeem`` the server rejected, with its reason, until
the worker has been told (at once if still on screen, else on their next card).

A notice (a decision the server asks the kiosk to tell) stays in the worker's cards until
the server has this kiosk's ``notice_seen`` event. ``notices_seen`` remembers the ones told
here, so that a visit before the event is sent (or before a fresh card replaces the
cached one) does not tell them again; marks are forgotten after ``NOTICE_MARK_DAYS``.

Everything the kiosk learnt from one server (roster, cards, photos, caches, wrong PINs) is
forgotten when a technician enrols it to another (`Store.forget_server_data`); the old
server's unsent events stay, held for it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.errors import NoSealingKey, StoreError
from kiosk.store_outbox import ACT_KINDS, OutboxItem, OutboxMixin, OutboxState
from kiosk.store_trust import Keys, RefusedAct, parse_keys

__all__ = ["ACT_KINDS", "REWARDS_KEY", "CachedScorecard", "Keys", "NoSealingKey",
           "OutboxItem", "OutboxState", "RefusedAct", "Refusal", "Store", "StoreError",
           "claims_key", "now_iso", "parse_keys", "points_key", "redemptions_key",
           "reward_picture_key", "scorecard_etag_key"]

NOTICE_MARK_DAYS = 60


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


def growth_key(worker: str) -> str:
    """The cache key of ``worker``'s growth record (GET /workers/<code>/growth)."""
    return f"growth:{worker}"


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


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching what starts with ``prefix``."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


class Store(OutboxMixin):
    """One SQLite file; safe to share between the UI thread and the sync thread."""

    def forget_server_data(self) -> None:
        """Forget what the kiosk learnt from its server (a technician enrolled it to
        another): roster, cards, photos, cached answers, notices told, wrong PINs, keys.
        Unsent events stay, each held for the server it was made for."""
        with self._transaction() as db:
            for table in ("roster", "scorecards", "photos", "cached", "notices_seen",
                          "pin_failures"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (names from this list)
            db.execute("DELETE FROM settings WHERE key IN ('site_key', 'sealing_key', "
                       "'sealing_key_id', 'rewards_etag', 'clock_boot_id', "
                       "'clock_boot_offset', 'alerts_acked', 'handed_over', "
                       "'language_overrides') "
                       "OR key LIKE 'pending_claims:%' "
                       "OR key LIKE 'scorecard_etag:%'")

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

    def touch_scorecards(self, keys: list[tuple[str, str]]) -> None:
        """The server says these cached cards ((worker, period) each) are unchanged (304):
        they are current as of now. One transaction: one write to the disk for a round."""
        if not keys:
            return
        now = time.time()
        with self._transaction() as db:
            db.executemany("UPDATE scorecards SET fetched_at = ? WHERE worker = ? AND "
                           "period = ?", [(now, worker, period) for worker, period in keys])

    def scorecard_times(self) -> dict[tuple[str, str], float]:
        """(worker, period) -> when each cached card was fetched (or last found unchanged)."""
        rows = self._execute("SELECT worker, period, fetched_at FROM scorecards")
        return {(r[0], r[1]): float(r[2]) for r in rows}

    def scorecard_periods(self, worker: str) -> list[str]:
        rows = self._execute("SELECT period FROM scorecards WHERE worker = ? ORDER BY period",
                             (worker,))
        return [r[0] for r in rows]

    def prune_scorecards(self, keep_workers: set[str]) -> int:
        """Forget the cards (and their ETags) of workers not in ``keep_workers`` (no longer
        on the roster): the cache stays as large as the roster. How many workers went."""
        gone = sorted({r[0] for r in self._execute("SELECT DISTINCT worker FROM scorecards")}
                      - keep_workers)
        with self._transaction() as db:
            for worker in gone:
                db.execute("DELETE FROM scorecards WHERE worker = ?", (worker,))
                db.execute("DELETE FROM settings WHERE key LIKE ? ESCAPE '\\'",
                           (_like_prefix(f"scorecard_etag:{worker}:"),))
        return len(gone)

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
