"""Locust users for tests/bench/bench_load.py, which runs this file in its own process
(`locust -f ... --headless`): locust patches the standard library for gevent, which must not
happen in the pytest process.

Everything comes from the plan bench_load.py writes (SHOPFLOOR_LOAD_PLAN, JSON): the two
URLs, the kiosks' tokens and workers, the display links, how many users of each kind and
the kiosks' pace. Which users run is chosen on locust's command line (`HealthUser`,
`KioskUser WallUser`, `WallUser`).

- `HealthUser`: GET /api/v1/health over HTTPS, back to back.
- `KioskUser`: a kiosk. Three scorecard reads (of the workers who tapped last, with the
  ETag it holds for that card, as kiosk/background/fetches.py does) for every batch of five
  badge taps (POST /api/v1/events), by task weight; the roster with its ETag once a minute,
  the first one at start (a kiosk just switched on has none), the next ones at a random
  point of each kiosk's minute so that they do not all come at once. Flat out (no wait)
  when the plan's `kiosk_rate` is 0, else that many tasks a second at most.
- `WallUser`: a wall TV polling its board.json with If-None-Match once a second on the
  plain-HTTP wall port, as server/wall/static/wall.js does, each from a random start within
  the first second.

Every simulated device connects from its own loopback address (127.x.y.z: all of 127/8 is
this host on Linux), as kiosks and TVs on a shop floor each have their own: the server
admits only so many connections per client address (server/serving/front.py `Limits`),
and 300 devices behind one address would be refused as one client hoarding connections.

When the run starts, when its warm-up (the plan's `warm_up_s`) is over and when it stops,
the listeners note the server's CPU time (utime + stime of its gunicorn master and worker
processes, from /proc/<pid>/stat), this process's own and the whole machine's busy time
(/proc/stat), with the answers so far by request type and status; at the stop they write
it all with locust's figures (requests, failures, p50/p95/p99 per request type, errors)
to SHOPFLOOR_LOAD_REPORT, and p50/p95/p99 per request type of the answers after the
warm-up.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
from geventhttpclient.connectionpool import ConnectionPool
from locust import FastHttpUser, constant, constant_throughput, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["SHOPFLOOR_LOAD_PLAN"]).read_text())
REPORT = Path(os.environ["SHOPFLOOR_LOAD_REPORT"])
TAPS_PER_BATCH = 5
ROSTER_EVERY_S = 60.0
TV_POLL_HZ = 1.0

# (request name, HTTP status; 0: no answer) -> answers
STATUSES: Counter[tuple[str, str]] = Counter()
# The same, as they stood at the end of the warm-up
STEADY: Counter[tuple[str, str]] = Counter()
MARKS: dict[str, dict[str, float]] = {}
# Response times (ms) by request name once the warm-up is over: the steady load's, without
# the start-up burst (every kiosk's first roster and its cold cards at one instant).
STEADY_TIMES: dict[str, list[float]] = defaultdict(list)

# --- one loopback address per simulated device ----------------------------------------------

_plain_socket = ConnectionPool._create_tcp_socket


def _bound_socket(self: ConnectionPool, family: int, socktype: int, protocol: int) -> Any:
    """A new connection from the address of the device whose greenlet opens it."""
    sock = _plain_socket(self, family, socktype, protocol)
    address = getattr(gevent.getcurrent(), "shopfloor_source", None)
    if address is not None:
        sock.bind((address, 0))
    return sock


ConnectionPool._create_tcp_socket = _bound_socket  # type: ignore[method-assign]


def _addresses(second_octet: int) -> Iterator[str]:
    return (f"127.{second_octet}.{n // 250}.{n % 250 + 1}" for n in itertools.count())


HEALTH_ADDRESSES = _addresses(1)
KIOSK_ADDRESSES = _addresses(2)
TV_ADDRESSES = _addresses(3)
KIOSKS = itertools.cycle(PLAN["kiosks"])
DISPLAYS = itertools.cycle(PLAN["displays"])


def _tally(name: str, status: int | str) -> None:
    STATUSES[(name, str(status))] += 1


# --- CPU time around the run ----------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> tuple[int, float]:
    """(parent pid, utime + stime in seconds) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the name: state ppid ... utime (14th field of the line) stime (15th).
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _server_cpu(master: int) -> float:
    """The gunicorn master's CPU time and its live workers'."""
    total = _process_cpu(master)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == master:
            continue
        try:
            parent, cpu = _process_cpu(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not ours to read
        if parent == master:
            total += cpu
    return total


def _machine_busy() -> float:
    """Seconds of CPU the whole machine spent not idle (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK


def _mark() -> dict[str, float]:
    own = os.times()
    return {"time": time.monotonic(), "server_cpu": _server_cpu(PLAN["server_pid"]),
            "locust_cpu": own.user + own.system, "machine_busy": _machine_busy()}


def _steady() -> None:
    MARKS["steady"] = _mark()
    STEADY.update(STATUSES)


@events.request.add_listener
def _timed(name: str, response_time: float, **_: Any) -> None:
    if "steady" in MARKS:
        STEADY_TIMES[name].append(response_time)


def _steady_figures(times: list[float]) -> dict[str, Any]:
    ordered = sorted(times)
    return {"requests": len(ordered),
            **{f"p{round(share * 100)}": ordered[round(share * (len(ordered) - 1))]
               for share in (0.5, 0.95, 0.99)}}


@events.test_start.add_listener
def _started(**_: Any) -> None:
    MARKS["start"] = _mark()
    gevent.spawn_later(PLAN["warm_up_s"], _steady)


def _figures(entry: Any) -> dict[str, Any]:
    return {"requests": entry.num_requests, "failures": entry.num_failures,
            **{f"p{round(share * 100)}": entry.get_response_time_percentile(share)
               for share in (0.5, 0.95, 0.99)}}


@events.test_stop.add_listener
def _stopped(environment: Any, **_: Any) -> None:
    MARKS["stop"] = _mark()
    # From locust's own statistics, complete at this point (its CSV files lag a second).
    stats = environment.stats
    REPORT.write_text(json.dumps({
        "stats": {**{entry.name: _figures(entry) for entry in stats.entries.values()},
                  "all": _figures(stats.total)},
        "errors": [[error.name, error.error, error.occurrences]
                   for error in stats.errors.values()],
        "marks": MARKS,
        "statuses": [[name, status, count] for (name, status), count in STATUSES.items()],
        "steady_statuses": [[name, status, count] for (name, status), count in STEADY.items()],
        "steady_times": {name: _steady_figures(times) for name, times in STEADY_TIMES.items()
                         if times},
    }))


# --- the users -------------------------------------------------------------------------------


class HealthUser(FastHttpUser):
    """The ceiling: the cheapest request the server has, back to back."""

    host = PLAN["url"]
    wait_time = constant(0)
    fixed_count = PLAN["health_users"]

    def on_start(self) -> None:
        gevent.getcurrent().shopfloor_source = next(HEALTH_ADDRESSES)

    @task
    def health(self) -> None:
        with self.client.get("/api/v1/health", name="health", catch_response=True) as answer:
            _tally("health", answer.status_code)
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")


class KioskUser(FastHttpUser):
    host = PLAN["url"]
    wait_time = (constant(0) if not PLAN["kiosk_rate"]
                 else constant_throughput(PLAN["kiosk_rate"]))
    fixed_count = PLAN["kiosks_simulated"]

    def on_start(self) -> None:
        gevent.getcurrent().shopfloor_source = next(KIOSK_ADDRESSES)
        kiosk = next(KIOSKS)
        self.workers: list[str] = kiosk["workers"]
        self.headers = {"Authorization": f"Bearer {kiosk['token']}",
                        "X-Kiosk-Queue-Depth": "0", "X-Kiosk-Version": "bench-load"}
        self.cards: dict[str, str] = {}  # worker -> the ETag of the card held
        self.tapped = random.sample(self.workers, TAPS_PER_BATCH)
        self.roster_etag: str | None = None
        self.roster()
        self.roster_due = time.monotonic() + random.uniform(0, ROSTER_EVERY_S)

    def roster(self) -> None:
        headers = dict(self.headers)
        if self.roster_etag:
            headers["If-None-Match"] = self.roster_etag
        with self.client.get("/api/v1/roster", headers=headers, name="roster",
                             catch_response=True) as answer:
            _tally("roster", answer.status_code)
            if answer.status_code == 200:
                self.roster_etag = answer.headers.get("ETag")
            elif answer.status_code != 304:
                answer.failure(f"HTTP {answer.status_code}")
                return
            answer.success()

    def _roster_if_due(self) -> None:
        if time.monotonic() >= self.roster_due:
            self.roster_due += ROSTER_EVERY_S
            self.roster()

    @task(3)
    def scorecard(self) -> None:
        self._roster_if_due()
        worker = random.choice(self.tapped)
        headers = dict(self.headers)
        if self.cards.get(worker):
            headers["If-None-Match"] = self.cards[worker]
        with self.client.get(f"/api/v1/workers/{worker}/scorecard?period=week",
                             headers=headers, name="scorecard",
                             catch_response=True) as answer:
            _tally("scorecard", answer.status_code)
            if answer.status_code == 200:
                self.cards[worker] = answer.headers.get("ETag", "")
            elif answer.status_code != 304:
                answer.failure(f"HTTP {answer.status_code}")
                return
            answer.success()

    @task(1)
    def events_batch(self) -> None:
        self._roster_if_due()
        self.tapped = random.sample(self.workers, TAPS_PER_BATCH)
        now = datetime.now(UTC).isoformat()
        batch = [{"uuid": str(uuid.uuid4()), "kind": "badge_in", "worker": worker,
                  "occurred_at": now, "payload": {}} for worker in self.tapped]
        with self.client.post("/api/v1/events", json={"events": batch}, headers=self.headers,
                              name="events batch", catch_response=True) as answer:
            _tally("events batch", answer.status_code)
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
                return
            statuses = [result.get("status") for result in answer.json()["results"]]
            if statuses != ["accepted"] * len(batch):
                answer.failure(f"not all accepted: {statuses}")
                return
            answer.success()


class WallUser(FastHttpUser):
    host = PLAN["wall_url"]
    wait_time = constant_throughput(TV_POLL_HZ)
    fixed_count = PLAN["tvs"]

    def on_start(self) -> None:
        gevent.getcurrent().shopfloor_source = next(TV_ADDRESSES)
        self.board_url = f"{next(DISPLAYS)}/board.json"
        self.etag: str | None = None
        gevent.sleep(random.random() / TV_POLL_HZ)

    @task
    def board(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(self.board_url, headers=headers, name="wall board",
                             catch_response=True) as answer:
            _tally("wall board", answer.status_code)
            if answer.status_code == 200:
                self.etag = answer.headers.get("ETag")
            elif answer.status_code != 304:
                answer.failure(f"HTTP {answer.status_code}")
                return
            answer.success()
