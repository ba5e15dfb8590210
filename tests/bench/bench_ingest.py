"""Benchmark: kiosk event ingest through the real HTTP stack, against raw inserts.

Run with
`.venv/bin/python -m pytest tests/bench/bench_ingest.py -o python_files='bench_*.py' -s`.

Four kiosks post batches of 100 events at once over loopback to the app under waitress (in
its own process, as in production, so clients and server do not share a GIL; started as
`shopfloor-server run` starts a worker: day sums built, gc.freeze()), on SQLite
and on PostgreSQL (a private cluster, tests/support/postgres.py; SHOPFLOOR_TEST_ENGINES
narrows the engines as for the tests). The same rows are then written with raw SQLAlchemy
Core `insert` in batches of 100, one commit per batch, into a fresh database on the same
engine: the floor of what storing them costs. It prints, per engine and mix, events/s for
both, their ratio (target >= 0.5) and p50/p95 latency per batch, and asserts only that
every event was accepted and stored once: a busy machine must not fail a build.
SHOPFLOOR_BENCH_INGEST_BATCHES (25) sets the batches each kiosk sends, for a quick run;
SHOPFLOOR_BENCH_INGEST_SUMS=0 and SHOPFLOOR_BENCH_INGEST_FREEZE=0 leave the day sums or
gc.freeze() out, as the benchmark did before it started the server as production does.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Table, func, insert, select

from server.db import make_engine, make_sessionmaker, migrate
from server.models import Event, Kiosk, Machine, Worker, Workshop
from server.services.devices.identity import ensure_server_id
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.events.kinds import body_hash, canonical_payload, event_adapter
from support.live_server import free_port
from support.postgres import PrivateCluster

ENGINES = [e for e in os.environ.get("SHOPFLOOR_TEST_ENGINES", "sqlite,postgresql").split(",")
           if e]
CLIENTS = 4
BATCH = 100
BATCHES_PER_CLIENT = int(os.environ.get("SHOPFLOOR_BENCH_INGEST_BATCHES", "25"))
TARGET_RATIO = 0.5
# The raw baseline is short and the machine shared: its median of this many fresh runs.
RAW_RUNS = 3
# As a server runs (1): the day sums kept on write, and gc.freeze() before serving. 0
# leaves either out, to compare with figures measured before the benchmark did them.
SUMS = os.environ.get("SHOPFLOOR_BENCH_INGEST_SUMS", "1") == "1"
FREEZE = os.environ.get("SHOPFLOOR_BENCH_INGEST_FREEZE", "1") == "1"
WORKERS = 40
MACHINES = 10
MIXES = {
    # Kiosks mostly report badge taps: the ingest path itself.
    "badge_taps": ("badge_in",),
    # Five in six events change a production record (recomputed, upserted, audited).
    "production": ("badge_in", "output", "output", "defect", "machine_start", "machine_stop"),
}
# A client's events are this far apart, so each of its 10 workers logs one every 35 min,
# about 20 a shift: a busy kiosk, over the six days the benchmark's events span.
SPACING = timedelta(seconds=210)
# 08:30 in the factory eight days ago: the six days of events end before today and lie
# inside the kiosk offline window (14 days), as a busy kiosk's would.
START = (datetime.now(UTC) - timedelta(days=8)).replace(hour=0, minute=30, second=0,
                                                        microsecond=0)


@dataclass
class Site:
    url: str
    database_url: str
    tokens: list[str]
    server_pid: int


@contextmanager
def _database(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[str]:
    """A fresh database on `backend`, migrated on PostgreSQL (a copy of the template)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'shopfloor.db'}"
        return
    cluster: PrivateCluster = request.getfixturevalue("pg_cluster")
    with cluster.migrated_database("bench") as url:
        yield url


def _setup(database_url: str) -> list[str]:
    """The workshop, its workers, machines and kiosks; the kiosks' tokens."""
    engine = make_engine(database_url)
    migrate(engine)
    with make_sessionmaker(engine)() as session:
        ensure_server_id(session)
        shop = Workshop(code="W1", name="机加工车间")
        session.add(shop)
        session.add_all(Worker(code=f"W{i:03d}", name=f"工人{i}", workshop=shop)
                        for i in range(WORKERS))
        session.add_all(Machine(code=f"M{i:02d}", name=f"机床{i}", workshop=shop)
                        for i in range(MACHINES))
        session.flush()
        codes = [add_kiosk(session, f"K{i}", ["W1"], "bench").code for i in range(CLIENTS)]
        tokens = [enroll(session, code)[1] for code in codes]
        session.commit()
    engine.dispose()
    return tokens


@pytest.fixture(params=ENGINES)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def site(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Site]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with _database(request, backend, data_dir) as database_url:
        tokens = _setup(database_url)
        with _serve(data_dir, database_url) as (url, pid):
            yield Site(url, database_url, tokens, pid)


# The server process starts as `shopfloor-server run` starts its workers (serving/gunicorn.py):
# the day sums built in the site's zone, so each batch keeps them as a server's do, and the
# app's long-lived objects frozen out of the collector's reach; then waitress, 4 threads.
_SERVER = """
import gc, sys
import waitress
from server import create_app
from server.services.scores.aggregates import establish
listen, sums, freeze = sys.argv[1:4]
app = create_app()
if sums:
    config = app.config["SHOPFLOOR"]
    with app.extensions["shopfloor.sessionmaker"]() as session:
        establish(session, config.zone)
        session.commit()
app.extensions["shopfloor.engine"].dispose()
if freeze:
    gc.freeze()
waitress.serve(app, listen=listen, threads=4)
"""


@contextmanager
def _serve(data_dir: Path, database_url: str) -> Iterator[tuple[str, int]]:
    """The app under waitress in its own process: its URL and process id."""
    port = free_port()
    env = {**os.environ, "SHOPFLOOR_DATA_DIR": str(data_dir),
           "SHOPFLOOR_DATABASE_URL": database_url, "SHOPFLOOR_TIMEZONE": "Asia/Shanghai"}
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, f"127.0.0.1:{port}", "1" if SUMS else "",
         "1" if FREEZE else ""],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v1/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=10)
        assert server.stderr is not None
        server.stderr.close()


def _events(client: int, mix: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    """Each client's batches: its own workers' shifts, in time order."""
    batches = []
    for b in range(BATCHES_PER_CLIENT):
        batch = []
        for i in range(BATCH):
            n = b * BATCH + i
            worker = f"W{(client * WORKERS // CLIENTS) + n % (WORKERS // CLIENTS):03d}"
            kind = mix[n % len(mix)]
            payload: dict[str, Any] = {}
            if kind != "badge_in":
                payload["machine"] = f"M{n % MACHINES:02d}"
            if kind in ("output", "defect"):
                payload["count"] = 5 if kind == "output" else 1
            at = START + n * SPACING
            batch.append({"uuid": str(uuid.uuid4()), "kind": kind, "worker": worker,
                          "occurred_at": at.isoformat(), "payload": payload})
        batches.append(batch)
    return batches


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) process `pid` has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _http(site: Site, work: list[list[list[dict[str, Any]]]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []
    gate = threading.Barrier(CLIENTS + 1)

    def client(index: int) -> None:
        headers = {"Authorization": f"Bearer {site.tokens[index]}",
                   "X-Kiosk-Queue-Depth": "0", "X-Kiosk-Version": "bench"}
        with httpx.Client(base_url=site.url, headers=headers, timeout=60) as http:
            gate.wait()
            for batch in work[index]:
                started = time.perf_counter()
                response = http.post("/api/v1/events", json={"events": batch})
                elapsed = time.perf_counter() - started
                statuses = {r["status"] for r in response.json()["results"]}
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200 or statuses != {"accepted"}:
                        failures.append(f"{response.status_code} {statuses}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    total = time.perf_counter() - started
    assert not failures, failures[:3]
    return total, latencies


def _raw_rows(work: list[list[list[dict[str, Any]]]], workers: dict[str, int], kiosk: int,
              ) -> list[list[dict[str, Any]]]:
    """The rows the server stored, as Core insert parameters, batch by batch."""
    now = datetime.now(UTC)
    batches = []
    for client_batches in work:
        for batch in client_batches:
            rows = []
            for item in batch:
                event = event_adapter.validate_python(item)
                rows.append({"uuid": str(event.uuid), "kind": event.kind,
                             "worker_id": workers[item["worker"]], "kiosk_id": kiosk,
                             "occurred_at": event.occurred_at, "received_at": now,
                             "payload": canonical_payload(event),
                             "body_hash": body_hash(event)})
            batches.append(rows)
    return batches


def _raw(database_url: str, work: list[list[list[dict[str, Any]]]]) -> tuple[float, float]:
    """Seconds to insert the rows, and the CPU seconds this process spent on it."""
    _setup(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        workers = dict(connection.execute(select(Worker.code, Worker.id)).all())
        kiosk = connection.scalar(select(func.min(Kiosk.id)))
    assert kiosk is not None
    batches = _raw_rows(work, workers, kiosk)
    table = cast(Table, Event.__table__)
    started, cpu = time.perf_counter(), time.process_time()
    with engine.connect() as connection:
        for rows in batches:
            connection.execute(insert(table), rows)
            connection.commit()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu


@pytest.mark.parametrize("mix", list(MIXES))
def test_ingest_throughput(request: pytest.FixtureRequest, backend: str, site: Site,
                           tmp_path: Path, mix: str) -> None:
    work = [_events(i, MIXES[mix]) for i in range(CLIENTS)]
    events = CLIENTS * BATCHES_PER_CLIENT * BATCH
    server_cpu = _cpu_seconds(site.server_pid)
    http_seconds, latencies = _http(site, work)
    server_cpu = _cpu_seconds(site.server_pid) - server_cpu
    engine = make_engine(site.database_url)
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(Event))
    engine.dispose()
    assert stored == events
    raws = []
    for run in range(RAW_RUNS):
        (tmp_path / f"raw{run}").mkdir()
        with _database(request, backend, tmp_path / f"raw{run}") as raw_url:
            raws.append(_raw(raw_url, work))
    raw_seconds, raw_cpu = sorted(raws)[len(raws) // 2]

    http_rate, raw_rate = events / http_seconds, events / raw_seconds
    figures = {
        "engine": backend, "events": events, "clients": CLIENTS, "batch": BATCH, "mix": mix,
        "http_events_per_s": round(http_rate), "raw_core_events_per_s": round(raw_rate),
        "ratio": round(http_rate / raw_rate, 3), "target_ratio": TARGET_RATIO,
        "batch_latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "batch_latency_ms_p95": round(_percentile(latencies, 0.95) * 1000, 1),
        # CPU per batch, less shaken by other work on the machine than the rates: the
        # server process's (SQLite's work included; PostgreSQL's own, in either, not).
        "server_cpu_ms_per_batch": round(server_cpu / (events / BATCH) * 1000, 2),
        "raw_cpu_ms_per_batch": round(raw_cpu / (events / BATCH) * 1000, 2),
        "day_sums": SUMS, "gc_freeze": FREEZE,
    }
    print("\ningest benchmark:", json.dumps(figures, ensure_ascii=False))
