"""Kiosks post overlapping batches at once to the real server (gunicorn, two workers) on
SQLite: each event is stored once, and the day sums kept on write equal the sums rebuilt
from the records (`aggregates rebuild --check`). The two workers' batches queue on the
writers' file lock (server/db.py `SqliteWrites`), and the sums take no row locks on SQLite:
this is the test that a batch summing a day never misses another's records."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from server.db import make_engine, make_sessionmaker, migrate
from server.models import Event, WorkerDaySums
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.scores.aggregates import rebuild
from support.factory import bearer, build_factory, make_event
from support.live_server import LiveServer, run_kiosks

KIOSKS = 8
BATCH = 10
DEADLINE_S = 60


def _pool() -> list[dict[str, Any]]:
    """Four days of two workers' taps and counts, a few minutes apart from 08:00 (UTC)."""
    events = []
    for day in range(1, 5):
        start = (datetime.now(UTC) - timedelta(days=day)).replace(
            hour=1, minute=0, second=0, microsecond=0)
        for i in range(30):
            worker = ("W001", "W002")[i % 2]
            at = start + timedelta(minutes=3 * i)
            events.append(make_event("badge_in", worker=worker, occurred_at=at) if i % 3
                          else make_event("output", worker=worker, occurred_at=at,
                                          payload={"machine": ("M1", "M2")[i % 2],
                                                   "count": 1 + i % 5}))
    return events


def test_kiosks_at_once_on_sqlite_keep_the_day_sums_right(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shopfloor.db'}"
    engine = make_engine(url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        tokens = [build_factory(session).kiosk_token]
        tokens += [enroll(session, add_kiosk(session, f"line-{n}", ["W1"], "test").code)[1]
                   for n in range(KIOSKS - 1)]
        session.commit()
    pool = _pool()
    server = LiveServer(tmp_path / "server", workers=2,
                        env={"SHOPFLOOR_DATABASE_URL": url,
                             "SHOPFLOOR_ADMIN_PASSWORD": "admin password 1"})
    server.start()
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(KIOSKS, timeout=30)

    def kiosk(index: int) -> None:
        # Every event is sent by half the kiosks, each in its own order.
        mine = [e for n, e in enumerate(pool) if (n + index) % 2 == 0]
        random.Random(index).shuffle(mine)
        try:
            with httpx.Client(base_url=server.url, timeout=30, verify=server.verify,
                              headers=bearer(tokens[index])) as client:
                barrier.wait()
                for at in range(0, len(mine), BATCH):
                    answer = client.post("/api/v1/events",
                                         json={"events": mine[at:at + BATCH]})
                    assert answer.status_code == 200, answer.text[:300]
                    with lock:
                        statuses.update(r["status"] for r in answer.json()["results"])
        except Exception as error:  # noqa: BLE001 - reported by the test thread below
            with lock:
                failures.append(f"kiosk {index}: {error!r}")

    run_kiosks(server, kiosk, KIOSKS, DEADLINE_S)
    assert not failures, failures[:5]
    assert statuses == {"accepted": len(pool),
                        "duplicate": len(pool) * KIOSKS // 2 - len(pool)}, statuses
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == len(pool)
        assert rebuild(session, check=True) == []
        badge_days = session.scalar(select(func.count()).select_from(WorkerDaySums)
                                    .where(WorkerDaySums.badge_ins > 0))
        assert badge_days == 8  # two workers on four days
    engine.dispose()
