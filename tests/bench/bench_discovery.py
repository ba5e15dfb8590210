"""Discovery and drain benchmarks against a real server (gunicorn, HTTPS) on loopback.

Run: .venv/bin/python -m pytest tests/bench/bench_discovery.py -o python_files='bench_*.py' -s

- cold-start discovery by mDNS (target <= 1 s): a new zeroconf instance browses, the first
  answer is checked against the pin (TLS handshake + health), as a kiosk does at boot;
- cold-start discovery via the last-known address (target <= 100 ms);
- 10,000 queued events drained by the sync worker (target <= 10 s).
Figures are printed; nothing here asserts on time.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator

os.environ.setdefault("SHOPFLOOR_MDNS_INTERFACES", "127.0.0.1")

import pytest  # noqa: E402
from fault_support import enrol_store, plant_server  # noqa: E402

from kiosk.background.sync import SyncWorker  # noqa: E402
from kiosk.link.client import KioskClient  # noqa: E402
from kiosk.link.locate import Locator, mdns_browser, stored_pin  # noqa: E402
from kiosk.store import Store  # noqa: E402
from support.live_server import LiveServer  # noqa: E402

LOOPBACK = ["127.0.0.1"]
QUEUED = 10_000


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Store]]:
    folder = tmp_path_factory.mktemp("bench-discovery")
    server, code = plant_server(folder / "server", workers=2)
    server.start()
    enrol_store(folder / "kiosk", server, code)
    store = Store(folder / "kiosk" / "kiosk.sqlite3")
    # The advertisement is probed and announced for ~1.2 s after start; a kiosk booting
    # later finds it settled, which is what is measured.
    time.sleep(2)
    yield server, store
    store.close()
    server.stop()


def report(name: str, seconds: list[float], target: float) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"\n{name}: median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms "
          f"over {len(ms)} runs (target <= {target * 1000:.0f} ms)")


def test_cold_start_discovery_by_mdns(plant):
    server, store = plant
    times = []
    for _ in range(5):
        # A responder multicasts a record at most once a second (RFC 6762 §6): a browser
        # right after another waits ~1 s for its answer. A kiosk booting is not that.
        time.sleep(1.5)
        store.delete_setting("server_url")
        started = time.perf_counter()
        found = Locator(store, None, mdns_browser(LOOPBACK)).find()
        times.append(time.perf_counter() - started)
        assert found == server.url
    report("cold-start discovery by mDNS", times, 1.0)


def test_cold_start_discovery_via_last_known_address(plant):
    server, store = plant
    times = []
    for _ in range(20):
        store.set_setting("server_url", server.url)
        started = time.perf_counter()
        found = Locator(store, None, mdns_browser(LOOPBACK)).find()
        times.append(time.perf_counter() - started)
        assert found == server.url
    report("cold-start discovery via the last-known address", times, 0.1)


def test_drain_ten_thousand_queued_events(plant):
    server, store = plant
    for n in range(QUEUED):
        store.enqueue("badge_in", "A00", {"reader": f"bench-{n}"})
    pin = stored_pin(store)
    assert pin is not None
    client = KioskClient(server.url, store.get_setting("token"), tls=pin.context(),
                         queue_depth=store.depth)
    worker = SyncWorker(store, client, post=lambda *a, **k: None)
    started = time.perf_counter()
    worker.run_once()
    elapsed = time.perf_counter() - started
    worker.stop()
    assert store.depth() == 0
    print(f"\n{QUEUED} queued events drained in {elapsed:.2f} s "
          f"({QUEUED / elapsed:.0f} events/s, batches of {worker.max_batch}; target <= 10 s)")
