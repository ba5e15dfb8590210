"""Headers and proxies (issue 16, item 7): every answer of the API, the wall and the admin
says nosniff, refuses framing and keeps its address out of Referers; the plain port's
redirect names the host the server was configured with, whatever the request claims;
X-Forwarded-* is believed only from the configured proxies; a wall link serves photos
only of the workers its board shows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from flask import Flask, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import EnvironBuilder

from server import create_app
from server.config import Config
from server.models import Language, NameStyle, Worker
from server.services.devices.displays import add_display
from server.serving.plain_http import PlainHttpGate, redirect_host
from support.attack import Live
from support.factory import small_factory

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example",
          "X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.9",
          "X-Forwarded-Port": "1"}


def _assert_guarded(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", response.url
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], response.url
    assert headers["Referrer-Policy"] in ("no-referrer", "same-origin"), response.url


def test_api_wall_and_admin_answers_carry_the_security_headers(live: Live) -> None:
    server = live.server
    with httpx.Client(base_url=server.wall_url, timeout=10) as plain, \
            httpx.Client(base_url=server.url, verify=server.verify, timeout=10) as tls:
        answers = [
            plain.get("/api/v1/health"),
            plain.get(live.display_path),
            plain.get(f"{live.display_path}/board.json"),
            plain.get(f"{live.display_path}/photo/W001"),
            plain.get("/wall/not-a-display-link"),
            plain.get("/admin/login"),                      # the gate's redirect
            plain.post("/api/v1/enroll", json={"code": "x"}),  # the gate's refusal
            tls.get("/api/v1/health"),
            tls.get("/api/v1/roster"),                      # 401
            tls.get("/api/v1/openapi.json"),
            tls.get("/admin/login"),
            tls.get("/no/such/page"),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 403, 308, 403,
                                                200, 401, 200, 200, 404]
    for answer in answers:
        _assert_guarded(answer)


def test_the_plain_port_redirects_to_the_configured_host_not_the_claimed_one(
    live: Live,
) -> None:
    with httpx.Client(timeout=10) as plain:
        answer = plain.get(f"{live.server.wall_url}/admin/login?next=/admin/",
                           headers=FORGED)
    assert answer.status_code == 308
    assert answer.headers["Location"] == f"{live.server.url}/admin/login?next=/admin/"


@pytest.mark.parametrize("settings, expected", [
    ({"public_url": "http://tv.example.com"}, "https://tv.example.com:8750/admin/"),
    ({"host": "10.0.0.5"}, "https://10.0.0.5:8750/admin/"),
    ({"host": "0.0.0.0"}, "https://192.0.2.7:8750/admin/"),  # the address reached
    ({"host": "::"}, "https://[2001:db8::7]:8750/admin/"),
])
def test_the_redirect_host_comes_from_the_settings(settings: dict[str, str],
                                                   expected: str) -> None:
    config = replace(Config.from_env(data_dir="unused"), **settings)

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise AssertionError("the gate answers this itself")

    gate = PlainHttpGate(app, 8750, redirect_host(config))
    environ = EnvironBuilder("/admin/", headers=FORGED).get_environ()
    # What serving/front.py puts there: the local address the connection reached.
    environ["SERVER_NAME"] = "2001:db8::7" if ":" in config.host else "192.0.2.7"
    answered: list[tuple[str, dict[str, str]]] = []
    gate(environ, lambda status, headers: answered.append((status, dict(headers))))
    status, headers = answered[0]
    assert status.startswith("308")
    assert headers["Location"] == expected


def test_forwarded_proto_from_an_untrusted_peer_leaves_the_cookie_secure(live: Live) -> None:
    """gunicorn used to believe X-Forwarded-Proto from 127.0.0.1 by default: a client on
    the server's own host could then make the login cookie lose its Secure flag."""
    with httpx.Client(base_url=live.server.url, verify=live.server.verify,
                      timeout=10) as tls:
        login = tls.get("/admin/login", headers=FORGED)
    assert login.status_code == 200
    assert "Secure" in login.headers["Set-Cookie"]


@pytest.fixture
def probed(migrated: Config) -> Iterator[Flask]:
    """An app with one extra route that tells what the request looks like to a view."""

    def make(**settings: object) -> Flask:
        app = create_app(replace(migrated, **settings))
        made.append(app)

        @app.get("/probe")
        def probe() -> object:
            return jsonify(addr=request.remote_addr, scheme=request.scheme,
                           host=request.host, link=url_for("probe", _external=True))

        return app

    made: list[Flask] = []
    yield make  # type: ignore[misc]
    for app in made:
        app.extensions["shopfloor.engine"].dispose()


PLAIN = {"addr": "127.0.0.1", "scheme": "http", "host": "shop.local",
         "link": "http://shop.local/probe"}
BELIEVED = {"addr": "203.0.113.9", "scheme": "https", "host": "proxy.example",
            "link": "https://proxy.example/probe"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("settings, peer, expected", [
    ({}, "127.0.0.1", PLAIN),                                        # no proxy configured
    ({"trusted_proxies": 1}, "127.0.0.1", PLAIN),                    # a count, no address
    ({"trusted_proxies": 1, "trusted_proxy_addresses": ("10.0.0.1/32",)}, "127.0.0.1",
     PLAIN),                                                         # not the proxy
    ({"trusted_proxies": 1, "trusted_proxy_addresses": ("10.0.0.0/24",)}, "10.0.0.1",
     BELIEVED),                                                      # the proxy
], ids=["none", "count-only", "another-peer", "the-proxy"])
def test_forwarded_headers_are_believed_only_from_the_configured_proxies(
    probed, settings: dict[str, object], peer: str, expected: dict[str, str],
) -> None:
    app = probed(**settings)
    answer = app.test_client().get(
        "/probe", base_url="http://shop.local",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "proxy.example", "X-Forwarded-Port": "443"},
        environ_base={"REMOTE_ADDR": peer})
    assert answer.get_json() == expected


def test_a_proxy_count_without_addresses_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOPFLOOR_TRUSTED_PROXIES", "1")
    monkeypatch.delenv("SHOPFLOOR_TRUSTED_PROXY_ADDRESSES", raising=False)
    with pytest.raises(ValueError, match="SHOPFLOOR_TRUSTED_PROXY_ADDRESSES"):
        Config.from_env(data_dir="unused")
    monkeypatch.setenv("SHOPFLOOR_TRUSTED_PROXY_ADDRESSES", "127.0.0.1, ::1,10.1.0.0/16")
    config = Config.from_env(data_dir="unused")
    assert config.trusted_proxy_addresses == ("127.0.0.1/32", "::1/128", "10.1.0.0/16")
    monkeypatch.setenv("SHOPFLOOR_TRUSTED_PROXY_ADDRESSES", "nginx.local")
    with pytest.raises(ValueError, match="nginx.local"):
        Config.from_env(data_dir="unused")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_wall_link_serves_photos_only_of_the_workers_its_board_shows(
    app: Flask, session: Session, migrated: Config,
) -> None:
    small_factory(session, datetime.now(migrated.zone).date())
    photos = migrated.data_dir / "photos"
    photos.mkdir(parents=True)
    for worker in session.scalars(select(Worker)):
        (photos / f"{worker.code}.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
        worker.photo_path = str(Path("photos") / f"{worker.code}.png")
    path = add_display(session, "TV-photos", "W1", Language.ZH_CN, actor="test",
                       names=NameStyle.FULL).path()  # photos only with full names
    session.commit()
    client = app.test_client()
    board = client.get(f"{path}/board.json").get_json()
    shown = {person["code"] for part in ("top", "improved") for person in board["boards"][0][part]}
    workshop = {w.code for w in session.scalars(select(Worker).where(
        Worker.workshop.has(code="W1")))}
    hidden = workshop - shown
    assert shown and hidden, (shown, workshop)
    for code in sorted(shown):
        with client.get(f"{path}/photo/{code}") as answer:
            assert answer.status_code == 200, code
    for code in sorted(hidden) + ["B01", "NOBODY"]:
        with client.get(f"{path}/photo/{code}") as answer:
            assert answer.status_code == 404, code
