"""The sync worker against a behaving server that can go away and come back; the keys it
fetches, the sealed acts it sends and the refusals it keeps, the server's clock, and the
server its events are for."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime

import httpx
import pytest
from kiosk_fakes import (
    SEALING_PRIVATE,
    SEALING_PUBLIC,
    SITE_KEY,
    SUPERVISOR_PIN,
    FakeServer,
    give_test_keys,
)

from kiosk import events
from kiosk.background.sync import SyncWorker
from kiosk.link.client import KioskClient
from kiosk.store import OutboxState


class Posted:
    def __init__(self) -> None:
        self.events: list[tuple[int, dict]] = []
        self.changed = threading.Event()

    def __call__(self, event_type: int, **attrs) -> None:
        self.events.append((event_type, attrs))
        self.changed.set()

    def of(self, event_type: int) -> list[dict]:
        return [attrs for kind, attrs in self.events if kind == event_type]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def posted() -> Posted:
    return Posted()


@pytest.fixture
def worker(store, server, posted):
    client = KioskClient("http://127.0.0.1:9", "tok-123", transport=server.transport(),
                         queue_depth=store.depth)
    yield SyncWorker(store, client, interval_s=0.05, post=posted)
    client.close()


def test_drains_outbox_once_and_reports_depth(worker, store, server, posted):
    uuids = [store.enqueue("badge_in", "W001", {"kind": "card"}) for _ in range(3)]
    worker.run_once()
    assert set(server.events) == set(uuids)
    assert store.depth() == 0 and all(store.state_of(u) is None for u in uuids)
    assert posted.of(events.SYNC_STATUS)[-1] == {"online": True, "depth": 0}
    posts = [r for r in server.requests if r.url.path.endswith("/events")]
    assert posts[0].headers["X-Kiosk-Queue-Depth"] == "3"
    assert store.get_setting("last_sync")


def test_server_down_keeps_events_and_backs_off(worker, store, server, posted):
    server.up = False
    event = store.enqueue("output", "W001", {"count": 4})
    worker.run_once()
    worker.run_once()
    assert store.state_of(event) is OutboxState.PENDING
    assert posted.of(events.SYNC_STATUS)[-1]["online"] is False
    assert worker._backoff() > worker.interval_s
    server.up = True
    worker.run_once()
    assert list(server.events) == [event] and store.depth() == 0


def test_resend_after_lost_ack_is_a_duplicate(worker, store, server):
    event = store.enqueue("output", "W001", {"count": 4})
    item = store.claim_batch()[0]
    server._store(item.as_api())
    store.nack(event, "ack lost")
    worker.run_once()
    assert store.state_of(event) is None and len(server.events) == 1


def test_rejected_event_fails_permanently(worker, store):
    event = store.enqueue("bogus", "W001", {})
    worker.run_once()
    assert store.state_of(event) is OutboxState.FAILED


def test_roster_uses_etag(worker, store, server, posted):
    worker.run_once()
    assert store.roster()[1] == '"r1"' and len(posted.of(events.ROSTER_READY)) == 1
    worker._next_roster = 0
    worker.run_once()
    assert len(posted.of(events.ROSTER_READY)) == 1
    roster_requests = [r for r in server.requests if r.url.path.endswith("/roster")]
    assert roster_requests[-1].headers["If-None-Match"] == '"r1"'


def test_scorecard_requests_are_fetched_and_kept_when_offline(worker, store, server, posted):
    server.up = False
    worker.request_scorecard("W001", "week")
    worker.run_once()
    assert store.scorecard("W001", "week") is None
    server.up = True
    worker.run_once()
    assert store.scorecard("W001", "week").body["total"] == 85.0
    assert posted.of(events.SCORECARD_READY) == [{"worker": "W001", "period": "week"}]


def test_an_unchanged_scorecard_is_refreshed_by_its_etag(worker, store, server, posted):
    worker.request_scorecard("W001", "week")
    worker.run_once()
    first = store.scorecard("W001", "week")
    worker.request_scorecard("W001", "week")
    worker.run_once()
    asked = [r for r in server.requests if r.url.path.endswith("/scorecard")]
    assert asked[-1].headers["If-None-Match"] == '"W001-85.0"'
    again = store.scorecard("W001", "week")
    assert again.body == first.body and again.fetched_at >= first.fetched_at
    assert len(posted.of(events.SCORECARD_READY)) == 2


def test_claims_are_cached(worker, store, server, posted):
    server.claims = [{"id": 3, "worker": "W001", "points": 5}]
    worker.request_claims("W1")
    worker.run_once()
    assert '"id": 3' in store.get_setting("pending_claims:W1")
    assert posted.of(events.CLAIMS_READY) == [{"workshop": "W1"}]


def test_thread_sends_when_kicked_and_stops(worker, store, server):
    worker.interval_s = 30
    worker.start()
    try:
        worker.request_scorecard("W001", "day")
        event = store.enqueue("badge_in", "W001", {})
        worker.kick()
        for _ in range(100):
            if event in server.events:
                break
            threading.Event().wait(0.02)
        assert event in server.events
    finally:
        worker.stop()


def test_unenrolled_worker_is_offline(store, posted):
    SyncWorker(store, None, post=posted).run_once()
    assert posted.of(events.SYNC_STATUS)[-1]["online"] is False


def test_photos_are_fetched_once_per_url(worker, store, server):
    worker.run_once()
    assert server.photo_downloads == 2
    url, body = store.photo("W001")
    assert url.endswith("/W001/photo") and body[:2] == b"\xff\xd8"
    server.etag = '"r2"'
    worker._next_roster = 0
    worker.run_once()
    assert server.photo_downloads == 2


def test_a_batch_the_server_refuses_is_split_until_the_bad_event_is_alone(store, posted):
    server = FakeServer()
    refusing = server.handle

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events") and any(
                e["kind"] == "poison" for e in json.loads(request.content)["events"]):
            return httpx.Response(400, json={"error": {"code": "bad", "message": "no"}})
        return refusing(request)

    client = KioskClient("http://127.0.0.1:9", "tok-123", transport=httpx.MockTransport(handle))
    worker = SyncWorker(store, client, post=posted, batch_size=8)
    good = [store.enqueue("badge_in", "W001", {}) for _ in range(5)]
    bad = store.enqueue("poison", "W001", {})
    good += [store.enqueue("badge_in", "W001", {}) for _ in range(2)]
    for _ in range(6):
        worker.run_once()
    assert store.state_of(bad) is OutboxState.FAILED
    assert set(server.events) == set(good) and store.depth() == 0
    assert worker.batch_size == 8
    worker.stop()


# --- trust: keys, acts, the server's clock, the server the events are for ---------------

def remark(store, pin: str = SUPERVISOR_PIN) -> list[str]:
    return store.enqueue_act("remark", "S001", pin, [
        (code, {"category": "HELP", "given_by": "S001"}) for code in ("W100", "W101")])


def test_a_kiosk_enrolled_before_keys_fetches_them(worker, store, server, caplog):
    worker.run_once()
    assert store.sealing_key() == SEALING_PUBLIC and store.site_key() == SITE_KEY
    asked = [r for r in server.requests if r.url.path.endswith("/keys")]
    worker.run_once()
    assert len([r for r in server.requests if r.url.path.endswith("/keys")]) == len(asked) == 1


def test_a_server_before_keys_is_asked_again_only_with_the_roster(worker, store, server):
    server.keys = None
    worker.run_once()
    worker.run_once()
    assert len([r for r in server.requests if r.url.path.endswith("/keys")]) == 1
    assert store.sealing_key() is None and worker.online


def test_a_sealed_act_goes_out_with_its_proof_and_is_taken(worker, store, server, posted):
    give_test_keys(store)
    server.sealing = SEALING_PRIVATE
    uuids = remark(store)
    worker.run_once()
    assert set(uuids) <= set(server.events) and store.depth() == 0
    sent = server.events[uuids[0]]
    assert sent["proof"]["supervisor"] == "S001" and sent["kiosk_time"]
    assert posted.of(events.ACT_REFUSED) == []


def test_a_refused_act_is_kept_for_its_supervisor_and_announced(worker, store, server, posted,
                                                                 caplog):
    give_test_keys(store)
    server.sealing = SEALING_PRIVATE
    uuids = remark(store, pin="999999")
    with caplog.at_level(logging.INFO):
        worker.run_once()
    assert all(store.state_of(u) is OutboxState.FAILED for u in uuids)
    assert [(a.uuid, a.kind, a.reason) for a in store.untold_refused_acts("S001")] == [
        (u, "remark", "proof: wrong PIN") for u in uuids]
    assert posted.of(events.ACT_REFUSED) == [{"supervisor": "S001", "uuid": u} for u in uuids]
    assert "999999" not in caplog.text


def test_events_made_before_the_server_said_the_time_are_corrected_first(worker, store,
                                                                         server):
    server.clock_offset_s = 3 * 3600.0  # the kiosk's clock is three hours slow
    give_test_keys(store)  # so the outbox is the round's first request
    made = store.enqueue("output", "W001", {"count": 4})
    worker.run_once()
    sent = server.events[made]
    late = datetime.fromisoformat(sent["occurred_at"]) - datetime.fromisoformat(
        sent["kiosk_time"])
    assert abs(late.total_seconds() - 3 * 3600) < 3
    paths = [r.url.path for r in server.requests]
    assert paths.index("/api/v1/health") < paths.index("/api/v1/events")


def test_only_the_pinned_servers_events_are_sent(store, server, posted):
    store.set_setting("server_id", "s0")
    held = store.enqueue("badge_in", "W001", {"for": "s0"})
    store.set_setting("server_id", "s1")
    mine = store.enqueue("badge_in", "W001", {"for": "s1"})
    client = KioskClient("http://127.0.0.1:9", "tok-123", transport=server.transport(),
                         server_id="s1")
    worker = SyncWorker(store, client, post=posted)
    worker.run_once()
    assert list(server.events) == [mine] and store.held() == {"s0": 1}
    assert store.state_of(held) is OutboxState.PENDING
    worker.stop()
