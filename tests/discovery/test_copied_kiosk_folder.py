"""A copied kiosk data folder, against a real server (issue 15's attack from outside).

Someone copies an enrolled kiosk's data folder (a stolen SD card, a backup left lying
around) while a supervisor's act is still waiting in its outbox. The copy
(a) holds no PIN hash, no PIN, and no plain sha256 of any card number: the roster carries
    keyed digests, which cost a slow scrypt a guess (tests/bench/bench_card_digest.py);
    an unknown card's number the kiosk sent is gone from its files;
(b) gives a sealed act that cannot be aimed anywhere else: sent first, with the kiosk's own
    token, the act with another worker, other points, another time or a new uuid is
    `rejected` with a `proof:` reason; the kiosk's own send is then taken, and the act
    resent from the copy as it was is a `duplicate`: it gives nothing twice.
"""

from __future__ import annotations

import copy
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fault_support import hr, plant_server
from sqlalchemy import func, select

from kiosk.background.sync import SyncWorker
from kiosk.link.client import KioskClient
from kiosk.link.enrolment import enrol
from kiosk.link.locate import Locator, stored_pin
from kiosk.store import Store
from server.models import PointEntry, Worker
from server.services.devices.keys import load_keys
from server.services.people.badges import assign_card
from shopfloor_trust.cards import card_digest, legacy_card_digest
from support.factory import SUPERVISOR_PIN

CARD = "04A1B2C3D4"  # A00's card
STRANGER = "0A0B0C0D0E"  # a card no one has, tapped at the kiosk


CODES: dict[str, str] = {}


def code_of(server) -> str:  # type: ignore[no-untyped-def]
    return CODES[str(server.data_dir)]


def sync_once(store: Store, url: str) -> None:
    def connect(found: str) -> KioskClient:
        pin = stored_pin(store)
        assert pin is not None
        return KioskClient(found, store.get_setting("token"), tls=pin.context(),
                           server_id=pin.server_id)

    worker = SyncWorker(store, None, post=lambda *a, **k: None,
                        discover=Locator(store, url, lambda: ()).find, connect=connect,
                        discovery_interval_s=0)
    try:
        worker.run_once()
    finally:
        worker.stop()


def files(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def remarks_of(server, code: str) -> int:  # type: ignore[no-untyped-def]
    return hr(server, lambda s: s.scalar(
        select(func.count()).select_from(PointEntry).join(
            Worker, PointEntry.worker_id == Worker.id).where(Worker.code == code)))


def test_a_copied_kiosk_folder_gives_no_credentials_and_no_reusable_act(tmp_path):
    server, code = plant_server(tmp_path / "server")
    CODES[str(server.data_dir)] = code
    keys = load_keys(server.data_dir)  # the keys the server will load when it starts
    hr(server, lambda s: assign_card(s, keys, "A00", CARD, "test"))
    server.start()
    try:
        attack(server, keys.site_key, tmp_path)
    finally:
        server.stop()


def attack(server, site_key: bytes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kiosk = tmp_path / "kiosk"
    store = Store(kiosk / "kiosk.sqlite3")
    try:
        enrol(store, server.payload(code_of(server)), server_url=server.url)
        store.enqueue("badge_in", None, {"card_number": STRANGER, "kind": "card",
                                         "reader": "ACS 00 00"})
        sync_once(store, server.url)  # the roster comes, the unknown tap goes
        assert store.depth() == 0 and store.roster()[0] is not None
        act = store.enqueue_act("remark", "S01", SUPERVISOR_PIN, [
            ("A00", {"category": "help_colleague", "given_by": "S01"})])
        stolen = tmp_path / "stolen"
        shutil.copytree(kiosk, stolen)  # the act is still in the outbox
    except BaseException:
        store.close()
        raise

    # (a) nothing in the copy to crack or clone with
    found = files(stolen)
    for secret in (legacy_card_digest(CARD), legacy_card_digest(STRANGER), STRANGER, CARD):
        assert secret.encode() not in found and secret.lower().encode() not in found
    assert b"$argon2" not in found and SUPERVISOR_PIN.encode() not in found
    copied = Store(stolen / "kiosk.sqlite3")
    try:
        roster, _ = copied.roster()
        assert roster is not None
        a00 = next(w for w in roster["workers"] if w["code"] == "A00")
        assert a00["badges"] == [{"kind": "card", "hash": card_digest(CARD, site_key)}]
        assert all("pin_hash" not in w for w in roster["workers"])
        token = copied.get_setting("token")
        (taken,) = copied.claim_batch()  # the act, as the copy holds it
    finally:
        copied.close()
    assert taken.uuid == act[0] and taken.proof is not None

    # (b) the act re-aimed, before the kiosk sends it, with the kiosk's own token: refused
    original = taken.as_api()
    later = (datetime.fromisoformat(original["occurred_at"]) + timedelta(minutes=1)).isoformat(
        timespec="milliseconds")

    def variant(**changes: Any) -> dict[str, Any]:
        event = copy.deepcopy(original)
        for key, value in changes.items():
            if key == "category":
                event["payload"]["category"] = value
            else:
                event[key] = value
        return event

    attempts = {
        "another worker": variant(worker="A01"),
        "more points": variant(category="safety_catch"),
        "another time": variant(occurred_at=later),
        "a new uuid": variant(uuid=str(uuid.uuid4())),
        "a new uuid for another worker": variant(uuid=str(uuid.uuid4()), worker="A02"),
    }
    with httpx.Client(base_url=server.url, verify=server.verify, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        for what, event in attempts.items():  # one request each, as separate tries
            answer = http.post("/api/v1/events", json={"events": [event]})
            assert answer.status_code == 200, answer.text
            (result,) = answer.json()["results"]
            assert result["status"] == "rejected", (what, result)
            assert result["reason"].startswith("proof:"), (what, result)
        assert remarks_of(server, "A00") == remarks_of(server, "A01") == 0

        # The kiosk sends its act: taken, once. The copy's act sent again: a duplicate.
        try:
            sync_once(store, server.url)
            assert store.depth() == 0
        finally:
            store.close()
        again = http.post("/api/v1/events", json={"events": [original]})
    assert again.json()["results"] == [{"uuid": original["uuid"], "status": "duplicate"}]
    assert remarks_of(server, "A00") == 1
    assert remarks_of(server, "A01") == remarks_of(server, "A02") == 0
