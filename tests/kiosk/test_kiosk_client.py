"""The HTTP client against a behaving in-memory server (httpx.MockTransport)."""

from __future__ import annotations

import time

import httpx
import pytest
from kiosk_fakes import FakeServer

from kiosk import __version__
from kiosk.clock import since_boot
from kiosk.errors import ApiError, ServerUnavailable
from kiosk.link.client import KioskClient


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def client(server):
    with KioskClient("http://127.0.0.1:9", "tok-123", transport=server.transport(),
                     queue_depth=lambda: 4) as client:
        yield client


def test_every_request_carries_version_and_queue_depth(client, server):
    assert client.health()["status"] == "ok"
    request = server.requests[-1]
    assert request.headers["X-Kiosk-Version"] == __version__
    assert request.headers["X-Kiosk-Queue-Depth"] == "4"
    assert request.headers["Authorization"] == "Bearer tok-123"


def test_roster_etag_and_304(client):
    body, etag = client.roster()
    assert etag == '"r1"' and len(body["workers"]) == 14
    assert client.roster(etag) == (None, '"r1"')


def test_scorecard_and_404(client):
    assert client.scorecard("W001", "day")["period"] == "day"
    with pytest.raises(ApiError) as caught:
        client.scorecard("NOPE")
    assert caught.value.status == 404 and caught.value.code == "not_found"


def test_events_results_in_order(client):
    events = [{"uuid": f"u{i}", "kind": "badge_in", "worker": "W001",
               "occurred_at": "2026-11-23T08:00:00.000+08:00", "payload": {}} for i in range(3)]
    assert [r["status"] for r in client.post_events(events)] == ["accepted"] * 3
    assert [r["status"] for r in client.post_events(events)] == ["duplicate"] * 3


def test_enroll(server):
    with KioskClient("http://127.0.0.1:9", transport=server.transport()) as client:
        answer = client.enroll("GOOD-CODE")
        assert answer["token"] == "tok-123" and answer["kiosk"]["workshops"] == ["W1"]
        with pytest.raises(ApiError):
            client.enroll("BAD")
        assert "Authorization" not in server.requests[-1].headers


def test_server_down_and_5xx_are_unavailable(client, server):
    server.up = False
    with pytest.raises(ServerUnavailable):
        client.health()
    broken = httpx.MockTransport(lambda request: httpx.Response(502))
    with KioskClient("http://127.0.0.1:9", transport=broken) as other, \
            pytest.raises(ServerUnavailable):
        other.health()


def test_pending_claims_tolerates_missing_endpoint(client, server):
    assert client.pending_claims("W1") == []
    server.claims = [{"id": 1}]
    assert client.pending_claims("W1") == [{"id": 1}]
    missing = httpx.MockTransport(lambda r: httpx.Response(404, json={"error": {}}))
    with KioskClient("http://127.0.0.1:9", "t", transport=missing) as other:
        assert other.pending_claims("W1") == []


def test_leaderboard_and_videos(client, server):
    board = client.leaderboard("W1")
    assert board["standings"][0]["worker"] == "W001"
    assert server.requests[-1].url.params["period"] == "week"
    assert client.videos() == [{"id": 1, "title": "安全培训"}]


def test_keys_bare_or_wrapped(client, server):
    assert client.keys() == server.keys
    wrapped = httpx.MockTransport(lambda r: httpx.Response(200, json={"keys": {"a": "b"}}))
    with KioskClient("http://127.0.0.1:9", "t", transport=wrapped) as other:
        assert other.keys() == {"a": "b"}


def test_the_servers_date_gives_both_offsets(client, server):
    server.clock_offset_s = -7200.0
    client.health()
    assert abs(client.clock_offset_s + 7200) < 2
    assert abs(client.boot_offset_s - (time.time() - 7200 - since_boot())) < 2
