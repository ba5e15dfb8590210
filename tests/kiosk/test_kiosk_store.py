"""The local store: caches and the outbox state machine, durable across reopen."""

from __future__ import annotations

import sqlite3

from kiosk.store import OutboxState, Store


def test_outbox_lifecycle(store):
    first = store.enqueue("badge_in", "W001", {"kind": "card"})
    second = store.enqueue("output", "W001", {"count": 5})
    assert store.depth() == 2
    batch = store.claim_batch()
    assert [item.uuid for item in batch] == [first, second]
    assert store.claim_batch() == []
    store.ack(first)
    store.nack(second, "timeout")
    assert store.state_of(first) is OutboxState.SENT
    assert store.state_of(second) is OutboxState.PENDING
    assert store.depth() == 1
    retry = store.claim_batch()
    assert retry[0].uuid == second and retry[0].attempts == 1
    store.nack(second, "bad kind", permanent=True)
    assert store.state_of(second) is OutboxState.FAILED
    assert store.prune_sent() == 1
    assert store.state_of(first) is None
    assert store.counts() == {"pending": 0, "in_flight": 0, "sent": 0, "failed": 1}


def test_in_flight_goes_back_to_pending_on_open(tmp_path):
    path = tmp_path / "k.sqlite3"
    store = Store(path)
    event = store.enqueue("badge_in", "W001", {})
    store.claim_batch()
    assert store.state_of(event) is OutboxState.IN_FLIGHT
    store.close()
    reopened = Store(path)
    assert reopened.state_of(event) is OutboxState.PENDING
    reopened.close()


def test_ack_only_moves_in_flight_items(store):
    event = store.enqueue("badge_in", "W001", {})
    store.ack(event)
    assert store.state_of(event) is OutboxState.PENDING


def test_event_is_durable_before_return(tmp_path):
    store = Store(tmp_path / "k.sqlite3")
    event = store.enqueue("output", "W001", {"count": 3})
    other = sqlite3.connect(tmp_path / "k.sqlite3")
    assert other.execute("SELECT kind FROM outbox WHERE uuid = ?", (event,)).fetchone() == (
        "output",)
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    other.close()
    store.close()


def test_roster_and_scorecard_cache(store):
    assert store.roster() == (None, None)
    store.save_roster({"workers": [{"code": "W1", "name": "张三"}]}, '"e1"')
    assert store.roster() == ({"workers": [{"code": "W1", "name": "张三"}]}, '"e1"')
    assert store.scorecard("W1", "week") is None
    store.save_scorecard("W1", "week", {"total": 5})
    store.save_scorecard("W1", "week", {"total": 6})
    assert store.scorecard("W1", "week").body == {"total": 6}
    store.set_setting("token", "x")
    store.set_setting("token", "y")
    assert store.get_setting("token") == "y"
