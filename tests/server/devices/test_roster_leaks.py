"""What a kiosk's token gives away, tried from outside against a real `shopfloor-server
run` on each engine: the roster over HTTPS with a real kiosk token holds no PIN hash and
no sha256 of a card's number; a short card number (2^16 of them) falls at once to sha256,
and the keyed digest the roster carries matches nothing without the site key. An unknown
card tapped over HTTP leaves its number in no event, audit entry or log line."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import AuditEntry, Badge, BadgeDigest, Event, UnknownTap, Worker
from server.services.devices.keys import ServerKeys, load_keys
from server.services.people.badges import assign_card, assign_tapped, unknown_taps
from shopfloor_trust.cards import card_digest, legacy_card_digest
from shopfloor_trust.pins import pin_check
from support.factory import SUPERVISOR_PIN, bearer, build_factory
from support.live_server import LiveServer

# Short card numbers: 2 bytes, 65,536 of them, as cheap tags and keyboard-wedge readers
# give. W001 holds one with a keyed digest; W002 one enrolled before (a legacy sha256).
W001_CARD, W002_CARD, STRANGER = "BEEF", "C0DE", "0BAD"


@pytest.fixture
def site(migrated: Config) -> Iterator[tuple[LiveServer, ServerKeys, str]]:
    keys = load_keys(migrated.data_dir)  # the same folder the server reads them from
    engine = make_engine(migrated.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            token = build_factory(session).kiosk_token
            assign_card(session, keys, "W001", W001_CARD, "test")
            w002 = session.scalars(select(Worker).where(Worker.code == "W002")).one()
            session.add(Badge(worker=w002, kind="card", digest=BadgeDigest.LEGACY,
                              credential_hash=legacy_card_digest(W002_CARD)))
            session.commit()
    finally:
        engine.dispose()
    server = LiveServer(migrated.data_dir, env={"SHOPFLOOR_DATABASE_URL": migrated.database_url})
    server.start()
    try:
        yield server, keys, token
    finally:
        server.stop()


def _get(server: LiveServer, path: str, token: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=bearer(token), verify=server.verify,
                     timeout=10)


def _sha256_table() -> dict[str, str]:
    """Every 2-byte card number by its sha256: what an attacker builds in a blink."""
    return {hashlib.sha256(f"{n:04X}".encode()).hexdigest(): f"{n:04X}" for n in range(2**16)}


def test_the_roster_gives_away_no_pin_and_no_card(
    site: tuple[LiveServer, ServerKeys, str]
) -> None:
    server, keys, token = site
    response = _get(server, "/api/v1/roster", token)
    assert response.status_code == 200
    text, roster = response.text, response.json()
    workers = {w["code"]: w for w in roster["workers"]}

    # No PIN hash: only a 6-bit typo check, which leaves 1/64 of all 6-digit PINs.
    assert "pin_hash" not in text and "$argon2" not in text
    s001 = workers["S001"]
    assert (s001["pin_check"], s001["pin_locked"], s001["pin_epoch"]) == (
        pin_check("S001", SUPERVISOR_PIN), False, 0)
    left = sum(pin_check("S001", f"{n:06d}") == s001["pin_check"] for n in range(10**6))
    assert left >= 1000
    assert workers["W001"]["pin_check"] is None

    # sha256 of a short number falls at once: the whole space is a 65,536-entry table ...
    started = time.monotonic()
    table = _sha256_table()
    assert table[legacy_card_digest(W002_CARD)] == W002_CARD
    assert time.monotonic() - started < 5
    # ... but the roster carries no sha256 of any card: the legacy one is not sent at all,
    hashes = {b["hash"] for w in roster["workers"] for b in w["badges"]}
    assert workers["W002"]["badges"] == []
    assert not hashes & table.keys()
    # and W001's keyed digest matches no guess made without the site key.
    (w001_badge,) = workers["W001"]["badges"]
    assert w001_badge["kind"] == "card"
    for guessed_key in (bytes(32), hashlib.sha256(b"shopfloor").digest(),
                        hashlib.sha256(server.server_id.encode()).digest()):
        assert card_digest(W001_CARD, guessed_key) != w001_badge["hash"]
    assert card_digest(W001_CARD, keys.site_key) == w001_badge["hash"]  # what a kiosk does
    # The site key itself is not in the roster, only where a kiosk is handed its keys.
    site_key = base64.b64encode(keys.site_key).decode()
    assert site_key not in text and keys.site_key.hex() not in text
    handed = _get(server, "/api/v1/keys", token)
    assert handed.status_code == 200 and handed.json()["keys"]["site_key"] == site_key
    assert handed.headers["Cache-Control"] == "no-store"
    assert _get(server, "/api/v1/keys", "not a token").status_code == 401


def test_an_unknown_card_leaves_its_number_nowhere_but_the_tap_list(
    site: tuple[LiveServer, ServerKeys, str], migrated: Config
) -> None:
    server, keys, token = site
    tap = {"uuid": str(uuid.uuid4()), "kind": "badge_in", "worker": None,
           "occurred_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
           "payload": {"card_number": STRANGER.lower(), "kind": "card", "reader": "pcsc"}}
    answer = httpx.post(f"{server.url}/api/v1/events", json={"events": [tap]},
                        headers=bearer(token), verify=server.verify, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "accepted"

    engine = make_engine(migrated.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            kept = session.scalars(select(UnknownTap)).one()
            assert (kept.number, kept.digest) == (STRANGER, keys.card_digest(STRANGER))
            stored = session.scalars(select(Event).where(Event.uuid == tap["uuid"])).one()
            assert stored.worker_id is None and stored.payload.get("unknown") is True
            (listed,) = unknown_taps(session, "K1")
            assign_tapped(session, listed.tap_id, "W002", "user:admin")
            session.commit()
            payloads: list[Any] = [e.payload for e in session.scalars(select(Event))]
            audit = [[e.action, e.before, e.after] for e in session.scalars(select(AuditEntry))]
            assert session.scalars(select(UnknownTap)).all() == []
    finally:
        engine.dispose()
    server.stop()  # every log line written
    logged = server.log_path.read_text()
    assert "audit_head" in logged, "the server wrote its log"
    for text in (json.dumps(payloads), json.dumps(audit), logged):
        for secret in (STRANGER, keys.card_digest(STRANGER), legacy_card_digest(STRANGER)):
            assert secret[:8].upper() not in text.upper(), (secret, text[-500:])
