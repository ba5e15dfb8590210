"""(d) A rogue server advertising the same service, even with the real server's id, but
with another certificate, is refused and logged; the kiosk finds the real one."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Iterator

import pytest
from fault_support import enrol_store, plant_server
from zeroconf import ServiceInfo, Zeroconf

from kiosk.link.discovery import SERVICE_TYPE
from kiosk.link.locate import Locator, mdns_browser
from kiosk.logs import setup_logging
from kiosk.store import Store
from support.live_server import LiveServer

LOOPBACK = ["127.0.0.1"]


@pytest.fixture
def real_and_rogue(tmp_path) -> Iterator[tuple[LiveServer, LiveServer, str]]:
    real, code = plant_server(tmp_path / "real")
    rogue, _ = plant_server(tmp_path / "rogue")
    real.start()
    rogue.start()
    try:
        yield real, rogue, code
    finally:
        rogue.stop()
        real.stop()


def impersonate(zc: Zeroconf, rogue: LiveServer, server_id: str) -> ServiceInfo:
    """Advertise the rogue under the real server's id."""
    info = ServiceInfo(SERVICE_TYPE, f"rogue-{uuid.uuid4().hex[:8]}.{SERVICE_TYPE}",
                       addresses=[socket.inet_aton("127.0.0.1")], port=rogue.port,
                       properties={"v": "1", "id": server_id, "api": "/api/v1"})
    zc.register_service(info)
    return info


def log_lines(folder) -> list[dict]:
    for handler in logging.getLogger("kiosk").handlers:
        handler.flush()
    return [json.loads(line) for line in (folder / "kiosk.jsonl").read_text().splitlines()]


def test_a_rogue_server_is_refused_and_the_real_one_found(real_and_rogue, tmp_path):
    real, rogue, code = real_and_rogue
    kiosk = tmp_path / "kiosk"
    enrol_store(kiosk, real, code)
    setup_logging(tmp_path / "logs")
    store = Store(kiosk / "kiosk.sqlite3")
    zc = Zeroconf(interfaces=LOOPBACK, use_asyncio=False)
    try:
        info = impersonate(zc, rogue, real.server_id)
        # The address the kiosk knew now belongs to the rogue (say, DHCP gave it away).
        store.set_setting("server_url", rogue.url)
        found = Locator(store, None, mdns_browser(LOOPBACK, 5.0)).find()
        assert found == real.url
        assert store.get_setting("server_url") == real.url

        refused = [line for line in log_lines(tmp_path / "logs")
                   if line["event"] == "server_refused"]
        assert refused and {line["url"] for line in refused} == {rogue.url}, refused
        assert refused[0]["reason"] == "certificate does not match the pin"

        # With the real server gone, the rogue alone is refused: the kiosk finds nothing.
        real.stop()
        assert Locator(store, real.url, mdns_browser(LOOPBACK, 2.0)).find() is None
        zc.unregister_service(info)
    finally:
        zc.close()
        store.close()
        for handler in logging.getLogger("kiosk").handlers[:]:
            logging.getLogger("kiosk").removeHandler(handler)
            handler.close()
    # The rogue never got as far as an HTTP request: every handshake failed.
    assert "TLSV1_ALERT_UNKNOWN_CA" in rogue.log_path.read_text()
