"""SQLite's writers queue (server/db.py `SqliteWrites`): the batches of two server
processes (gunicorn's workers) wait for each other on a file lock, not in SQLite's sleeps."""

from __future__ import annotations

import multiprocessing
import stat
import time
from pathlib import Path
from typing import Any

from server.db import SqliteWrites

HOLD_S = 0.5


def _write_when_told(writes: SqliteWrites, go: Any, got: Any) -> None:
    go.wait(10)
    with writes:
        got.value = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process


def test_a_forked_process_waits_for_the_holder_of_the_lock(tmp_path: Path) -> None:
    writes = SqliteWrites(str(tmp_path / "shopfloor.db"))
    with writes:  # the file is opened here, before the fork, as in gunicorn's master
        pass
    context = multiprocessing.get_context("fork")
    go, got = context.Event(), context.Value("d", 0.0)
    child = context.Process(target=_write_when_told, args=(writes, go, got))
    child.start()
    try:
        with writes:
            go.set()
            time.sleep(HOLD_S)
            released = time.monotonic()
        child.join(10)
    finally:
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    assert got.value >= released, "the other process wrote while this one held the lock"


def test_the_lock_file_sits_beside_the_database_for_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "shopfloor.db"
    with SqliteWrites(str(database)):
        pass
    lock = tmp_path / "shopfloor.db.writes"
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def test_an_in_memory_database_needs_no_file(tmp_path: Path) -> None:
    for database in ("", ":memory:"):
        with SqliteWrites(database):
            pass
    assert list(tmp_path.iterdir()) == []
