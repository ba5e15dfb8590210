"""The store's SQLite file: its schema, in-place upgrades, the file modes, the lock, and the
settings table. `kiosk.store.Store` builds on this (with kiosk/store_outbox.py and
kiosk/store_trust.py); nothing else uses it directly.

The file holds the device token, the site key and the sealing key (kiosk/store_trust.py):
the data folder is made 0700 and the database with its ``-wal`` and ``-shm`` files 0600,
readable by the kiosk's user only, every time a store opens (a folder made by hand, or
by an older kiosk, is put right). Deleted rows are overwritten (``secure_delete``): an
unknown card's number, sent and pruned, leaves no trace in the file.

An older kiosk's file is upgraded in place: tables missing are made, and columns missing
from ``outbox`` are added (``ALTER TABLE ADD COLUMN``). The outbox's ``server_id`` of the
rows already there is the server pinned at the upgrade (kiosk/store_outbox.py).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kiosk.clock import Clock, SystemClock
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
CREATE TABLE IF NOT EXISTS pin_failures (supervisor TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL, failures INTEGER NOT NULL, last_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refused_acts (uuid TEXT PRIMARY KEY, supervisor TEXT NOT NULL,
    kind TEXT NOT NULL, worker TEXT, reason TEXT NOT NULL, refused_at REAL NOT NULL,
    told_at REAL);
"""

# Columns the outbox gained after its first version: added to an older file when missing.
# kiosk_time: the raw kiosk clock; proof: the seal of a supervisor's act (JSON); server_id:
# the server the event was made for; boot_id, since_boot: when it was made, by the boot's
# own clock; corrected: whether occurred_at already has the server's offset in it.
OUTBOX_COLUMNS = {
    "kiosk_time": "TEXT",
    "proof": "TEXT",
    "server_id": "TEXT",
    "boot_id": "TEXT",
    "since_boot": "REAL",
    "corrected": "INTEGER NOT NULL DEFAULT 1",
}

FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    folder.chmod(FOLDER_MODE)


def _private_files(path: Path) -> None:
    for file in (path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)):
        if file.exists():
            file.chmod(FILE_MODE)


class StoreBase:
    """One SQLite file; safe to share between the UI thread and the sync thread."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = path
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        try:
            _private_folder(path.parent)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
            _private_files(path)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten
            self._db.executescript(SCHEMA)
            self._upgrade()
            _private_files(path)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the kiosk store at {path}: {exc}") from exc

    def _upgrade(self) -> None:
        """Add the outbox columns an older kiosk's file lacks; the rows already there were
        made for the server pinned now."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        for column, declaration in OUTBOX_COLUMNS.items():
            if column not in have:
                self._db.execute(f"ALTER TABLE outbox ADD COLUMN {column} {declaration}")
                if column == "server_id":
                    self._db.execute("UPDATE outbox SET server_id = (SELECT value FROM "
                                     "settings WHERE key = 'server_id')")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store query failed: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Statements that must all be written or none (``BEGIN IMMEDIATE``)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"store transaction failed: {exc}") from exc
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"store transaction failed: {exc}") from exc
                raise

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

    def set_settings(self, values: dict[str, str]) -> None:
        """Several settings at once: all of them or none."""
        with self._transaction() as db:
            db.executemany("INSERT INTO settings (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           list(values.items()))

    def delete_setting(self, key: str) -> None:
        self._execute("DELETE FROM settings WHERE key = ?", (key,))
