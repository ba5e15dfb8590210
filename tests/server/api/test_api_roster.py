"""GET /roster: the kiosk's workers with hashed credentials, and its ETag."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Badge, Worker, utcnow
from server.services.people.badges import assign_card, assign_qr
from server.services.security import card_credential_hash, qr_credential_hash, verify_secret
from support.factory import Factory


def _roster(client: FlaskClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/roster", headers=headers)
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def test_roster_lists_active_workers_of_the_kiosks_workshops(
    client: FlaskClient, session: Session, kiosk_headers: dict[str, str]
) -> None:
    assign_card(session, "W001", "04:a1:b2:c3", "test")
    session.commit()
    body = _roster(client, kiosk_headers)
    assert body["kiosk"] == "K1"
    assert body["workshops"] == [{"code": "W1", "name": "机加工车间"}]
    by_code = {w["code"]: w for w in body["workers"]}
    assert set(by_code) == {"W001", "W002", "S001"}  # not W2's, not the inactive W999
    w001 = by_code["W001"]
    assert w001 | {"badges": None} == {
        "code": "W001", "name": "张三", "language": "zh_CN", "role": "worker",
        "workshop": "W1", "photo_url": None, "badges": None, "pin_hash": None,
    }
    assert w001["badges"] == [{"kind": "card", "hash": card_credential_hash("04A1B2C3")}]
    assert by_code["W002"]["language"] == "en"
    assert [m["code"] for m in body["machines"]] == ["M1", "M2"]
    assert {c["code"] for c in body["categories"]} >= {"fault_fix", "help_colleague"}


def test_supervisors_carry_an_argon2_pin_hash_and_nothing_raw(
    client: FlaskClient, session: Session, kiosk_headers: dict[str, str]
) -> None:
    _, secret = assign_qr(session, "S001", "test")
    session.commit()
    body = _roster(client, kiosk_headers)
    supervisor = next(w for w in body["workers"] if w["code"] == "S001")
    assert supervisor["pin_hash"].startswith("$argon2id$")
    assert verify_secret(supervisor["pin_hash"], "2468")
    assert supervisor["badges"] == [{"kind": "qr", "hash": qr_credential_hash(secret)}]
    text = client.get("/api/v1/roster", headers=kiosk_headers).get_data(as_text=True)
    assert secret not in text and "2468" not in text


def test_revoked_badges_are_left_out(client: FlaskClient, session: Session,
                                     kiosk_headers: dict[str, str]) -> None:
    badge = assign_card(session, "W001", "DEADBEEF", "test")
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
    client: FlaskClient, session: Session, factory: Factory, kiosk_headers: dict[str, str]
) -> None:
    assign_card(session, "W101", "0102030405", "test")
    session.commit()
    assert session.scalars(select(Badge)).one()
    text = client.get("/api/v1/roster", headers=kiosk_headers).get_data(as_text=True)
    assert card_credential_hash("0102030405") not in text
