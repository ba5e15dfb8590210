"""GET /metrics in the app (Flask's test client, one process): what it counts, and who may
read it. Only this host itself, or the bearer of a `monitoring` token; a client's own
X-Forwarded-For, a kiosk's or another scope's token and an admin's session get nothing
(server/observability/access.py). The real server under gunicorn is tests/server/test_metrics.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import create_app
from server.admin.setup import now_seconds, session_ident
from server.config import Config
from server.models import PeriodState, SettledPeriod, User, UserRole, Workshop
from server.services.devices.tokens import add_integration_token, revoke_integration_token
from server.services.setup import add_user
from support.factory import Factory, bearer, make_event
from support.scrape import Samples, samples, value

OUTSIDE = {"REMOTE_ADDR": "10.0.0.5"}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def monitoring_token(session: Session, factory: Factory) -> str:
    _, token = add_integration_token(session, "prometheus", "monitoring", "test")
    session.commit()
    return token


def _scrape(client: FlaskClient, **kwargs: Any) -> Samples:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples(response.get_data(as_text=True))


def test_a_scrape_counts_events_by_kind_and_result_and_reads_the_database(
        client: FlaskClient, session: Session, factory: Factory) -> None:
    kiosk = bearer(factory.kiosk_token, **{"X-Kiosk-Queue-Depth": "7"})
    now = datetime.now(UTC).replace(microsecond=0)
    taps = [make_event("badge_in", occurred_at=now - timedelta(minutes=i)) for i in range(3)]
    fault = make_event("machine_fault", occurred_at=now,
                       payload={"machine": "M1", "fault": "E12"})
    batch = [*taps, fault, {"uuid": "not-a-uuid", "kind": "badge_in"},
             {"kind": "made_up"}, "junk"]
    for body in ([*batch], taps[:1]):  # the second time, a resend: a duplicate
        response = client.post("/api/v1/events", json={"events": body}, headers=kiosk)
        assert response.status_code == 200
    assert client.get("/api/v1/workers/W001/scorecard?period=week",
                      headers=kiosk).status_code == 200
    assert client.get("/api/v1/workers/W001/scorecard?period=week",
                      headers=kiosk).status_code == 200
    shop = session.scalars(select(Workshop).where(Workshop.code == "W2")).one()
    session.add(SettledPeriod(workshop=shop, kind="month", key="2026-01",
                              start=date(2026, 1, 1), end=date(2026, 1, 31),
                              state=PeriodState.CLOSED))
    session.commit()

    found = _scrape(client)

    events = "shopfloor_events_ingested_total"
    assert value(found, events, kind="badge_in", result="accepted") == 3
    assert value(found, events, kind="badge_in", result="duplicate") == 1
    assert value(found, events, kind="badge_in", result="rejected") == 1
    assert value(found, events, kind="machine_fault", result="accepted") == 1
    assert value(found, events, kind="unknown", result="rejected") == 2
    assert value(found, "shopfloor_ingest_duration_seconds_count") == 2
    scorecards = "shopfloor_scorecard_duration_seconds_count"
    built = value(found, scorecards, period="week", source="built") or 0
    memo = value(found, scorecards, period="week", source="memo") or 0
    assert (built, built + memo) == (1, 2)
    assert value(found, "shopfloor_kiosk_queue_depth", kiosk="K1") == 7
    assert value(found, "shopfloor_kiosk_queue_depth", kiosk="K2") is None  # never said
    contact = value(found, "shopfloor_kiosk_last_contact_seconds", kiosk="K1")
    assert contact is not None and 0 <= contact < 60
    alerts = "shopfloor_alerts_open"
    assert value(found, alerts, workshop="W1", kind="machine_fault",
                 acknowledged="false") == 1
    assert value(found, alerts, workshop="W2", kind="machine_fault",
                 acknowledged="false") == 0
    assert value(found, "shopfloor_periods_closed", workshop="W2", kind="month") == 1
    assert value(found, "shopfloor_periods_closed", workshop="W1", kind="month") == 0
    assert value(found, "shopfloor_database_up") == 1
    assert all(name.startswith("shopfloor_") for name, _ in found)


def test_the_metrics_token_reads_from_anywhere(client: FlaskClient,
                                               monitoring_token: str) -> None:
    found = _scrape(client, environ_base=OUTSIDE, headers=bearer(monitoring_token))
    assert value(found, "shopfloor_database_up") == 1


def _admin_cookie(client: FlaskClient, session: Session) -> None:
    add_user(session, "admin", UserRole.ADMIN, "admin password 1", "test")
    session.commit()
    user = session.scalars(select(User).where(User.username == "admin")).one()
    with client.session_transaction() as state:
        state["_user_id"] = session_ident(user, now_seconds())
        state["_fresh"] = True


@pytest.mark.parametrize(("who", "status"), [
    ("nobody", 401), ("wrong token", 401), ("revoked token", 401), ("kiosk token", 403),
    ("production token", 403), ("admin session", 401),
    ("spoofed X-Forwarded-For", 401), ("spoofed X-Real-IP", 401),
    ("spoofed Forwarded", 401),
])
def test_others_from_outside_are_refused(client: FlaskClient, session: Session,
                                         factory: Factory, monitoring_token: str,
                                         who: str, status: int) -> None:
    headers: dict[str, str] = {}
    if who == "wrong token":
        headers = bearer(monitoring_token[:-2] + "xx")
    elif who == "revoked token":
        revoke_integration_token(session, "prometheus", "test")
        session.commit()
        headers = bearer(monitoring_token)
    elif who == "kiosk token":
        headers = bearer(factory.kiosk_token)
    elif who == "production token":
        headers = bearer(factory.integration_token)
    elif who == "admin session":
        _admin_cookie(client, session)
    elif who.startswith("spoofed"):
        header = who.split()[1]
        headers = {header: "for=127.0.0.1" if header == "Forwarded" else "127.0.0.1"}
    response = client.get("/metrics", environ_base=OUTSIDE, headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")
    assert b"shopfloor_" not in response.data


@pytest.fixture
def proxied_app(migrated: Config) -> Iterator[Flask]:
    """The app told to trust a proxy on loopback (nginx on the same host)."""
    config = Config.from_env(data_dir=migrated.data_dir, database_url=migrated.database_url,
                             timezone="Asia/Shanghai", testing=True, trusted_proxies=1,
                             trusted_proxy_addresses=("127.0.0.1",))
    app = create_app(config)
    yield app
    app.extensions["shopfloor.engine"].dispose()


@pytest.mark.parametrize("relayed_for", ["10.0.0.5", "127.0.0.1"])
def test_what_a_proxy_on_this_host_relays_needs_the_token(proxied_app: Flask,
                                                          relayed_for: str) -> None:
    """nginx connects from loopback and names the client it relays for: whoever that is,
    even this host, the request came through the proxy and needs the token."""
    client = proxied_app.test_client()
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                          headers={"X-Forwarded-For": relayed_for})
    assert response.status_code == 401
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_every_loopback_peer_may_scrape(client: FlaskClient, peer: str) -> None:
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": peer}).status_code == 200


@pytest.mark.parametrize("peer", ["10.0.0.5", "::ffff:10.0.0.5", "fe80::1", "", "localhost"])
def test_no_other_peer_may_scrape_without_the_token(client: FlaskClient, peer: str) -> None:
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": peer}).status_code == 401


def test_the_sample_dashboard_and_the_doc_name_only_metrics_the_server_has(
        client: FlaskClient) -> None:
    response = client.get("/metrics")
    families = {family.name for family in
                text_string_to_metric_families(response.get_data(as_text=True))}
    docs = Path(__file__).resolve().parents[2] / "docs"
    dashboard = json.loads((docs / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"]
             for target in panel.get("targets", ())]
    named = set(re.findall(r"shopfloor_[a-z_]+", " ".join(exprs)))
    named |= set(re.findall(r"`(shopfloor_[a-z_]+)", (docs / "metrics.md").read_text()))
    suffixes = ("_total", "_bucket", "_count", "_sum")
    unknown = {name for name in named
               if name not in families and not any(
                   name.endswith(s) and name.removesuffix(s) in families for s in suffixes)}
    assert exprs and not unknown
