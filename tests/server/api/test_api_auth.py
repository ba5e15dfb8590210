"""Enrolment, device and integration tokens, and who may read what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Kiosk, utcnow
from server.services.devices.kiosks import add_kiosk, issue_code, revoke_kiosk
from server.services.devices.tokens import revoke_integration_token
from server.services.security import token_digest
from support.factory import Factory, bearer

KIOSK_ROUTES = [
    ("GET", "/api/v1/roster", None),
    ("GET", "/api/v1/workers/W001/scorecard?period=week", None),
    ("GET", "/api/v1/leaderboard?workshop=W1&period=week", None),
    ("GET", "/api/v1/claims", None),
    ("GET", "/api/v1/workers/W001/photo", None),
    ("POST", "/api/v1/events", {"events": []}),
]
PRODUCTION = ("POST", "/api/v1/production", {"records": [{}]})


def _call(client: FlaskClient, route: tuple[str, str, object], headers: dict[str, str]):  # type: ignore[no-untyped-def]
    method, url, body = route
    return client.open(url, method=method, json=body, headers=headers)


def test_enrolment_code_trades_once_for_a_token(client: FlaskClient, session: Session,
                                                factory: Factory) -> None:
    code = add_kiosk(session, "K3", ["W1", "W2"], "test").code
    session.commit()
    response = client.post("/api/v1/enroll", json={"code": code.lower().replace("-", " ")})
    assert response.status_code == 200
    body = response.get_json()
    assert body["kiosk"] == {"name": "K3", "workshops": ["W1", "W2"]}
    assert len(body["server_id"]) == 16
    kiosk = session.scalars(select(Kiosk).where(Kiosk.name == "K3")).one()
    session.refresh(kiosk)
    assert kiosk.token_hash == token_digest(body["token"])  # only the digest is stored
    assert client.get("/api/v1/roster", headers=bearer(body["token"])).status_code == 200

    again = client.post("/api/v1/enroll", json={"code": code})
    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "unauthorized"


def test_an_expired_or_unknown_code_is_refused(client: FlaskClient, session: Session,
                                               factory: Factory) -> None:
    issued = issue_code(session, "K1", "test", now=utcnow() - timedelta(hours=1, seconds=1))
    session.commit()
    assert client.post("/api/v1/enroll", json={"code": issued.code}).status_code == 401
    assert client.post("/api/v1/enroll", json={"code": "AAAA-BBBB-CCCC"}).status_code == 401


def test_a_new_code_replaces_the_unused_one(client: FlaskClient, session: Session,
                                            factory: Factory) -> None:
    first = issue_code(session, "K1", "test").code
    second = issue_code(session, "K1", "test").code
    session.commit()
    assert client.post("/api/v1/enroll", json={"code": first}).status_code == 401
    assert client.post("/api/v1/enroll", json={"code": second}).status_code == 200
    # re-enrolling replaces the kiosk's old token
    assert client.get("/api/v1/roster", headers=bearer(factory.kiosk_token)).status_code == 401


@pytest.mark.parametrize("route", [*KIOSK_ROUTES, PRODUCTION])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_missing_or_wrong_token_is_401(client: FlaskClient, factory: Factory,
                                       route: tuple[str, str, object],
                                       headers: dict[str, str]) -> None:
    response = _call(client, route, headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", KIOSK_ROUTES)
def test_revoked_kiosk_is_refused_on_the_very_next_call(client: FlaskClient, session: Session,
                                                        factory: Factory,
                                                        route: tuple[str, str, object]) -> None:
    headers = bearer(factory.kiosk_token)
    assert client.get("/api/v1/roster", headers=headers).status_code == 200
    revoke_kiosk(session, "K1", "test")
    session.commit()
    assert _call(client, route, headers).status_code == 401


def test_revoked_integration_token_is_refused(client: FlaskClient, session: Session,
                                              factory: Factory) -> None:
    revoke_integration_token(session, "mes", "test")
    session.commit()
    assert _call(client, PRODUCTION, bearer(factory.integration_token)).status_code == 401


@pytest.mark.parametrize("route", KIOSK_ROUTES)
def test_an_integration_token_cannot_act_as_a_kiosk(client: FlaskClient, factory: Factory,
                                                    route: tuple[str, str, object]) -> None:
    response = _call(client, route, bearer(factory.integration_token))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_a_kiosk_token_cannot_feed_production(client: FlaskClient, factory: Factory) -> None:
    assert _call(client, PRODUCTION, bearer(factory.kiosk_token)).status_code == 403


@pytest.mark.parametrize("url", [
    "/api/v1/workers/W101/scorecard?period=week",  # W101 works in W2; K1 serves W1
    "/api/v1/leaderboard?workshop=W2&period=week",
    "/api/v1/claims?workshop=W2",
    "/api/v1/workers/W101/photo",
])
def test_another_workshop_is_403(client: FlaskClient, factory: Factory, url: str) -> None:
    response = client.get(url, headers=bearer(factory.kiosk_token))
    assert response.status_code == 403
    assert client.get(url, headers=bearer(factory.other_kiosk_token)).status_code != 403


def test_each_request_records_contact_version_and_queue_depth(
    client: FlaskClient, session: Session, factory: Factory
) -> None:
    headers = bearer(factory.kiosk_token, **{"X-Kiosk-Version": "0.3.1",
                                             "X-Kiosk-Queue-Depth": "17"})
    before = utcnow()
    assert client.get("/api/v1/roster", headers=headers).status_code == 200
    kiosk = session.scalars(select(Kiosk).where(Kiosk.name == "K1")).one()
    session.refresh(kiosk)
    assert kiosk.version == "0.3.1" and kiosk.queue_depth == 17
    assert kiosk.last_seen is not None and kiosk.last_seen >= before
    # an odd depth header is ignored rather than refused
    odd = bearer(factory.kiosk_token, **{"X-Kiosk-Queue-Depth": "lots"})
    assert client.post("/api/v1/events", json={"events": []}, headers=odd).status_code == 200
    session.refresh(kiosk)
    assert kiosk.queue_depth == 17
