"""GET /roster: the kiosk's workers with keyed card digests and no PIN hashes, and its
ETag; enrolment and GET /keys hand a kiosk its keys."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import Roster
from server.models import Badge, BadgeDigest, BadgeKind, Worker, utcnow
from server.services.devices.keys import ServerKeys
from server.services.devices.kiosks import issue_code
from server.services.people import pins
from server.services.people.badges import assign_card, assign_qr
from server.services.security import qr_credential_hash
from shopfloor_trust.cards import legacy_card_digest
from shopfloor_trust.pins import MAX_WRONG_PINS, pin_check
from support.factory import SUPERVISOR_PIN, Factory, bearer


@pytest.fixture
def keys(app: Flask) -> ServerKeys:
    found: ServerKeys = app.extensions["shopfloor.keys"]
    return found


def _roster(client: FlaskClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/roster", headers=headers)
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def test_roster_lists_active_workers_of_the_kiosks_workshops(
    client: FlaskClient, session: Session, kiosk_headers: dict[str, str], keys: ServerKeys
) -> None:
    assign_card(session, keys, "W001", "04:a1:b2:c3", "test")
    session.commit()
    body = _roster(client, kiosk_headers)
    assert body["kiosk"] == "K1"
    assert body["workshops"] == [{"code": "W1", "name": "机加工车间"}]
    by_code = {w["code"]: w for w in body["workers"]}
    assert set(by_code) == {"W001", "W002", "S001"}  # not W2's, not the inactive W999
    w001 = by_code["W001"]
    assert w001 | {"badges": None} == {
        "code": "W001", "name": "张三", "language": "zh_CN", "role": "worker",
        "workshop": "W1", "photo_url": None, "badges": None, "pin_check": None,
        "pin_locked": False, "pin_epoch": 0,
    }
    assert w001["badges"] == [{"kind": "card", "hash": keys.card_digest("04A1B2C3")}]
    assert by_code["W002"]["language"] == "en"
    assert [m["code"] for m in body["machines"]] == ["M1", "M2"]
    assert {c["code"] for c in body["categories"]} >= {"fault_fix", "help_colleague"}


def test_supervisors_carry_a_typo_check_and_their_lock_never_a_pin_hash(
    client: FlaskClient, session: Session, kiosk_headers: dict[str, str]
) -> None:
    _, secret = assign_qr(session, "S001", "test")
    session.commit()
    body = _roster(client, kiosk_headers)
    supervisor = next(w for w in body["workers"] if w["code"] == "S001")
    assert "pin_hash" not in supervisor
    assert (supervisor["pin_check"], supervisor["pin_locked"]) == (
        pin_check("S001", SUPERVISOR_PIN), False)
    assert supervisor["badges"] == [{"kind": "qr", "hash": qr_credential_hash(secret)}]
    text = client.get("/api/v1/roster", headers=kiosk_headers).get_data(as_text=True)
    assert secret not in text and SUPERVISOR_PIN not in text and "$argon2" not in text

    # Locked after wrong PINs: every kiosk learns it; unlocked, the epoch moves on.
    s001 = session.scalars(select(Worker).where(Worker.code == "S001")).one()
    for n in range(MAX_WRONG_PINS):
        with pytest.raises(pins.PinRefused):
            pins.check_act_pin(session, s001, "000000", f"seal-{n}", "kiosk:K1")
    session.commit()
    locked = next(w for w in _roster(client, kiosk_headers)["workers"] if w["code"] == "S001")
    assert (locked["pin_locked"], locked["pin_epoch"]) == (True, supervisor["pin_epoch"])
    pins.unlock(session, "S001", "test")
    session.commit()
    unlocked = next(w for w in _roster(client, kiosk_headers)["workers"]
                    if w["code"] == "S001")
    assert (unlocked["pin_locked"], unlocked["pin_epoch"]) == (False,
                                                              supervisor["pin_epoch"] + 1)


def test_cards_enrolled_before_keyed_digests_are_never_sent(
    client: FlaskClient, session: Session, kiosk_headers: dict[str, str], keys: ServerKeys
) -> None:
    w001 = session.scalars(select(Worker).where(Worker.code == "W001")).one()
    session.add(Badge(worker=w001, kind=BadgeKind.CARD, digest=BadgeDigest.LEGACY,
                      credential_hash=legacy_card_digest("04A1B2C3")))
    session.commit()
    text = client.get("/api/v1/roster", headers=kiosk_headers).get_data(as_text=True)
    assert legacy_card_digest("04A1B2C3") not in text
    assert next(w for w in _roster(client, kiosk_headers)["workers"]
                if w["code"] == "W001")["badges"] == []


def test_enrolment_and_get_keys_hand_over_the_keys(
    client: FlaskClient, session: Session, factory: Factory, keys: ServerKeys
) -> None:
    code = issue_code(session, "K1", "test").code
    session.commit()
    enrolled = client.post("/api/v1/enroll", json={"code": code})
    assert enrolled.status_code == 200
    assert enrolled.headers["Cache-Control"] == "no-store"
    handed = enrolled.get_json()["keys"]
    assert handed == keys.for_kiosk()
    assert base64.b64decode(handed["site_key"]) == keys.site_key
    assert base64.b64decode(handed["sealing_key"]) == keys.sealing_public
    assert len(handed["sealing_key_id"]) == 16
    # A kiosk enrolled before asks for them with its token; nobody else gets them.
    token = enrolled.get_json()["token"]
    again = client.get("/api/v1/keys", headers=bearer(token))
    assert again.status_code == 200 and again.get_json() == {"keys": handed}
    assert client.get("/api/v1/keys").status_code == 401
    assert client.get("/api/v1/keys", headers=bearer(factory.integration_token)
                      ).status_code == 403
    assert client.get("/api/v1/keys", headers=bearer(factory.kiosk_token)
                      ).status_code == 401, "K1's old token ended with the new enrolment"


def test_revoked_badges_are_left_out(client: FlaskClient, session: Session,
                                     kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    badge = assign_card(session, keys, "W001", "DEADBEEF", "test")
    badge.revoked_at = utcnow()
    session.commit()
    body = _roster(client, kiosk_headers)
    assert next(w for w in body["workers"] if w["code"] == "W001")["badges"] == []


def test_unchanged_roster_answers_304_with_no_body(client: FlaskClient,
                                                   kiosk_headers: dict[str, str]) -> None:
    first = client.get("/api/v1/roster", headers=kiosk_headers)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # a strong validator
    again = client.get("/api/v1/roster", headers={**kiosk_headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get("/api/v1/roster", headers={**kiosk_headers, "If-None-Match": '"x"'})
    assert other.status_code == 200


def test_a_change_gives_a_new_etag(client: FlaskClient, session: Session,
                                   kiosk_headers: dict[str, str]) -> None:
    etag = client.get("/api/v1/roster", headers=kiosk_headers).headers["ETag"]
    session.scalars(select(Worker).where(Worker.code == "W002")).one().name = "李四四"
    session.commit()
    response = client.get("/api/v1/roster", headers={**kiosk_headers, "If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_other_workshops_badges_never_reach_this_kiosk(
    client: FlaskClient, session: Session, factory: Factory, kiosk_headers: dict[str, str],
    keys: ServerKeys
) -> None:
    assign_card(session, keys, "W101", "0102030405", "test")
    session.commit()
    assert session.scalars(select(Badge)).one()
    text = client.get("/api/v1/roster", headers=kiosk_headers).get_data(as_text=True)
    assert keys.card_digest("0102030405") not in text


def test_the_roster_tells_kiosks_the_sites_card_format(
    app: Flask, client: FlaskClient, kiosk_headers: dict[str, str]
) -> None:
    first = client.get("/api/v1/roster", headers=kiosk_headers)
    assert first.get_json()["card_format"] == {"format": "10D", "reversed": False}
    Roster.model_validate(first.get_json())
    app.config["SHOPFLOOR"] = dataclasses.replace(app.config["SHOPFLOOR"],
                                                  card_format="2H,4H", card_reversed=True)
    second = client.get("/api/v1/roster",
                        headers={**kiosk_headers, "If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200  # another format is another roster: kiosks fetch it
    assert second.get_json()["card_format"] == {"format": "2H,4H", "reversed": True}
