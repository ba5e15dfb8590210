"""Fixtures shared by every test: a temporary data folder and a migrated database."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from server import create_app
from server.config import Config
from server.db import make_engine, make_sessionmaker, migrate
from server.services.devices.identity import ensure_server_id
from server.services.scores.aggregates import establish
from support.postgres import PrivateCluster

# mDNS never leaves loopback on the machines the tests run on.
os.environ.setdefault("SHOPFLOOR_MDNS_INTERFACES", "127.0.0.1")


# Every database test runs on both engines; SHOPFLOOR_TEST_ENGINES=sqlite narrows a quick
# local run. CI runs both (make test installs PostgreSQL).
ENGINES = [e for e in os.environ.get("SHOPFLOOR_TEST_ENGINES", "sqlite,postgresql").split(",")
           if e]
PG_TEMPLATE = "shopfloor_template"


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """A `shopfloor-server` command run in-process points the root logger at the stderr of
    the moment (pytest's capture, closed after the test); later log lines, such as the
    audit chain's `audit_head` after every commit, would fail to write. Put it back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PrivateCluster]:
    """One private PostgreSQL server for the session, with a migrated template database
    that each test copies (a copy takes milliseconds, a migration a second)."""
    cluster = PrivateCluster()
    try:
        cluster.start()
        cluster.execute(f'CREATE DATABASE "{PG_TEMPLATE}"')
        engine = make_engine(cluster.url(PG_TEMPLATE))
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            ensure_server_id(session)
            session.commit()
        engine.dispose()
        yield cluster
    finally:
        cluster.stop()


class _TemplateCopies:
    """Copies of the template database, each made one test ahead in a thread while the
    test before runs, and dropped behind it the same way: a copy takes a tenth of a
    second, which a thousand PostgreSQL tests would otherwise each wait for."""

    def __init__(self, cluster: PrivateCluster) -> None:
        self.cluster = cluster
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copies")
        self._ahead: Future[str] | None = None

    def _copy(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.cluster.execute(f'CREATE DATABASE "{name}" TEMPLATE "{PG_TEMPLATE}"')
        return name

    def take(self) -> str:
        name = self._ahead.result() if self._ahead is not None else self._copy()
        self._ahead = self._worker.submit(self._copy)
        return name

    def drop(self, name: str) -> None:
        self._worker.submit(self.cluster.execute, f'DROP DATABASE "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._worker.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_copies(pg_cluster: PrivateCluster) -> Iterator[_TemplateCopies]:
    copies = _TemplateCopies(pg_cluster)
    yield copies
    copies.close()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'shopfloor.db'}"
        return
    copies: _TemplateCopies = request.getfixturevalue("pg_copies")
    name = copies.take()
    yield copies.cluster.url(name)
    copies.drop(name)


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path,
                       request: pytest.FixtureRequest) -> Iterator[str]:
    """A second database on the same engine as `database_url`, with no tables at all."""
    if database_url.startswith("sqlite"):
        (tmp_path / "empty").mkdir()
        yield f"sqlite:///{tmp_path / 'empty' / 'shopfloor.db'}"
        return
    cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
    name = f"e_{uuid.uuid4().hex[:16]}"
    cluster.execute(f'CREATE DATABASE "{name}"')
    yield cluster.url(name)
    cluster.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config.from_env(
        data_dir=tmp_path / "data",
        database_url=database_url,
        timezone="Asia/Shanghai",
        testing=True,
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database made once a session, which each SQLite test copies as
    PostgreSQL tests copy `PG_TEMPLATE` (a migration takes a quarter of a second, and a
    thousand tests took it each)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "shopfloor.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        ensure_server_id(session)
        session.commit()
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def migrated(config: Config, request: pytest.FixtureRequest) -> Config:
    if config.database_url.startswith("sqlite:///"):
        target = Path(config.database_url.removeprefix("sqlite:///"))
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
    engine = make_engine(config.database_url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        ensure_server_id(session)
        establish(session, config.zone)  # day sums kept from the first record, as a server's
        session.commit()
    engine.dispose()
    return config


@pytest.fixture
def app(migrated: Config) -> Iterator[Flask]:
    app = create_app(migrated)
    yield app
    app.extensions["shopfloor.engine"].dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.extensions["shopfloor.sessionmaker"]() as session:
        yield session


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session; tests open their own contexts and pages."""
    from playwright.sync_api import sync_playwright

    from support.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[object]:
    """A real server process on a free port with an initialised, empty database."""
    from support.live_server import LiveServer

    server = LiveServer(tmp_path / "live", env={"SHOPFLOOR_ADMIN_PASSWORD": "admin password 1"})
    server.start()
    yield server
    server.stop()
