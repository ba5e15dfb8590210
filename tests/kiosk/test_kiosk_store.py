"""The local store: caches and the outbox state machine, durable across reopen; its files
readable by the kiosk's user only; events tied to their server and stamped with its clock;
supervisors' acts sealed; wrong PINs and refused acts remembered; the server's keys."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest
from kiosk_fakes import (
    SEALING_PRIVATE,
    SEALING_PUBLIC,
    SITE_KEY,
    SUPERVISOR_PIN,
    TEST_KEYS,
    ZHANG_UID,
    FakeClock,
    card_credential,
    give_test_keys,
)

from kiosk.errors import NoSealingKey, StoreError
from kiosk.store import OutboxState, RefusedAct, Store
from shopfloor_trust.seal import SealRefused, item_digest, open_seal


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


# --- secrets at rest --------------------------------------------------------------------

def modes(path: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in [path.parent, *sorted(
        path.parent.glob(path.name + "*"))]}


def test_the_data_folder_and_the_store_files_are_the_kiosk_users_only(tmp_path):
    path = tmp_path / "data" / "kiosk.sqlite3"
    store = Store(path)
    store.set_setting("token", "device-token")
    give_test_keys(store)
    found = modes(path)
    assert {"kiosk.sqlite3", "kiosk.sqlite3-wal", "kiosk.sqlite3-shm"} <= set(found)
    assert found == {"data": 0o700, **{name: 0o600 for name in found if name != "data"}}
    store.close()


def test_an_older_kiosks_open_folder_is_closed_when_the_store_opens(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    old = sqlite3.connect(folder / "kiosk.sqlite3")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    old.commit()
    for file in folder.iterdir():
        file.chmod(0o644)
    folder.chmod(0o755)
    store = Store(folder / "kiosk.sqlite3")
    try:
        found = modes(folder / "kiosk.sqlite3")
        assert found["data"] == 0o700
        assert all(mode == 0o600 for name, mode in found.items() if name != "data"), found
    finally:
        store.close()
        old.close()


# --- the outbox belongs to its server ----------------------------------------------------

OLD_OUTBOX = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, worker TEXT, occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, updated_at REAL NOT NULL);
INSERT INTO settings VALUES ('server_id', 'srv-old'), ('token', 't');
INSERT INTO outbox (uuid, kind, worker, occurred_at, payload, state, updated_at)
    VALUES ('u-1', 'output', 'W001', '2026-11-23T08:00:00.000+08:00', '{"count": 3}',
            'pending', 0);
"""


def test_an_older_kiosks_outbox_is_upgraded_in_place_for_its_pinned_server(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(OLD_OUTBOX)
    old.close()
    store = Store(path)
    try:
        (item,) = store.claim_batch()
        assert item.as_api() == {"uuid": "u-1", "kind": "output", "worker": "W001",
                                 "occurred_at": "2026-11-23T08:00:00.000+08:00",
                                 "payload": {"count": 3}}
        columns = {row[1] for row in store._execute("PRAGMA table_info(outbox)")}
        assert {"kiosk_time", "proof", "server_id", "boot_id", "since_boot"} <= columns
        assert store._execute("SELECT server_id FROM outbox") == [("srv-old",)]
    finally:
        store.close()
    Store(path).close()  # a second open finds nothing to add


def test_events_go_only_to_the_server_they_were_made_for(store):
    store.set_setting("server_id", "srv-a")
    made_for_a = [store.enqueue("badge_in", "W001", {"n": n}) for n in range(2)]
    store.set_setting("server_id", "srv-b")  # a technician moved the kiosk
    made_for_b = store.enqueue("badge_in", "W001", {"n": 9})
    assert store.depth() == 1 and store.held() == {"srv-a": 2}
    assert [item.uuid for item in store.claim_batch()] == [made_for_b]
    assert store.claim_batch(server_id="srv-b") == []
    assert [i.uuid for i in store.queued("badge_in")] == [made_for_b]
    assert store.state_of(made_for_a[0]) is OutboxState.PENDING
    # Only a client that talks to srv-a may take srv-a's events.
    assert [i.uuid for i in store.claim_batch(server_id="srv-a")] == made_for_a


# --- the server's clock -----------------------------------------------------------------

def at(iso_text: str) -> float:
    return datetime.fromisoformat(iso_text).timestamp()


def test_events_are_stamped_with_the_servers_clock_and_the_raw_one_beside(tmp_path):
    clock = FakeClock(wall=0.0, since_boot=50.0)  # no real-time clock: it starts in 1970
    store = Store(tmp_path / "k.sqlite3", clock=clock)
    early = store.enqueue("badge_in", "W001", {})
    clock.advance(10)
    claimed = store.enqueue("output", "W001", {"count": 1})
    store.claim_batch(1)  # `early` went out with the raw time: the server may have it
    store.nack(early, "timeout")
    clock.advance(10)
    later = store.enqueue("output", "W001", {"count": 2})
    server_now = 1_790_000_000.0
    assert store.set_server_clock(server_now - clock.since_boot) == 2
    items = {i.uuid: i for i in store.claim_batch()}
    assert at(items[early].occurred_at) == at(items[early].kiosk_time) == 0.0
    assert at(items[claimed].occurred_at) == server_now - 10
    assert at(items[later].occurred_at) == server_now
    assert at(items[later].kiosk_time) == 20.0
    clock.advance(5)
    now = store.enqueue("badge_in", "W001", {})
    (item,) = [i for i in store.claim_batch() if i.uuid == now]
    assert at(item.occurred_at) == server_now + 5 and at(item.kiosk_time) == 25.0
    assert item.as_api()["kiosk_time"] == item.kiosk_time
    store.close()


def test_the_offset_holds_for_its_boot_only(tmp_path):
    clock = FakeClock(wall=1_000.0, since_boot=100.0)
    store = Store(tmp_path / "k.sqlite3", clock=clock)
    store.set_server_clock(1_790_000_000.0)
    assert store.server_clock() == 1_790_000_000.0
    clock.reboot(wall=5.0)
    assert store.server_clock() is None
    made = store.enqueue("badge_in", "W001", {})
    assert at(store.claim_batch()[0].occurred_at) == 5.0
    store.nack(made, "x")
    # The old boot's offset does not correct this boot's events; this boot's does.
    assert store.set_server_clock(1_800_000_000.0) == 0  # claimed once: left as sent
    store.close()


def test_the_clock_is_not_moved_by_the_wall_clock_within_a_boot(tmp_path):
    clock = FakeClock(wall=1_000.0, since_boot=100.0)
    store = Store(tmp_path / "k.sqlite3", clock=clock)
    store.set_server_clock(1_790_000_000.0 - 100.0)
    clock.wall = 123.0  # someone set the kiosk's clock back
    clock.since_boot += 1
    store.enqueue("badge_in", "W001", {})
    item = store.claim_batch()[0]
    assert at(item.occurred_at) == 1_790_000_001.0 and at(item.kiosk_time) == 123.0
    store.close()


# --- supervisors' acts ------------------------------------------------------------------

def test_an_act_needs_the_servers_sealing_key(store):
    with pytest.raises(NoSealingKey):
        store.enqueue_act("remark", "S001", SUPERVISOR_PIN,
                          [("W100", {"category": "HELP", "given_by": "S001"})])
    assert isinstance(NoSealingKey("x"), StoreError) and store.counts()["pending"] == 0


def test_an_act_is_written_whole_each_event_sealed_to_exactly_what_is_sent(tmp_path):
    clock = FakeClock()
    store = Store(tmp_path / "k.sqlite3", clock=clock)
    give_test_keys(store)
    store.set_server_clock(1_790_000_000.0 - clock.since_boot)
    items = [(code, {"category": "HELP", "given_by": "S001", "note": "好"})
             for code in ("W100", "W101", "W102")]
    uuids = store.enqueue_act("remark", "S001", SUPERVISOR_PIN, items)
    batch = store.claim_batch()
    assert [i.uuid for i in batch] == uuids and len(set(uuids)) == 3
    proof = batch[0].proof
    assert proof is not None and all(i.proof == proof for i in batch)
    assert proof["supervisor"] == "S001"
    for item in batch:
        sent = json.loads(json.dumps(item.as_api()))  # as the server reads the request
        assert sent["proof"] == proof and sent["kiosk_time"]
        assert item_digest(sent["uuid"], sent["worker"], sent["occurred_at"],
                           sent["payload"]) in proof["items"]
        assert at(sent["occurred_at"]) == 1_790_000_000.0
    assert open_seal(proof, SEALING_PRIVATE, "remark") == SUPERVISOR_PIN
    with pytest.raises(SealRefused):
        open_seal(proof, SEALING_PRIVATE, "claim_decision")
    store.close()
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert SUPERVISOR_PIN.encode() not in everything


def test_an_act_that_cannot_be_written_whole_writes_nothing(store):
    give_test_keys(store)
    with pytest.raises(StoreError):
        store.enqueue_act("remark", "S001", SUPERVISOR_PIN,
                          [("W100", {"category": "HELP", "given_by": "S001"}),
                           ("W101", {"category": "HELP", "given_by": "S009"})])
    with pytest.raises(TypeError):
        store.enqueue_act("remark", "S001", SUPERVISOR_PIN,
                          [("W100", {"category": "HELP", "given_by": "S001"}),
                           ("W101", {"category": object(), "given_by": "S001"})])
    assert store.counts()["pending"] == 0


def test_a_very_large_act_is_sealed_in_parts(store):
    give_test_keys(store)
    items = [(f"W{n:04d}", {"category": "HELP", "given_by": "S001"}) for n in range(501)]
    uuids = store.enqueue_act("remark", "S001", SUPERVISOR_PIN, items)
    batch = store.claim_batch(600)
    assert [i.uuid for i in batch] == uuids
    proofs = {json.dumps(i.proof, sort_keys=True) for i in batch}
    assert len(proofs) == 2 and sorted(len(json.loads(p)["items"]) for p in proofs) == [1, 500]


def test_wrong_pins_are_counted_per_supervisor_and_epoch_across_restarts(tmp_path):
    store = Store(tmp_path / "k.sqlite3")
    assert [store.note_pin_failure("S001", 0) for _ in range(3)] == [1, 2, 3]
    assert store.note_pin_failure("S002", 0) == 1
    store.close()
    store = Store(tmp_path / "k.sqlite3")
    assert store.pin_failures("S001", 0) == 3 and store.pin_failures("S001", 1) == 0
    assert store.note_pin_failure("S001", 1) == 1  # HR unlocked: a new epoch
    store.clear_pin_failures("S001")
    assert store.pin_failures("S001", 1) == 0 and store.pin_failures("S002", 0) == 1
    store.close()


def test_refused_acts_wait_until_their_supervisor_is_told(store):
    store.add_refused_act("u1", "S001", "remark", "W100", "proof: wrong PIN")
    store.add_refused_act("u1", "S001", "remark", "W100", "proof: wrong PIN")
    store.add_refused_act("u2", "S002", "claim_decision", "W101", "proof: locked")
    assert store.untold_refused_acts("S001") == [
        RefusedAct("u1", "S001", "remark", "W100", "proof: wrong PIN")]
    store.mark_refused_acts_told("S001")
    assert store.untold_refused_acts("S001") == []
    assert [a.uuid for a in store.untold_refused_acts("S002")] == ["u2"]


# --- the server's keys ------------------------------------------------------------------

def test_keys_are_checked_then_kept(store):
    assert store.site_key() is None and store.card_credential("04A1B2C3") is None
    with pytest.raises(ValueError, match="sealing_key_id"):
        store.save_keys({**TEST_KEYS, "sealing_key_id": "0" * 16})
    with pytest.raises(ValueError, match="site_key"):
        store.save_keys({**TEST_KEYS, "site_key": "c2hvcnQ="})
    assert store.sealing_key() is None
    give_test_keys(store)
    assert store.site_key() == SITE_KEY and store.sealing_key() == SEALING_PUBLIC
    assert store.card_credential("04:a1:b2:c3:d4:e5:f6") == card_credential(ZHANG_UID)
    assert store.card_credential("not hex") is None


def test_forgetting_a_server_keeps_its_unsent_events(store):
    store.set_setting("server_id", "srv-a")
    give_test_keys(store)
    store.save_roster({"workers": []}, '"e"')
    store.save_scorecard("W001", "week", {"total": 1})
    store.set_setting("scorecard_etag:W001:week", '"x"')
    store.note_pin_failure("S001", 0)
    event = store.enqueue("badge_in", "W001", {})
    store.forget_server_data()
    assert store.roster() == (None, None) and store.scorecard("W001", "week") is None
    assert store.get_setting("scorecard_etag:W001:week") is None
    assert store.site_key() is None and store.pin_failures("S001", 0) == 0
    assert store.state_of(event) is OutboxState.PENDING


def test_an_unknown_cards_number_leaves_no_trace_once_the_server_has_it(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    store = Store(path)
    sent = store.enqueue("badge_in", None, {"card_number": "C0FFEE0123", "kind": "card",
                                            "reader": "r"})
    refused = store.enqueue("badge_in", None, {"card_number": "BADCAB0123", "kind": "card",
                                               "reader": "r"})
    store.save_roster({"workers": [{"code": f"W{n:03d}"} for n in range(300)]}, '"e"')
    assert b"C0FFEE0123" in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    store.claim_batch()
    store.ack(sent)
    store.nack(refused, "payload: no", permanent=True)
    store.prune_sent()
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"C0FFEE0123" not in everything and b"BADCAB0123" not in everything
    assert store.state_of(refused) is OutboxState.FAILED
    store.close()
