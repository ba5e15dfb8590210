"""A private PostgreSQL cluster for the tests: Debian's server binaries, our own data
folder, a loopback port, stopped by PID when the session ends.

PostgreSQL refuses to run as root, so when the tests run as root the cluster runs as the
`postgres` user (the Debian package creates it) through `runuser`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from support.live_server import free_port


def _bin_dir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                      key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs the "
                           "postgresql package (scripts/packages/test-postgres.txt)")
    return versions[-1].parent


class PrivateCluster:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        # Under /tmp with open permissions: pytest's own temp folders are private to
        # root, and the server runs as another user.
        self.base = Path(tempfile.mkdtemp(prefix="shopfloor-pg-"))
        self.base.chmod(0o755)
        self.data = self.base / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._as_postgres = os.geteuid() == 0

    def _command(self, *argv: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self._as_postgres else list(argv)

    def start(self) -> None:
        self.data.mkdir()
        if self._as_postgres:
            shutil.chown(self.data, "postgres", "postgres")
        subprocess.run(self._command(str(self.bin / "initdb"), "-D", str(self.data), "-U",
                                     "postgres", "--auth=trust", "-E", "UTF8",
                                     "--locale=C.UTF-8"),
                       check=True, capture_output=True, timeout=120)
        self.launch()

    def launch(self, timeout: float = 60) -> None:
        """Start the server on the data folder `initdb` made, and wait until it answers."""
        log = (self.base / "server.log").open("ab")
        # Durability off: the tests need a real server, not a crash-safe one.
        self.process = subprocess.Popen(
            self._command(str(self.bin / "postgres"), "-D", str(self.data), "-p",
                          str(self.port), "-k", str(self.data), "-c",
                          "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                          "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                          "max_connections=200"),
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start: "
                                       + (self.base / "server.log").read_text()[-2000:]
                                       ) from None
                time.sleep(0.1)

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @contextmanager
    def migrated_database(self, prefix: str) -> Iterator[str]:
        """A fresh database made from the migrated template, for one test or module: its
        URL; dropped afterwards."""
        name = f"{prefix}_{uuid.uuid4().hex[:16]}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "shopfloor_template"')
        try:
            yield self.url(name)
        finally:
            self.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
        shutil.rmtree(self.base, ignore_errors=True)
