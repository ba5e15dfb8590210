"""Benchmark: a group of sites on one PostgreSQL server, 20,000 workers over 3 years.

A group is one PostgreSQL server holding one database per site, with one server process
per site; worker codes are unique within a site only (the same codes repeat across
sites). Site 1 is one 2,000-worker workshop (the 2,000-worker leaderboard); sites 2 to
10 have ten workshops of 200. A site holds Monday-to-Saturday production records,
badge-ins, point entries and training over the years, as bench_scoring.py's factory
does, generated day by day and loaded with COPY into the migrated tables (their indexes
as the migration made them); then its schemes are imported, the day sums scoring reads
are built (`aggregates.establish`, as a server does at start) and VACUUM ANALYZE run.
Sites 1 and 2 are generated; sites 3 to 10 are file copies of site 2's database (CREATE
DATABASE ... TEMPLATE, seconds each): the same volume, each in a database of its own.
SHOPFLOOR_GROUP_DISTINCT=1 generates every site from its own seed instead.

Run with `make bench` or
`.venv/bin/python -m pytest tests/bench/bench_group.py -o python_files='bench_*.py' -s`.
It prints figures against the targets of issue 20 and asserts nothing about time:

- a fresh month card (cold standings cache), p95 <= 20 ms;
- a 2,000-worker weekly leaderboard <= 50 ms;
- one month's cards of all 20,000 workers <= 30 s (each site's server process computes
  its own site's cards; the sum over the sites is the figure, each site's is printed).

Smaller groups while developing: SHOPFLOOR_GROUP_SITES (default 10), SHOPFLOOR_GROUP_YEARS
(default 3). SHOPFLOOR_GROUP_PG_DIR names a folder to keep the cluster in between runs:
the data is built once (per size) and reused. Skipped, saying why, when the PostgreSQL
server binaries are not installed (`make test-setup` installs them).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from bench_scoring import SCHEMES, TODAY, ZONE, _percentiles, _report, _timed
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

import server
from server.db import make_engine, make_sessionmaker, migrate
from server.models import (
    EntryStatus,
    Machine,
    RecordSource,
    TrainingProgress,
    TrainingVideo,
    Worker,
    Workshop,
    video_workshops,
)
from server.services.scores import aggregates
from server.services.scores.schemes import import_scheme
from server.services.scores.scorecards import all_scorecards, leaderboard, worker_scorecard
from support.postgres import PrivateCluster, _bin_dir

SITES = int(os.environ.get("SHOPFLOOR_GROUP_SITES", "10"))
YEARS = int(os.environ.get("SHOPFLOOR_GROUP_YEARS", "3"))
WORKERS_PER_SITE = 2000
LAST_DAY = date(2026, 10, 31)
FIRST_DAY = date(LAST_DAY.year - YEARS, 11, 1)
CREATED = datetime(2023, 1, 1)  # naive UTC, as the timestamp columns hold it
TEMPLATE = "shopfloor_group_template"
CARDS = 60
# Sites 3 and up: copies of site 2's database unless SHOPFLOOR_GROUP_DISTINCT=1.
DISTINCT = os.environ.get("SHOPFLOOR_GROUP_DISTINCT") == "1"
DATA_VERSION = 2  # of what _load_site makes: a kept cluster of another version is rebuilt


def _schema() -> str:
    """A fingerprint of the migrations: a kept cluster built by other ones is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((Path(server.__file__).parent / "migrations").rglob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _site_db(site: int) -> str:
    return f"site_{site:02d}"


def _shops(site: int) -> list[int]:
    """Workers per workshop: site 1 is one 2,000-worker workshop, the others ten of 200."""
    return [WORKERS_PER_SITE] if site == 1 else [WORKERS_PER_SITE // 10] * 10


def _days() -> list[date]:
    days, day = [], FIRST_DAY
    while day <= LAST_DAY:
        if day.weekday() < 6:  # Monday to Saturday
            days.append(day)
        day += timedelta(days=1)
    return days


class GroupCluster(PrivateCluster):
    """The private cluster of tests/support/postgres.py, in a kept folder when given one
    (started again from its data without initdb, and left there when stopped)."""

    def __init__(self, kept: Path | None) -> None:
        super().__init__()
        self.kept = kept
        if kept is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            kept.mkdir(parents=True, exist_ok=True)
            kept.chmod(0o755)
            self.base, self.data = kept, kept / "data"

    def start(self) -> None:
        if self.kept is None or not (self.data / "PG_VERSION").exists():
            if self.data.exists():
                shutil.rmtree(self.data)
            super().start()
            return
        self.launch(timeout=120)

    def stop(self) -> None:
        if self.kept is None:
            super().stop()
            return
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=120)
            self.process = None

    def databases(self) -> set[str]:
        with psycopg.connect(self.dsn("postgres")) as connection:
            return {name for (name,) in connection.execute("SELECT datname FROM pg_database")}


class _Copy:
    """COPY of text lines (tab-separated, nothing to escape) into one table, on its own
    connection so that several tables fill side by side from one pass over the days."""

    def __init__(self, stack: ExitStack, dsn: str, table: str, columns: str) -> None:
        connection = stack.enter_context(psycopg.connect(dsn))
        cursor = stack.enter_context(connection.cursor())
        self.copy = stack.enter_context(cursor.copy(f"COPY {table} ({columns}) FROM STDIN"))
        self.lines: list[str] = []
        self.count = 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= 20000:
            self.flush()

    def flush(self) -> None:
        self.count += len(self.lines)
        self.copy.write("".join(self.lines))
        self.lines.clear()


def _load_site(cluster: GroupCluster, site: int) -> dict[str, int]:
    """One site's database: made from the migrated template, filled, summed, analysed."""
    started = time.perf_counter()
    name = _site_db(site)
    cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cluster.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    rnd = random.Random(20261207 + site)
    shops = _shops(site)
    shop_of: list[int] = [s for s, size in enumerate(shops, 1) for _ in range(size)]
    workers = list(range(1, len(shop_of) + 1))
    engine = make_engine(cluster.url(name))
    with engine.begin() as conn:
        conn.execute(insert(Workshop), [{"id": s, "code": f"W{s:02d}", "name": f"车间{s}"}
                                        for s in range(1, len(shops) + 1)])
        machines_per_shop = [max(10, size // 20) for size in shops]
        first_machine = [1 + sum(machines_per_shop[:i]) for i in range(len(shops))]
        conn.execute(insert(Machine), [
            {"id": first_machine[s] + m, "code": f"M{first_machine[s] + m:03d}",
             "name": f"机床{first_machine[s] + m}", "workshop_id": s + 1}
            for s in range(len(shops)) for m in range(machines_per_shop[s])])
        conn.execute(insert(Worker), [
            {"id": w, "code": f"E{w:05d}", "name": f"工人{w}", "workshop_id": shop_of[w - 1],
             "language": "zh_CN", "role": "worker", "active": True,
             "created_at": CREATED.replace(tzinfo=UTC)} for w in workers])
        created = datetime(2023, 1, 1, tzinfo=ZONE)
        conn.execute(insert(TrainingVideo), [
            {"id": v, "title": f"安全培训 {v}", "sha256": "0" * 64, "size_bytes": 1,
             "duration_s": 300.0, "file_path": f"v{v}.mp4", "required": True, "roles": [],
             "created_at": created, "active": True} for v in range(1, 4)])
        conn.execute(insert(video_workshops), [
            {"video_id": v, "workshop_id": s} for v in range(1, 4)
            for s in range(1, len(shops) + 1)])
        conn.execute(insert(TrainingProgress), [
            {"worker_id": w, "video_id": v, "seconds_watched": 300.0,
             "completed_at": created + timedelta(days=rnd.randint(0, 365 * YEARS)),
             "updated_at": created}
            for w in workers for v in range(1, 4) if rnd.random() < 0.8])
    skill = [rnd.uniform(0.55, 0.95) for _ in workers]
    machine = [first_machine[shop_of[w - 1] - 1] + rnd.randrange(
        machines_per_shop[shop_of[w - 1] - 1]) for w in workers]
    approved, pending = EntryStatus.APPROVED.value, EntryStatus.PENDING.value
    source = RecordSource.IMPORT.value
    stamp = CREATED.isoformat(sep=" ")
    dsn = cluster.dsn(name)
    with ExitStack() as stack:
        production = _Copy(stack, dsn, "production_records",
                           "date, shift, worker_id, machine_id, planned_minutes, run_minutes, "
                           "output, defects, source, updated_at")
        events = _Copy(stack, dsn, "events",
                       "uuid, kind, worker_id, occurred_at, received_at, payload, body_hash")
        entries = _Copy(stack, dsn, "point_entries", "worker_id, points, date, status, "
                        "created_at")
        serial = 0
        for day in _days():  # day by day, as records arrive in a factory
            iso = day.isoformat()
            at = (datetime(day.year, day.month, day.day, 7, 50) - timedelta(hours=8)
                  ).isoformat(sep=" ")  # 07:50 in Shanghai, stored as naive UTC
            for w in workers:
                if rnd.random() < 0.04:
                    continue  # a day off
                run = 480 * min(1.0, max(0.0, rnd.gauss(skill[w - 1], 0.08)))
                output = int(run / 4.0)
                defects = int(output * rnd.uniform(0, 0.05))
                production.add(f"{iso}\tA\t{w}\t{machine[w - 1]}\t480.0\t{run!r}\t"
                               f"{output}\t{defects}\t{source}\t{stamp}\n")
                if rnd.random() < 0.97:
                    serial += 1
                    events.add(f"{site:08x}-0000-4000-8000-{serial:012x}\tbadge_in\t{w}\t"
                               f"{at}\t{at}\t{{}}\t{'0' * 64}\n")
                if rnd.random() < 0.08:
                    status = approved if rnd.random() < 0.8 else pending
                    entries.add(f"{w}\t{rnd.choice((5, 10, 20))}.0\t{iso}\t{status}\t"
                                f"{stamp}\n")
        for table in (production, events, entries):
            table.flush()
    # leaving the stack ends each COPY, then commits and closes its connection
    counts = {"production_records": production.count, "events": events.count,
              "point_entries": entries.count}
    copied = time.perf_counter()
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        codes = [f"W{s:02d}" for s in range(1, len(shops) + 1)]
        half = max(1, len(codes) // 2)
        for kind, chosen in (("threshold", codes[:half]), ("weighted", codes[half:])):
            if chosen:
                import_scheme(session, SCHEMES[kind].format(codes=", ".join(chosen)),
                              actor="bench")
        session.commit()
        # The day sums scoring reads (scores/aggregates.py), built as a server does at start.
        aggregates.establish(session, ZONE)
        session.commit()
    engine.dispose()
    summed = time.perf_counter()
    with psycopg.connect(cluster.dsn(name), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    print(f"  site {site:2d}: " + ", ".join(f"{n} {t}" for t, n in counts.items())
          + f"; generated and copied in {copied - started:.1f} s, day sums "
          f"{summed - copied:.1f} s, VACUUM ANALYZE {time.perf_counter() - summed:.1f} s")
    return counts


@pytest.fixture(scope="module")
def group() -> Iterator[GroupCluster]:
    """The group's server with one migrated database per site, built once per size when
    SHOPFLOOR_GROUP_PG_DIR keeps the cluster."""
    try:
        _bin_dir()
    except RuntimeError as error:
        print(f"\nbench_group skipped: {error}")
        pytest.skip(f"PostgreSQL server binaries missing: {error}")
    kept = os.environ.get("SHOPFLOOR_GROUP_PG_DIR")
    cluster = GroupCluster(Path(kept) if kept else None)
    try:
        cluster.start()
        ready = cluster.base / (f"group-ready-{SITES}-sites-{YEARS}-years-{DATA_VERSION}"
                                + ("-distinct" if DISTINCT else "") + f"-{_schema()}")
        if not ready.exists():
            for stale in cluster.base.glob("group-ready-*"):
                stale.unlink()
            started = time.perf_counter()
            for stale in cluster.databases() - {"postgres", "template0", "template1"}:
                cluster.execute(f'DROP DATABASE "{stale}" WITH (FORCE)')
            cluster.execute(f'CREATE DATABASE "{TEMPLATE}"')
            engine = make_engine(cluster.url(TEMPLATE))
            migrate(engine)
            engine.dispose()
            print(f"\ngroup data: {SITES} sites x {WORKERS_PER_SITE} workers, {YEARS} years "
                  f"({FIRST_DAY} to {LAST_DAY})")
            for site in range(1, SITES + 1):
                if site <= 2 or DISTINCT:
                    _load_site(cluster, site)
                    continue
                copied = time.perf_counter()
                cluster.execute(f'CREATE DATABASE "{_site_db(site)}" '
                                f'TEMPLATE "{_site_db(2)}"')
                print(f"  site {site:2d}: a copy of site 2's database "
                      f"({time.perf_counter() - copied:.1f} s)")
            print(f"group built in {time.perf_counter() - started:.1f} s")
            ready.touch()
        else:
            print(f"\ngroup data reused from {cluster.base}")
        yield cluster
    finally:
        cluster.stop()


def _sizes(cluster: GroupCluster) -> None:
    total = 0
    for site in range(1, SITES + 1):
        with psycopg.connect(cluster.dsn(_site_db(site))) as connection:
            counts = {table: connection.execute(
                f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("workers", "production_records", "events", "point_entries",
                              "training_progress")}
            size = connection.execute("SELECT pg_database_size(current_database())"
                                      ).fetchone()[0]
        total += size
        print(f"  {_site_db(site)}: " + ", ".join(f"{n} {t}" for t, n in counts.items())
              + f"; {size / 2**20:,.0f} MiB")
    print(f"  all sites: {total / 2**30:.2f} GiB")


def test_bench_group(group: GroupCluster) -> None:
    engines: dict[int, Engine] = {s: make_engine(group.url(_site_db(s)))
                                  for s in range(1, SITES + 1)}
    sites: dict[int, sessionmaker[Session]] = {s: make_sessionmaker(e)
                                               for s, e in engines.items()}
    try:
        print(f"\ngroup: {SITES} sites, {SITES * WORKERS_PER_SITE} workers, {YEARS} years, "
              f"PostgreSQL in {group.bin}, {os.cpu_count()} CPUs, load "
              f"{os.getloadavg()[0]:.1f}")
        _sizes(group)
        rnd = random.Random(20)

        def cards(site: int) -> Callable[[int], None]:
            with sites[site]() as session:
                codes = list(session.scalars(select(Worker.code).order_by(Worker.code)))
            chosen = [rnd.choice(codes) for _ in range(CARDS)]
            size = _shops(site)[0]

            def one_card(i: int) -> None:
                with sites[site]() as session:
                    card = worker_scorecard(session, chosen[i], "month", TODAY, ZONE,
                                            today=TODAY)
                    assert card["rank_of"] == size
            return one_card

        for site in sorted({1, min(2, SITES)}):
            one_card = cards(site)
            one_card(0)  # a running server's Python is warm, its standings cache cold
            _report(f"site {site}: fresh card, month ({_shops(site)[0]} in shop)",
                    _timed(CARDS, one_card), 20)

        def board(_i: int) -> None:
            with sites[1]() as session:
                result = leaderboard(session, "W01", "week", TODAY, ZONE, today=TODAY)
                assert len(result["standings"]) == WORKERS_PER_SITE

        board(0)
        _report("site 1: leaderboard, 2,000 workers, week", _timed(20, board), 50)

        per_site: list[float] = []
        cpu_total = 0.0
        for site in range(1, SITES + 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            with sites[site]() as session:
                result = all_scorecards(session, "month", TODAY, ZONE, today=TODAY)
            per_site.append(time.perf_counter() - started)
            cpu_total += time.process_time() - started_cpu
            assert len(result["scorecards"]) == WORKERS_PER_SITE
            print(f"  site {site:2d}: all {WORKERS_PER_SITE:,} month cards in "
                  f"{per_site[-1]:.2f} s")
        total = sum(per_site)
        p50, _ = _percentiles(per_site)
        verdict = "ok" if total <= 30 else "OVER TARGET"
        print(f"all {SITES * WORKERS_PER_SITE:,} month cards: {total:.1f} s summed over "
              f"{SITES} sites (per site p50 {p50:.2f} s, max {max(per_site):.2f} s; server "
              f"CPU {cpu_total:.1f} s) | target <= 30 s: {verdict}")
    finally:
        for engine in engines.values():
            engine.dispose()
