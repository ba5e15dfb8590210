"""mDNS discovery on loopback only, and the sync worker switching to a found server."""

from __future__ import annotations

import socket
import uuid

import pytest
from kiosk_fakes import FakeServer
from zeroconf import ServiceInfo, Zeroconf

from kiosk.background.sync import SyncWorker
from kiosk.link.client import KioskClient
from kiosk.link.discovery import SERVICE_TYPE, Candidate, candidates
from kiosk.link.locate import Locator

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def advertised():
    # Playwright's sync API leaves an idle asyncio loop on the main thread: not ours.
    zc = Zeroconf(interfaces=LOOPBACK, use_asyncio=False)
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
    found = candidates(LOOPBACK, timeout_s=5)
    try:
        assert Candidate("https://127.0.0.1:8765", "srv-42", advertised.name) in found
    finally:
        found.close()


def test_the_locator_tries_the_last_address_then_mdns_then_the_configured_one(store,
                                                                             monkeypatch):
    tried: list[str] = []
    monkeypatch.setattr("kiosk.link.locate.verify", lambda url, pin: tried.append(url) or False)
    store.set_setting("server_id", "s1")
    store.set_setting("server_cert", "PEM")
    store.set_setting("server_url", "https://10.0.0.9:8750")
    mdns = [Candidate("https://10.0.0.7:8750", "other"), Candidate("https://10.0.0.8:8750", "s1")]
    locator = Locator(store, "https://10.0.0.6:8750", lambda: iter(mdns))
    assert locator.find() is None
    # Another server's advertisement is not even tried.
    assert tried == ["https://10.0.0.9:8750", "https://10.0.0.8:8750", "https://10.0.0.6:8750"]

    monkeypatch.setattr("kiosk.link.locate.verify", lambda url, pin: url.endswith(".8:8750"))
    assert locator.find() == "https://10.0.0.8:8750"
    assert store.get_setting("server_url") == "https://10.0.0.8:8750"


def test_a_kiosk_that_never_enrolled_looks_for_nothing(store):
    assert Locator(store, "https://10.0.0.6:8750", lambda: iter(())).find() is None


def test_sync_worker_switches_to_a_discovered_server(store):
    server = FakeServer()
    connected: list[str] = []

    def connect(url: str) -> KioskClient:
        connected.append(url)
        return KioskClient(url, "tok-123", transport=server.transport())

    store.enqueue("badge_in", "W001", {})
    store.set_setting("token", "tok-123")
    worker = SyncWorker(store, None, post=lambda *a, **k: None, connect=connect,
                        discover=lambda: "http://127.0.0.1:8765")
    worker.run_once()
    assert connected == ["http://127.0.0.1:8765"] and worker.online
    assert len(server.events) == 1
    worker.stop()
