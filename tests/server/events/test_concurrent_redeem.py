"""Kiosks redeeming at once against the real server (gunicorn, 3 workers), on SQLite and
PostgreSQL: six kiosks after the last item of a reward, exactly one gets it; two kiosks
spending one worker's last points on two rewards, exactly one is paid."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.db import make_engine, make_sessionmaker, migrate
from server.models import Redemption, Reward, Worker, Workshop
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.points import ledger
from server.services.rewards.catalogue import RewardSpec, add_reward
from support.factory import bearer, build_factory, make_event
from support.live_server import LiveServer
from support.postgres import PrivateCluster

ENGINES = os.environ.get("SHOPFLOOR_TEST_ENGINES", "sqlite,postgresql").split(",")
RACERS = 6


@pytest.fixture(params=[e for e in ("sqlite", "postgresql") if e in ENGINES])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        (tmp_path / "server").mkdir()
        yield f"sqlite:///{tmp_path / 'server' / 'shopfloor.db'}"
        return
    cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
    name = f"r_{uuid.uuid4().hex[:16]}"
    cluster.execute(f'CREATE DATABASE "{name}" TEMPLATE "shopfloor_template"')
    yield cluster.url(name)
    cluster.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def seed(url: str) -> list[str]:
    """The factory, RACERS workers with 10 points each and a kiosk each, one worker Y01
    with 10 points; LAST (stock 1) and two unlimited rewards of 10. The kiosks' tokens."""
    engine = make_engine(url)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            build_factory(session)
            w1 = session.scalars(select(Workshop).where(Workshop.code == "W1")).one()
            codes = [f"X{i:02d}" for i in range(RACERS)] + ["Y01"]
            session.add_all([Worker(code=c, name=c, workshop=w1) for c in codes])
            session.flush()
            for code in codes:
                ledger.hr_line(session, code, 10, "seed", None, "test", datetime.now(UTC).date())
            add_reward(session, "LAST", RewardSpec(name="最后一个", cost=5, stock=1), "test")
            for code in ("A", "B"):
                add_reward(session, code, RewardSpec(name=code, cost=10), "test")
            tokens = []
            for n in range(RACERS + 2):
                issued = add_kiosk(session, f"race-{n}", ["W1"], "test")
                tokens.append(enroll(session, issued.code)[1])
            session.commit()
    finally:
        engine.dispose()
    return tokens


def test_the_last_item_and_the_last_points_go_to_exactly_one(url: str, tmp_path: Path) -> None:
    tokens = seed(url)
    server = LiveServer(tmp_path / "server", workers=3,
                        env={"SHOPFLOOR_DATABASE_URL": url,
                             "SHOPFLOOR_ADMIN_PASSWORD": "admin password 1"})
    server.start()
    events = [make_event("reward_redeem", worker=f"X{i:02d}", payload={"reward": "LAST"})
              for i in range(RACERS)]
    events += [make_event("reward_redeem", worker="Y01", payload={"reward": code})
               for code in ("A", "B")]
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(events), timeout=30)

    def kiosk(index: int) -> None:
        try:
            with httpx.Client(base_url=server.url, timeout=30, verify=server.verify,
                              headers=bearer(tokens[index])) as client:
                barrier.wait()
                response = client.post("/api/v1/events", json={"events": [events[index]]})
                assert response.status_code == 200, response.text[:300]
                with lock:
                    results.extend(response.json()["results"])
        except Exception as error:  # noqa: BLE001 - reported below
            with lock:
                failures.append(f"kiosk {index}: {error!r}")

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(len(events))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.stop()
    assert not failures, failures
    by_uuid = {r["uuid"]: r for r in results}
    last = [by_uuid[e["uuid"]] for e in events[:RACERS]]
    spend = [by_uuid[e["uuid"]] for e in events[RACERS:]]
    assert sorted(r["status"] for r in last) == ["accepted"] + ["rejected"] * (RACERS - 1)
    assert all("out of stock" in r["reason"] for r in last if r["status"] == "rejected")
    assert sorted(r["status"] for r in spend) == ["accepted", "rejected"]
    assert "too few points" in next(r["reason"] for r in spend if r["status"] == "rejected")
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            assert session.scalars(select(Reward.stock).where(Reward.code == "LAST")).one() == 0
            assert len(session.scalars(select(Redemption.id)).all()) == 2
            y01 = session.scalars(select(Worker).where(Worker.code == "Y01")).one()
            assert ledger.balance(session, y01.id) == 0
    finally:
        engine.dispose()
