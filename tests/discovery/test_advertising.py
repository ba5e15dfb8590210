"""The server's mDNS advertisement (python-zeroconf in the gunicorn master), its plain-HTTP
wall port, and how the kiosk finds it: cold start by mDNS and by the last address."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from fault_support import enrol_store, plant_server

from kiosk.link.discovery import candidates
from kiosk.link.locate import Locator, mdns_browser
from kiosk.store import Store
from server.serving.discovery import Advertiser, instance_name, txt_record

LOOPBACK = ["127.0.0.1"]


def find(server_id: str, timeout: float = 5.0):
    found = candidates(LOOPBACK, timeout)
    try:
        return next((c for c in found if c.server_id == server_id), None)
    finally:
        found.close()


def test_run_advertises_while_serving_and_says_goodbye(tmp_path):
    server, code = plant_server(tmp_path / "server")
    server.start()
    try:
        server_id = server.server_id
        candidate = find(server_id)
        assert candidate is not None and candidate.url == server.url
        assert candidate.name.startswith("shopfloor-") and server_id[:6] in candidate.name

        kiosk = tmp_path / "kiosk"
        enrol_store(kiosk, server, code)
        store = Store(kiosk / "kiosk.sqlite3")
        try:
            store.delete_setting("server_url")  # a kiosk that must use mDNS
            assert Locator(store, None, mdns_browser(LOOPBACK)).find() == server.url
        finally:
            store.close()
    finally:
        server.stop()
    assert find(server_id, timeout=1.5) is None, "the goodbye withdrew the advertisement"
    log = server.log_path.read_text()
    assert '"mdns_advertised"' in log and '"mdns_withdrawn"' in log


def test_the_wall_port_serves_the_wall_and_health_only(tmp_path):
    server, _ = plant_server(tmp_path / "server")
    server.start()
    try:
        with httpx.Client(base_url=server.wall_url, timeout=10) as plain:
            assert plain.get("/api/v1/health").json()["server_id"] == server.server_id
            wall = plain.get("/wall/no-such-display")  # the wall's own refusal, not the gate's
            assert wall.status_code in (403, 404) and "use HTTPS" not in wall.text
            login = plain.get("/admin/login?next=/admin/")
            assert login.status_code == 308
            assert login.headers["Location"] == f"{server.url}/admin/login?next=/admin/"
            refused = plain.post("/api/v1/enroll", json={"code": "X"})
            assert refused.status_code == 403 and "use HTTPS" in refused.text
        with httpx.Client(base_url=server.url, verify=server.verify, timeout=10) as tls:
            assert tls.get("/admin/login").status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.url}/api/v1/health", timeout=10)  # no CA vouches for it
    finally:
        server.stop()


def test_a_name_clash_is_a_log_line_not_a_crash(caplog):
    first = Advertiser("abcdef0123456789", 1, host="127.0.0.1", interfaces=("127.0.0.1",))
    second = Advertiser("abcdef0123456789", 2, host="127.0.0.1", interfaces=("127.0.0.1",))
    first.start()
    # mDNS answers no query for a record it multicast in the last second (RFC 6762 §6):
    # the clash is with a server that has been up a little while.
    time.sleep(1.5)
    try:
        with caplog.at_level(logging.ERROR, logger="server.serving.discovery"):
            second.start()
        assert not second.registered
        assert any(r.getMessage().startswith("mdns_name_clash") for r in caplog.records)
    finally:
        second.stop()
        first.stop()


def test_instance_names_and_txt_stay_within_dns_sd_limits():
    name = instance_name("a" * 80 + ".example.com", "0123456789abcdef")
    assert len(name.encode()) <= 63 and name.endswith("-012345")
    assert txt_record("0123456789abcdef") == {"v": "1", "id": "0123456789abcdef",
                                              "api": "/api/v1"}
    with pytest.raises(ValueError):
        txt_record("x" * 300)


def test_a_crashed_server_is_judged_by_its_health_check(tmp_path):
    """A browser that saw a server killed without goodbye lists it for ~19 minutes; the kiosk
    asks the server itself."""
    server, code = plant_server(tmp_path / "server")
    server.start()
    kiosk = tmp_path / "kiosk"
    enrol_store(kiosk, server, code)
    seen = find(server.server_id)
    assert seen is not None
    server.kill()
    store = Store(kiosk / "kiosk.sqlite3")
    try:
        started = time.monotonic()
        assert Locator(store, server.url, lambda: iter([seen])).find() is None
        assert time.monotonic() - started < 10
    finally:
        store.close()
