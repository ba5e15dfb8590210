"""GET /metrics from the real server (`shopfloor-server run`, gunicorn, two workers),
read with prometheus_client's parser: the workers' counts add up in every scrape,
whichever worker answers it (multiprocess mode, a fresh folder per start, gone when the
server stops), the database's gauges are there, and only this host or a `monitoring`
token may read it. The app's own counting and refusals: test_metrics_access.py."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from server.db import make_engine, make_sessionmaker
from server.observability.multiprocess import remove_stale
from server.services.devices.tokens import add_integration_token
from support.factory import Factory, bearer, make_event
from support.live_server import LiveServer
from support.scrape import samples, value

ADMIN = {"SHOPFLOOR_ADMIN_PASSWORD": "admin password 1"}


@pytest.fixture
def server(tmp_path: Path, database_url: str, factory: Factory) -> Iterator[LiveServer]:
    """The factory's site (`factory`, on either engine) served by two workers."""
    live = LiveServer(tmp_path / "live", workers=2,
                      env={"SHOPFLOOR_DATABASE_URL": database_url, **ADMIN})
    live.start()
    yield live
    live.stop()


def _get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    # A connection of its own each time, so that both workers get requests.
    with httpx.Client(base_url=server.url, verify=server.verify, timeout=30) as client:
        return client.get(path, headers=headers)


def _workers(server: LiveServer) -> list[int]:
    """The pids of the gunicorn master's living children."""
    assert server.process is not None
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == server.process.pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def _metric_files(server: LiveServer) -> list[Path]:
    return sorted((server.data_dir / "prometheus").glob("*/*.db"))


def test_a_scrape_adds_up_every_worker_and_only_this_host_reads_it(
        server: LiveServer, factory: Factory, session: Session) -> None:
    kiosk = bearer(factory.kiosk_token, **{"X-Kiosk-Queue-Depth": "3"})
    now = datetime.now(UTC).replace(microsecond=0)
    sent = 0
    for batch in range(6):
        events = [make_event("badge_in", occurred_at=now - timedelta(minutes=batch, seconds=i))
                  for i in range(5)]
        with httpx.Client(base_url=server.url, verify=server.verify, timeout=30) as client:
            answer = client.post("/api/v1/events", json={"events": events}, headers=kiosk)
        assert answer.status_code == 200
        assert {r["status"] for r in answer.json()["results"]} == {"accepted"}
        sent += len(events)
    for _ in range(3):
        assert _get(server, "/api/v1/workers/W001/scorecard?period=day",
                    **kiosk).status_code == 200

    for _ in range(6):  # whichever worker answers, it tells the same totals
        response = _get(server, "/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        found = samples(response.text)
        assert value(found, "shopfloor_events_ingested_total", kind="badge_in",
                     result="accepted") == sent
        assert value(found, "shopfloor_ingest_duration_seconds_count") == 6
        assert sum(v for (name, _), v in found.items()
                   if name == "shopfloor_scorecard_duration_seconds_count") == 3
        assert value(found, "shopfloor_kiosk_queue_depth", kiosk="K1") == 3
        contact = value(found, "shopfloor_kiosk_last_contact_seconds", kiosk="K1")
        assert contact is not None and 0 <= contact < 120
        assert value(found, "shopfloor_alerts_open", workshop="W1", kind="machine_fault",
                     acknowledged="false") == 0
        assert value(found, "shopfloor_periods_closed", workshop="W1", kind="week") == 0
        assert value(found, "shopfloor_database_up") == 1
        assert all(name.startswith("shopfloor_") for name, _ in found)
    # A worker killed outright: gunicorn starts another, and nothing counted is lost.
    os.kill(_workers(server)[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while len(_workers(server)) < 2 or not server.healthy():
        assert time.monotonic() < deadline, "gunicorn did not replace the worker"
        time.sleep(0.2)
    for _ in range(4):
        found = samples(_get(server, "/metrics").text)
        assert value(found, "shopfloor_events_ingested_total", kind="badge_in",
                     result="accepted") == sent

    # A client on this host that says it relays for another, as a proxy would, needs
    # the token like anyone the proxy relays for.
    for header, claim in (("X-Forwarded-For", "127.0.0.1"), ("X-Real-IP", "127.0.0.1"),
                          ("Forwarded", "for=127.0.0.1")):
        response = _get(server, "/metrics", **{header: claim})
        assert response.status_code == 401, header
        assert "shopfloor_" not in response.text
    _, token = add_integration_token(session, "prometheus", "monitoring", "test")
    session.commit()
    assert _get(server, "/metrics", **{"X-Forwarded-For": "203.0.113.9",
                                       **bearer(token)}).status_code == 200

    assert _metric_files(server), "no multiprocess files in <data dir>/prometheus/"
    server.stop()
    assert not _metric_files(server), "the start's metrics folder outlived the server"


def _outside_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("203.0.113.1", 9))  # nothing is sent: a route is only picked
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_a_client_on_the_network_needs_the_token(tmp_path: Path) -> None:
    """The server on the machine's network address: a client connecting from there (not
    loopback) is refused without the token, however it dresses the request."""
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    live = LiveServer(tmp_path / "net", env=ADMIN, host=address)
    live.start()
    try:
        for headers in ({}, {"X-Forwarded-For": "127.0.0.1"},
                        {"Host": "127.0.0.1"}, bearer("made-up-token")):
            response = _get(live, "/metrics", **headers)
            assert response.status_code == 401, headers
        engine = make_engine(f"sqlite:///{live.data_dir / 'shopfloor.db'}")
        try:
            with make_sessionmaker(engine)() as session:
                _, token = add_integration_token(session, "prometheus", "monitoring", "test")
                session.commit()
        finally:
            engine.dispose()
        response = _get(live, "/metrics", **bearer(token))
        assert response.status_code == 200
        assert value(samples(response.text), "shopfloor_database_up") == 1
    finally:
        live.stop()


def test_a_start_removes_the_folders_of_servers_no_longer_running(tmp_path: Path) -> None:
    root = tmp_path / "prometheus"
    folders = {name: root / name for name in (
        f"{os.getppid()}-running", f"{os.getpid()}-earlier-with-my-pid", "4194305-gone",
        "notes")}  # 4194305: above any pid_max
    for folder in folders.values():
        folder.mkdir(parents=True)
    remove_stale(root)
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [f"{os.getppid()}-running", "notes"])
