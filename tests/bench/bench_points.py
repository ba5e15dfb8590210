"""Benchmark: reading a worker's points balance (issue 14), on SQLite.

Run with `make bench` or
`.venv/bin/python -m pytest tests/bench/bench_points.py -o python_files='bench_*.py' -s`.
The API's factory plus 200 workers in W1 with 250 ledger lines each (50,000 lines: a
year of remarks, claims and redemptions for a large workshop). Times, through the test
client with a kiosk token, GET /api/v1/workers/<code>/points (balance, 20 lines,
entitlements, open redemptions) and GET /api/v1/workers/<code>/scorecard (whose `balance`
is the ledger's sum), and the balance query alone. Prints p50/p95; asserts nothing about
time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import insert, select

from server import create_app
from server.config import Config
from server.db import make_engine, make_sessionmaker, migrate
from server.models import LedgerLine, Worker, Workshop
from server.services.devices.identity import ensure_server_id
from server.services.points import ledger
from support.factory import bearer, build_factory

WORKERS = 200
LINES = 250
READS = 100


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    folder: Path = tmp_path_factory.mktemp("bench_points")
    config = Config.from_env(data_dir=folder / "data", database_url=f"sqlite:///{folder}/p.db",
                             timezone="Asia/Shanghai", testing=True)
    engine = make_engine(config.database_url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        ensure_server_id(session)
        token = build_factory(session).kiosk_token
        w1 = session.scalars(select(Workshop).where(Workshop.code == "W1")).one()
        session.add_all([Worker(code=f"P{i:04d}", name=f"工人{i}", workshop=w1)
                         for i in range(WORKERS)])
        session.flush()
        ids = session.scalars(select(Worker.id).where(Worker.code.like("P%"))).all()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        session.execute(insert(LedgerLine), [
            {"worker_id": wid, "at": start + timedelta(hours=n), "points": 5.0 if n % 5 else -3.0,
             "source": "remark" if n % 5 else "redemption", "reason": "bench",
             "created_by": "bench"}
            for wid in ids for n in range(LINES)])
        session.commit()
    engine.dispose()
    built = create_app(config)
    yield built, token
    built.extensions["shopfloor.engine"].dispose()


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def _timed(call: object, n: int = READS) -> list[float]:
    times = []
    for i in range(n):
        begun = time.perf_counter()
        call(i)  # type: ignore[operator]
        times.append((time.perf_counter() - begun) * 1000)
    return times


def test_balance_reads(app: tuple[Flask, str]) -> None:
    flask_app, token = app
    client = flask_app.test_client()
    headers = bearer(token)

    def points(i: int) -> None:
        response = client.get(f"/api/v1/workers/P{(i * 7) % WORKERS:04d}/points",
                              headers=headers)
        assert response.status_code == 200
        assert response.get_json()["balance"] == 5.0 * (LINES - LINES // 5) - 3.0 * (LINES // 5)

    def card(i: int) -> None:
        response = client.get(f"/api/v1/workers/P{(i * 7) % WORKERS:04d}/scorecard",
                              headers=headers)
        assert response.status_code == 200 and "balance" in response.get_json()

    with flask_app.extensions["shopfloor.sessionmaker"]() as session:
        workers = session.scalars(select(Worker.id).where(Worker.code.like("P%"))).all()

        def balance(i: int) -> None:
            ledger.balance(session, workers[i % len(workers)])
        sums = _timed(balance)
    reads = {"GET /workers/<code>/points": _timed(points),
             "GET /workers/<code>/scorecard (with balance)": _timed(card),
             "balance query alone": sums}
    print(f"\n{WORKERS} workers x {LINES} ledger lines, {READS} reads each (SQLite):")
    for what, times in reads.items():
        print(f"  {what}: p50 {_p(times, 0.5):.1f} ms, p95 {_p(times, 0.95):.1f} ms")
