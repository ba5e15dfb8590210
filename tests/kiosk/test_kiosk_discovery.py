"""mDNS discovery on loopback only, and the sync worker switching to a found server."""

from __future__ import annotations

import socket
import uuid

import pytest
from kiosk_fakes import FakeServer
from zeroconf import ServiceInfo, Zeroconf

from kiosk.client import KioskClient
from kiosk.discovery import SERVICE_TYPE, Candidate, browse, choose
from kiosk.sync import SyncWorker

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def advertised():
    zc = Zeroconf(interfaces=LOOPBACK)
    # A unique instance name: another test run on this machine may advertise at once.
    info = ServiceInfo(
        SERVICE_TYPE, f"kiosk-test-{socket.gethostname()}-{uuid.uuid4().hex[:8]}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton("127.0.0.1")], port=8765,
        properties={"v": "1", "id": "srv-42", "api": "/api/v1"},
    )
    try:
        zc.register_service(info)
        yield info
        zc.unregister_service(info)
    finally:
        zc.close()


def test_browse_finds_the_server_on_loopback(advertised):
    found = browse(LOOPBACK, timeout_s=5)
    assert Candidate("http://127.0.0.1:8765", "srv-42") in found


def test_choose_prefers_the_known_server():
    a, b = Candidate("http://10.0.0.1:80", "a"), Candidate("http://10.0.0.2:80", "b")
    assert choose([a, b], "b") == b
    assert choose([a], "b") is None
    assert choose([a, b], None) == a
    assert choose([], None) is None


def test_sync_worker_switches_to_a_discovered_server(store):
    server = FakeServer()
    connected: list[str] = []

    def connect(url: str) -> KioskClient:
        connected.append(url)
        return KioskClient(url, "tok-123", transport=server.transport())

    store.enqueue("badge_in", "W001", {})
    worker = SyncWorker(store, None, post=lambda *a, **k: None, connect=connect,
                        discover=lambda: Candidate("http://127.0.0.1:8765", "s1"))
    worker.run_once()
    assert connected == ["http://127.0.0.1:8765"] and worker.online
    assert store.get_setting("server_url") == "http://127.0.0.1:8765"
    assert store.get_setting("server_id") == "s1" and len(server.events) == 1
    worker.stop()
