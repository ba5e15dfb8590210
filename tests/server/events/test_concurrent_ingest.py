"""Twenty kiosks post overlapping batches at once to the real server (gunicorn, 4 workers)
on PostgreSQL: every event is stored once, every resend is answered `duplicate`, and the
production records count each output once (docs/ARCHITECTURE.md, "Rules that hold everywhere")."""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db import make_engine, make_sessionmaker
from server.models import Event, ProductionRecord, RecordSource
from server.services.devices.kiosks import add_kiosk, enroll
from support.factory import bearer, build_factory, make_event
from support.live_server import LiveServer, run_kiosks
from support.postgres import PrivateCluster

pytestmark = pytest.mark.skipif(
    "postgresql" not in os.environ.get("SHOPFLOOR_TEST_ENGINES", "sqlite,postgresql"),
    reason="SHOPFLOOR_TEST_ENGINES leaves PostgreSQL out")

KIOSKS = 20
EVENTS = 400
PER_KIOSK = 100     # each event is sent by PER_KIOSK * KIOSKS / EVENTS = 5 kiosks
BATCH = 20
DEADLINE_S = 60


@pytest.fixture
def pg_url(pg_cluster: PrivateCluster) -> Iterator[str]:
    name = f"c_{uuid.uuid4().hex[:16]}"
    pg_cluster.execute(f'CREATE DATABASE "{name}" TEMPLATE "shopfloor_template"')
    yield pg_cluster.url(name)
    pg_cluster.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def enrolled_kiosks(url: str) -> list[str]:
    """The test factory, plus kiosks in workshop W1 up to KIOSKS; their tokens."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            tokens = [build_factory(session).kiosk_token]
            for n in range(KIOSKS - 1):
                code = add_kiosk(session, f"line-{n:02d}", ["W1"], "test").code
                tokens.append(enroll(session, code)[1])
            session.commit()
    finally:
        engine.dispose()
    return tokens


def event_pool() -> list[dict[str, Any]]:
    """Outputs on two machines by two workers, one day-shift morning apart by seconds."""
    start = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    return [make_event("output", worker=("W001", "W002")[i % 2],
                       payload={"machine": ("M1", "M2")[i % 2], "count": 1 + i % 7},
                       occurred_at=start - timedelta(days=1, seconds=i))
            for i in range(EVENTS)]


def kiosk_plan(index: int, pool: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A window of the pool in its own order, in batches, the first batch sent again at the
    end as a kiosk does when it never saw the answer."""
    window = [pool[(index * EVENTS // KIOSKS + k) % EVENTS] for k in range(PER_KIOSK)]
    random.Random(index).shuffle(window)
    batches = [window[k:k + BATCH] for k in range(0, PER_KIOSK, BATCH)]
    return [*batches, batches[0]]


def test_twenty_kiosks_at_once_lose_nothing_and_store_nothing_twice(
    pg_url: str, tmp_path: Path
) -> None:
    tokens = enrolled_kiosks(pg_url)
    pool = event_pool()
    server = LiveServer(tmp_path / "server", workers=4,
                        env={"SHOPFLOOR_DATABASE_URL": pg_url,
                             "SHOPFLOOR_ADMIN_PASSWORD": "admin password 1"})
    server.start()
    results: list[tuple[str, str]] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(KIOSKS, timeout=30)

    def kiosk(index: int) -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=30, verify=server.verify,
                              headers=bearer(tokens[index])) as client:
                barrier.wait()
                for batch in kiosk_plan(index, pool):
                    response = client.post("/api/v1/events", json={"events": batch})
                    if response.status_code != 200:
                        raise AssertionError(f"{response.status_code}: {response.text[:300]}")
                    with lock:
                        results.extend((r["uuid"], r["status"])
                                       for r in response.json()["results"])
        except Exception as error:  # noqa: BLE001 - reported by the test thread below
            with lock:
                failures.append(f"kiosk {index}: {error!r}")

    started = datetime.now(UTC)
    run_kiosks(server, kiosk, KIOSKS, DEADLINE_S)
    elapsed = (datetime.now(UTC) - started).total_seconds()
    assert not failures, failures[:5]

    sent = KIOSKS * (PER_KIOSK + BATCH)
    assert len(results) == sent
    statuses = Counter(status for _, status in results)
    assert statuses == {"accepted": EVENTS, "duplicate": sent - EVENTS}, statuses
    accepted = Counter(u for u, status in results if status == "accepted")
    assert set(accepted) == {e["uuid"] for e in pool} and set(accepted.values()) == {1}

    engine = make_engine(pg_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalar(select(func.count()).select_from(Event))
            distinct = session.scalar(select(func.count(func.distinct(Event.uuid))))
            output = session.scalar(select(func.sum(ProductionRecord.output)).where(
                ProductionRecord.source == RecordSource.KIOSK))
    finally:
        engine.dispose()
    assert rows == distinct == EVENTS
    assert output == sum(e["payload"]["count"] for e in pool)
    assert elapsed < DEADLINE_S
