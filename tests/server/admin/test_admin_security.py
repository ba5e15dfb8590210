"""Logins, CSRF, cookies, headers, timeouts and the UI language (attacks on logins and
sessions: test_admin_login_attacks.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from server import create_app
from server.config import Config
from support.factory import PASSWORD, Plant


def _login(client: FlaskClient, token: str, password: str, username: str = "admin",
           **query: str) -> object:
    return client.post("/admin/login", query_string=query,
                       data={"username": username, "password": password, "csrf_token": token})


def test_every_state_changing_route_refuses_a_request_without_a_token(
    app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient]
) -> None:
    assert app.config.get("WTF_CSRF_ENABLED", True)
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "A001")
            response = login_as("admin").open(url, method=method, data={"x": "1"})
            assert response.status_code == 400, f"{method} {url}: {response.status_code}"
            checked.append(url)
    assert len(checked) > 20


def test_every_post_form_carries_a_token(
    plant: Plant, login_as: Callable[[str | None], FlaskClient]
) -> None:
    client = login_as("admin")
    for page in ("/admin/", "/admin/workers", "/admin/workers/A001", "/admin/badges",
                 "/admin/kiosks", "/admin/categories", "/admin/claims", "/admin/users",
                 f"/admin/appeals/{plant.appeal_id}", "/admin/reports", "/admin/account",
                 "/admin/workers/import", "/admin/schemes/edit"):
        html = client.get(page).get_data(as_text=True)
        forms = html.split('<form method="post"')[1:]
        assert forms, page
        for form in forms:
            assert 'name="csrf_token"' in form.split("</form>")[0], page


def test_login_then_logout(app: Flask, plant: Plant, csrf_token: Callable[..., str]) -> None:
    client = app.test_client()
    assert client.get("/admin/").status_code == 302
    token = csrf_token(client)
    response = _login(client, token, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert client.get("/admin/").status_code == 302


def test_next_never_leaves_the_server(app: Flask, plant: Plant,
                                      csrf_token: Callable[..., str]) -> None:
    client = app.test_client()
    response = _login(client, csrf_token(client), PASSWORD, next="//evil.example/x")
    assert response.headers["Location"] == "/admin/"


def test_an_unknown_user_gets_the_same_answer(app: Flask, plant: Plant,
                                              csrf_token: Callable[..., str]) -> None:
    client = app.test_client()
    token = csrf_token(client)
    unknown = _login(client, token, PASSWORD, username="nobody")
    wrong = _login(client, token, "wrong password")
    assert unknown.status_code == wrong.status_code == 401
    for answer in (unknown, wrong):
        assert "用户名或密码错误" in answer.get_data(as_text=True)


def test_security_headers_and_cookie_flags(app: Flask, plant: Plant,
                                           csrf_token: Callable[..., str]) -> None:
    client = app.test_client()
    page = client.get("/admin/login", base_url="https://localhost")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = app.test_client().get("/admin/login")
    assert "Secure" not in plain.headers["Set-Cookie"]  # plain HTTP on a LAN still works


def test_the_session_times_out(app: Flask, plant: Plant,
                               login_as: Callable[[str | None], FlaskClient]) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    client = login_as("admin")
    assert client.get("/admin/").status_code == 200
    time.sleep(2.1)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_a_password_change_ends_other_sessions(
    app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient],
    csrf_token: Callable[..., str],
) -> None:
    mine, other = login_as("view1"), login_as("view1")
    response = mine.post("/admin/account", data={
        "csrf_token": csrf_token(mine, "/admin/account"), "current_password": PASSWORD,
        "new_password": "a new password 2", "repeat_password": "a new password 2"})
    assert response.status_code == 302
    assert mine.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302


def test_language_from_the_browser_then_from_the_switch(
    app: Flask, plant: Plant, csrf_token: Callable[..., str]
) -> None:
    client = app.test_client()
    english = client.get("/admin/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Log in" in english.get_data(as_text=True)
    chinese = client.get("/admin/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "登录" in chinese.get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese.get_data(as_text=True)
    token = csrf_token(client)
    client.post("/admin/language", data={"language": "en", "next": "/admin/login",
                                         "csrf_token": token})
    chosen = client.get("/admin/login", headers={"Accept-Language": "zh-CN"})
    assert "Log in" in chosen.get_data(as_text=True)


def test_forwarded_headers_count_only_from_a_trusted_proxy(migrated: Config) -> None:
    # The test client's peer is 127.0.0.1: the proxy when its address is configured.
    for trusted, secure in ((0, False), (1, True)):
        app = create_app(replace(migrated, trusted_proxies=trusted,
                                 trusted_proxy_addresses=("127.0.0.1",) * trusted))
        try:
            page = app.test_client().get("/admin/login",
                                         headers={"X-Forwarded-Proto": "https"})
            assert ("Secure" in page.headers["Set-Cookie"]) is secure
        finally:
            app.extensions["shopfloor.engine"].dispose()
