"""Fault-test helpers: a plant (server data with one kiosk), an enrolled kiosk store, the
screenless kiosk writer as a subprocess, and the one assertion every fault test makes.

The assertion: every event the kiosk showed as done is stored on the server exactly once,
and nothing is stored that the kiosk did not make (each stored event carries the number
the writer announced with ``intent`` before writing it, and no number is stored twice).
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from kiosk.link.enrolment import enrol
from kiosk.store import Store
from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.services.devices.kiosks import add_kiosk
from server.services.setup import initialise
from support.factory import small_factory
from support.live_server import LiveServer

T = TypeVar("T")
WRITER = Path(__file__).with_name("kiosk_writer.py")
READER = re.compile(r"^fault-(\d+)$")


def plant_server(data_dir: Path, **kwargs: object) -> tuple[LiveServer, str]:
    """A (not yet started) server whose SQLite database has workshop W1 (worker A00) and a
    kiosk K1; and K1's one-time enrolment code."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'shopfloor.db'}"
    config = Config.from_env(data_dir=data_dir, database_url=url, timezone="Asia/Shanghai")
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            initialise(engine, session, "admin password 1")
            small_factory(session, datetime.now(config.zone).date())
            code = add_kiosk(session, "K1", ["W1"], actor="test").code
            session.commit()
    finally:
        engine.dispose()
    server = LiveServer(data_dir, env={"SHOPFLOOR_DATABASE_URL": url}, **kwargs)  # type: ignore[arg-type]
    return server, code


def enrol_store(kiosk_dir: Path, server: LiveServer, code: str) -> None:
    store = Store(kiosk_dir / "kiosk.sqlite3")
    try:
        enrol(store, server.payload(code), server_url=server.url)
    finally:
        store.close()


def stored_batches(server: LiveServer) -> list[list[tuple[str, int]]]:
    """The badge-ins the server holds as (uuid, the writer's number), one list per request
    that brought them (the server stamps a request's events with one received_at), in the
    order it received them."""
    db = sqlite3.connect(f"file:{server.data_dir / 'shopfloor.db'}?mode=ro", uri=True,
                         timeout=30)
    try:
        rows = db.execute("SELECT uuid, payload, received_at FROM events "
                          "WHERE kind = 'badge_in' ORDER BY received_at, id").fetchall()
    finally:
        db.close()
    batches: dict[str, list[tuple[str, int]]] = {}
    for event_uuid, payload, received_at in rows:
        reader = json.loads(payload).get("reader") or ""
        match = READER.match(reader)
        assert match, f"stored event {event_uuid} was not made by the kiosk: {payload}"
        batches.setdefault(received_at, []).append((event_uuid, int(match.group(1))))
    return list(batches.values())


def stored(server: LiveServer) -> dict[str, int]:
    """uuid -> the writer's number, for every badge-in the server holds."""
    return {u: n for batch in stored_batches(server) for u, n in batch}


@dataclass
class Ledger:
    """What the kiosk writers said, over any number of runs."""

    intents: set[int] = field(default_factory=set)
    done: dict[str, int] = field(default_factory=dict)

    def read(self, output: str) -> None:
        for line in output.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "intent":
                self.intents.add(int(parts[1]))
            elif len(parts) == 3 and parts[0] == "done":
                self.done[parts[2]] = int(parts[1])

    def check(self, server: LiveServer) -> dict[str, int]:
        batches = stored_batches(server)
        found = {u: n for batch in batches for u, n in batch}
        missing = sorted(set(self.done) - set(found))
        assert not missing, f"{len(missing)} events shown as done are not stored: {missing[:5]}"
        numbers = list(found.values())
        assert len(numbers) == len(set(numbers)), "an event is stored twice"
        strangers = sorted(set(numbers) - self.intents)
        assert not strangers, f"stored events the kiosk never made: {strangers[:5]}"
        for event_uuid, n in self.done.items():
            assert found[event_uuid] == n, f"event {event_uuid} stored with another body"
        # The outbox drains oldest first: each request brought only events made after all
        # those of the requests before it.
        spans = [(min(n for _, n in b), max(n for _, n in b)) for b in batches]
        inversions = [(a, b) for a, b in zip(spans, spans[1:], strict=False) if a[1] > b[0]]
        assert not inversions, f"batches stored out of order: {inversions[:5]}"
        return found


def writer_command(kiosk_dir: Path, url: str, *, first: int = 0, count: int = 0,
                   pause: float = 0.0, drain: float = 0.0) -> list[str]:
    return [sys.executable, str(WRITER), str(kiosk_dir), "--server", url, "--first", str(first),
            "--count", str(count), "--pause", str(pause), "--drain", str(drain)]


def start_writer(command: list[str], out: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def wait_for_line(out: Path, word: str, process: subprocess.Popen[bytes],
                  timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(line.split()[:1] == [word] for line in out.read_text().splitlines()):
            return True
        if process.poll() is not None:
            return any(line.split()[:1] == [word] for line in out.read_text().splitlines())
        time.sleep(0.01)
    return False


def drain(kiosk_dir: Path, url: str, ledger: Ledger, out: Path, timeout: float = 60) -> None:
    """Run the writer with nothing new to write until the outbox is empty."""
    result = subprocess.run(writer_command(kiosk_dir, url, drain=timeout), capture_output=True,
                            text=True, timeout=timeout + 30, check=False)
    out.write_text(result.stdout + result.stderr)
    ledger.read(result.stdout)
    assert "drained" in result.stdout.split(), f"the outbox did not drain: {out}"


def hr(server: LiveServer, action: Callable[[Session], T]) -> T:
    """Run `action` on the server's database as HR would through the admin, and commit."""
    engine = make_engine(server.env["SHOPFLOOR_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as session:
            result = action(session)
            session.commit()
            return result
    finally:
        engine.dispose()


def event_count(server: LiveServer) -> int:
    """Every event the server holds, of any kind."""
    db = sqlite3.connect(f"file:{server.data_dir / 'shopfloor.db'}?mode=ro", uri=True,
                         timeout=30)
    try:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    finally:
        db.close()
