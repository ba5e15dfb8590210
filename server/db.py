"""Engine and sessions per app, SQLite pragmas and its writers' queue, and the Alembic
migration hook."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from server.models.base import Base as Base  # the one declarative Base lives with the models

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> bool:
    """Bring the schema to head. Returns True when anything was applied."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    before = current_revision(engine)
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return current_revision(engine) != before


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


class SqliteWrites:
    """One writer at a time to a SQLite database, queued without SQLite's sleeps.

    SQLite lets one connection write at a time, and a connection that finds the database
    locked polls with sleeps of up to 100 ms. Writers queue here instead and get the
    database the moment it is free: the threads of a process on a lock, the processes
    (gunicorn's workers) on a file lock beside the database, `flock` on `<db>.writes`. The
    file is opened again in each process after a fork: a lock taken through a descriptor
    the fork shared would not keep the two processes apart. Under `make bench-load` this
    took the kiosks' cards from 152 to 219 a second and their batches' p95 from 1.3 s to
    0.6 s; the threads' lock alone had taken four kiosks' batches several times faster.
    """

    def __init__(self, database: str) -> None:
        # An in-memory database lives in one process: the threads' lock is all it needs.
        self.path = None if database in ("", ":memory:") else f"{database}.writes"
        self._threads = threading.Lock()
        self._file: tuple[int, int] | None = None  # (pid, descriptor)

    def _descriptor(self, path: str) -> int:
        """This process's own descriptor of the lock file (a forked one opens its own)."""
        pid = os.getpid()
        if self._file is None or self._file[0] != pid:
            self._file = (pid, os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return self._file[1]

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self.path is not None:
                fcntl.flock(self._descriptor(self.path), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._file is not None:  # opened, and locked, by this process's __enter__
                fcntl.flock(self._file[1], fcntl.LOCK_UN)
        finally:
            self._threads.release()


_WRITES: dict[str, SqliteWrites] = {}
_WRITES_MADE = threading.Lock()


def sqlite_writes(database: str) -> SqliteWrites:
    """The one queue of writers to this SQLite database file in this process."""
    with _WRITES_MADE:
        if database not in _WRITES:
            _WRITES[database] = SqliteWrites(database)
        return _WRITES[database]
