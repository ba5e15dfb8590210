"""Benchmark: closing a month for 2,000 workers (issue 13: target <= 10 s).

Run with `make bench` or
`.venv/bin/python -m pytest tests/bench/bench_periods.py -o python_files='bench_*.py' -s`.
The factory is bench_scoring's year of 2,000 workers in 10 workshops, all ten scored by
the month here. Closing runs the completeness check, scores every worker with every
detail, and stores 2,000 frozen cards and ten leaderboards; it is timed once, whole, and
the snapshot read that replaces the live card after it is timed too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from bench_scoring import SCHEMES, TODAY, WORKERS_PER_SHOP, WORKSHOPS, ZONE, _populate
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from server.db import make_engine, make_sessionmaker, migrate
from server.models import SnapshotCard
from server.services.periods.closing import close_period
from server.services.scores.schemes import import_scheme
from server.services.scores.scorecards import worker_scorecard

MONTH = "2026-09"
TARGET_S = 10.0


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    kept = os.environ.get("SHOPFLOOR_BENCH_PERIODS_DB")
    path = Path(kept) if kept else tmp_path_factory.mktemp("bench") / "periods.db"
    fresh = not path.exists()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    sessions = make_sessionmaker(engine)
    if fresh:
        _populate(engine, sessions)
        codes = ", ".join(f"W{s:02d}" for s in range(1, WORKSHOPS + 1))
        with sessions() as session:  # every workshop monthly, from before the data
            import_scheme(session, SCHEMES["threshold"].format(codes=codes)
                          .replace("name: bench threshold", "name: bench monthly")
                          .replace("effective_from: 2025-01-01", "effective_from: 2025-01-02"),
                          actor="bench")
            session.commit()
    yield sessions
    engine.dispose()


def test_closing_a_month_for_2000_workers(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        started, started_cpu = time.perf_counter(), time.process_time()
        results = close_period(session, None, "month", MONTH, "bench", ZONE, TODAY)
        session.commit()
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        cards = session.scalar(select(func.count()).select_from(SnapshotCard))
    assert cards == WORKSHOPS * WORKERS_PER_SHOP == sum(r.workers for r in results)
    verdict = "ok" if wall <= TARGET_S else "OVER TARGET"
    print(f"\nclose {MONTH} for {cards} workers in {len(results)} workshops: "
          f"wall {wall:.2f} s, cpu {cpu:.2f} s | target <= {TARGET_S:g} s: {verdict}")
    reads = []
    with factory() as session:
        for i in range(50):
            code = f"E{(i * 37) % (WORKSHOPS * WORKERS_PER_SHOP) + 1:05d}"
            begun = time.perf_counter()
            card = worker_scorecard(session, code, "month", date(2026, 9, 15), ZONE)
            reads.append((time.perf_counter() - begun) * 1000)
            assert card["settled"]["version"] == 1
    reads.sort()
    print(f"settled month card read: p50 {reads[len(reads) // 2]:.1f} ms, "
          f"p95 {reads[round(0.95 * (len(reads) - 1))]:.1f} ms")
