"""Attacks on the admin's logins and sessions, from outside, through HTTP requests.

Logins: guessing from one address is slowed down for everyone at that address, the right
password included; a stranger elsewhere keeps the owner out for `USER_CAP` at most; an
unknown name answers exactly like a known one; a burst of logins gets "busy", never an
error; every attempt is one log line without the password. Sessions: a cookie copied
before logout or before a password change opens nothing after it; a login ends 12 h after
it was made however busy it is; over HTTPS the cookie is `__Host-session`; a generated
first password must be changed before any page opens.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from server.admin.setup import SESSION_MAX_AGE, now_seconds
from server.models import User, utcnow
from server.services.people import throttle, users
from server.services.security import PasswordChecks
from server.services.setup import FIRST_ADMIN_PASSWORD_FILE, initialise
from shopfloor_logging import JsonFormatter
from support.factory import PASSWORD, Plant

OWNER, STRANGER = "10.1.0.10", "10.66.0.66"


class Clock:
    """The time the login service sees; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(users, "utcnow", clock)
    return clock


def client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def csrf(client: FlaskClient, path: str = "/admin/login", base_url: str | None = None) -> str:
    page = client.get(path, base_url=base_url or "http://localhost").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def attempt(client: FlaskClient, username: str, password: str, token: str | None = None,
            base_url: str = "http://localhost") -> TestResponse:
    # Over HTTPS Flask-WTF also wants the Referer of this server, as a browser sends it.
    return client.post("/admin/login", base_url=base_url,
                       headers={"Referer": f"{base_url}/admin/login"}, data={
                           "username": username, "password": password,
                           "csrf_token": token or csrf(client, base_url=base_url)})


def logged_in(client: FlaskClient, base_url: str = "http://localhost") -> bool:
    return client.get("/admin/", base_url=base_url).status_code == 200


def retry_after(response: TestResponse) -> int:
    assert response.status_code == 429, response.status_code
    return int(response.headers["Retry-After"])


# --- logins -------------------------------------------------------------------------------

def test_after_repeated_failures_even_the_right_password_waits_out_the_delay(
    app: Flask, plant: Plant, clock: Clock
) -> None:
    client = client_at(app, OWNER)
    token = csrf(client)
    for _ in range(throttle.FREE_FAILURES + 1):
        assert attempt(client, "admin", "wrong password", token).status_code == 401
    refused = attempt(client, "admin", PASSWORD, token)
    assert retry_after(refused) == 1
    assert "1 秒后再试" in refused.get_data(as_text=True)  # zh-CN, the default language
    assert not logged_in(client)

    clock.advance(1)
    assert attempt(client, "admin", "wrong password", token).status_code == 401
    for _ in range(5):  # hammering while closed neither counts nor lengthens the delay
        assert retry_after(attempt(client, "admin", PASSWORD, token)) == 2
    english = client.post("/admin/login", headers={"Accept-Language": "en"}, data={
        "username": "admin", "password": PASSWORD, "csrf_token": token})
    assert "Try again in 2 s." in english.get_data(as_text=True)

    clock.advance(2)
    assert attempt(client, "admin", PASSWORD, token).status_code == 302
    assert logged_in(client)


def test_one_address_guessing_many_names_is_slowed_down_for_all_of_them(
    app: Flask, plant: Plant, clock: Clock
) -> None:
    client = client_at(app, STRANGER)
    token = csrf(client)
    for name in ("alice", "bob", "carol"):
        assert attempt(client, name, "guess 1", token).status_code == 401
    assert retry_after(attempt(client, "view1", PASSWORD, token)) == 1
    assert attempt(client_at(app, OWNER), "view1", PASSWORD).status_code == 302


def test_a_stranger_elsewhere_holds_the_owner_out_for_the_short_cap_at_most(
    app: Flask, plant: Plant, clock: Clock
) -> None:
    stranger = client_at(app, STRANGER)
    token = csrf(stranger)
    for _ in range(20):  # as fast as the stranger's own delay lets them
        response = attempt(stranger, "admin", "guess", token)
        if response.status_code == 429:
            clock.advance(retry_after(response))
            response = attempt(stranger, "admin", "guess", token)
        assert response.status_code == 401
    held = retry_after(attempt(stranger, "admin", PASSWORD, token))
    assert held == throttle.ADDRESS_CAP.total_seconds()  # the guesser waits 5 minutes

    owner = client_at(app, OWNER)
    waited = retry_after(attempt(owner, "admin", PASSWORD))
    assert 0 < waited <= throttle.USER_CAP.total_seconds()
    clock.advance(waited)
    assert attempt(owner, "admin", PASSWORD).status_code == 302
    assert logged_in(owner)
    assert attempt(stranger, "admin", PASSWORD, token).status_code == 429


def _normalised(response: TestResponse, username: str) -> tuple[int, str | None, str]:
    body = re.sub(r'name="csrf_token" value="[^"]+"', "TOKEN", response.get_data(as_text=True))
    return (response.status_code, response.headers.get("Retry-After"),
            body.replace(f'value="{username}"', 'value="NAME"'))


def test_an_unknown_user_gets_the_same_answers_and_the_same_password_checks(
    app: Flask, plant: Plant, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real_verify = users.verify_secret

    def counting(stored_hash: str, password: str) -> bool:
        checks.append("$".join(stored_hash.split("$")[1:4]))  # variant and cost: the work
        return real_verify(stored_hash, password)

    monkeypatch.setattr(users, "verify_secret", counting)
    known, unknown = client_at(app, "10.2.0.1"), client_at(app, "10.2.0.2")
    known_token, unknown_token = csrf(known), csrf(unknown)
    for _ in range(throttle.FREE_FAILURES + 3):
        a = attempt(known, "admin", "wrong password", known_token)
        b = attempt(unknown, "nobody-here", "wrong password", unknown_token)
        assert _normalised(a, "admin") == _normalised(b, "nobody-here")
    assert a.status_code == 429  # the throttled answer too is the same
    assert checks[0::2] == checks[1::2] and len(checks) == 2 * (throttle.FREE_FAILURES + 1)


def test_a_burst_of_logins_is_told_busy_and_never_fails(
    app: Flask, plant: Plant, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 2
    app.extensions["shopfloor.password_checks"] = PasswordChecks(limit, wait=0.01)
    lock, running, most = threading.Lock(), [0], [0]
    real_verify = users.verify_secret

    def watched(stored_hash: str, password: str) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real_verify(stored_hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(users, "verify_secret", watched)
    clients = [client_at(app, f"10.3.0.{n}") for n in range(12)]
    tokens = [csrf(client) for client in clients]
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, str | None]] = []

    def log_in(client: FlaskClient, token: str) -> None:
        start.wait()
        response = attempt(client, "view1", PASSWORD, token)
        with lock:
            answers.append((response.status_code, response.headers.get("Retry-After")))

    threads = [threading.Thread(target=log_in, args=pair)
               for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = [status for status, _ in answers]
    assert len(statuses) == len(clients)
    assert set(statuses) <= {302, 503}, statuses
    assert 503 in statuses and 302 in statuses
    assert all(wait for status, wait in answers if status == 503)
    assert most[0] <= limit


def test_every_login_attempt_is_one_log_line_without_the_password(
    app: Flask, plant: Plant, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=users.__name__)
    client = client_at(app, OWNER)
    token = csrf(client)
    attempt(client, "admin", "secret guess 1", token)
    attempt(client, "my password typed as name", "secret guess 2", token)
    attempt(client, "admin", "secret guess 3", token)
    attempt(client, "admin", PASSWORD, token)
    clock.advance(10)
    attempt(client, "admin", PASSWORD, token)
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.msg == "login"]
    assert [line["outcome"] for line in lines] == ["wrong", "wrong", "wrong", "throttled", "ok"]
    assert all(line["address"] == OWNER for line in lines)
    assert [line["user"] for line in lines] == ["admin", None, "admin", "admin", "admin"]
    assert [line["known_user"] for line in lines] == [True, False, True, True, True]
    assert lines[3]["retry_after_s"] == 1
    text = "\n".join(json.dumps(line) for line in lines)
    for secret in ("secret guess", PASSWORD, "my password typed as name"):
        assert secret not in text


# --- sessions -----------------------------------------------------------------------------

def _session_cookie(client: FlaskClient, name: str = "session") -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str, name: str = "session") -> FlaskClient:
    client = client_at(app, "10.9.9.9")
    client.set_cookie(name, value)
    return client


def test_a_cookie_copied_before_logout_opens_nothing_after_it(
    app: Flask, plant: Plant
) -> None:
    client = client_at(app, OWNER)
    assert attempt(client, "admin", PASSWORD).status_code == 302
    copied = _session_cookie(client)
    assert logged_in(_with_cookie(app, copied))
    client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/")})
    for path in ("/admin/", "/admin/users", "/admin/reports/payroll?month=2026-01"):
        response = _with_cookie(app, copied).get(path)
        assert response.status_code == 302, path
        assert "/admin/login" in response.headers["Location"]


def test_a_password_change_ends_copies_of_the_cookie_and_keeps_this_session(
    app: Flask, plant: Plant
) -> None:
    client = client_at(app, OWNER)
    assert attempt(client, "view1", PASSWORD).status_code == 302
    copied = _session_cookie(client)
    response = client.post("/admin/account", data={
        "csrf_token": csrf(client, "/admin/account"), "current_password": PASSWORD,
        "new_password": "a new password 2", "repeat_password": "a new password 2"})
    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(_with_cookie(app, copied))


def test_a_wrong_current_password_counts_like_a_failed_login(
    app: Flask, plant: Plant, clock: Clock
) -> None:
    client = client_at(app, OWNER)
    assert attempt(client, "view1", PASSWORD).status_code == 302
    token = csrf(client, "/admin/account")
    for _ in range(throttle.FREE_FAILURES + 1):
        client.post("/admin/account", data={
            "csrf_token": token, "current_password": "a guess", "new_password": "x" * 12,
            "repeat_password": "x" * 12})
    refused = client.post("/admin/account", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": "x" * 12,
        "repeat_password": "x" * 12})
    assert refused.status_code == 429


def _logged_in_at(app: Flask, session: Session, username: str, login_at: int) -> FlaskClient:
    user = session.scalars(select(User).where(User.username == username)).one()
    client = client_at(app, OWNER)
    with client.session_transaction() as state:
        state["_user_id"] = f"{user.id}.{user.session_epoch}.{login_at}"
        state["_fresh"] = True
        state.permanent = True
    return client


def test_a_login_ends_12_hours_after_it_was_made_however_busy_it_is(
    app: Flask, session: Session, plant: Plant
) -> None:
    limit = int(SESSION_MAX_AGE.total_seconds())
    assert limit == 12 * 3600
    almost = _logged_in_at(app, session, "admin", now_seconds() - limit + 60)
    assert logged_in(almost)
    with almost.session_transaction() as state:
        ident = state["_user_id"]
    assert logged_in(almost)
    with almost.session_transaction() as state:
        assert state["_user_id"] == ident, "using a session does not push its end forward"
    expired = _logged_in_at(app, session, "admin", now_seconds() - limit - 1)
    response = expired.get("/admin/reports/payroll?month=2026-01")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    future = _logged_in_at(app, session, "admin", now_seconds() + 3600)
    assert not logged_in(future)


def test_a_cookie_from_before_session_epochs_is_refused(
    app: Flask, session: Session, plant: Plant
) -> None:
    user = session.scalars(select(User).where(User.username == "admin")).one()
    client = client_at(app, OWNER)
    with client.session_transaction() as state:
        state["_user_id"] = f"{user.id}.0123456789abcdef"  # the old id.fingerprint form
        state.permanent = True
    assert not logged_in(client)


def test_no_remember_cookie_is_set_and_a_signed_one_is_bound_to_the_epoch(
    app: Flask, session: Session, plant: Plant
) -> None:
    client = client_at(app, OWNER)
    assert attempt(client, "admin", PASSWORD).status_code == 302
    assert client.get_cookie("remember_token") is None
    user = session.scalars(select(User).where(User.username == "admin")).one()
    with app.test_request_context():
        stale = encode_cookie(f"{user.id}.{user.session_epoch - 1}.{now_seconds()}")
        old = encode_cookie(f"{user.id}.{user.session_epoch}.{now_seconds() - 13 * 3600}")
    for value in (stale, old):
        assert not logged_in(_with_cookie(app, value, "remember_token"))


def test_over_https_the_session_cookie_is_host_prefixed(app: Flask, plant: Plant) -> None:
    https = "https://localhost"
    client = client_at(app, OWNER)
    token = csrf(client, base_url=https)
    response = attempt(client, "admin", PASSWORD, token, base_url=https)
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("__Host-session="))
    attributes = [part.strip().lower() for part in session_cookie.split(";")]
    assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes
    assert not any(part.startswith("domain=") for part in attributes)
    assert not any(c.startswith("session=") for c in cookies)
    assert logged_in(client, base_url=https)

    plain = client_at(app, OWNER)
    cookie = plain.get("/admin/login").headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie


# --- the generated first password --------------------------------------------------------

@pytest.fixture
def first_admin(app: Flask, session: Session) -> Iterator[tuple[str, Path]]:
    """A site whose first admin got a generated password (what `init` does)."""
    data_dir = app.config["SHOPFLOOR"].data_dir
    result = initialise(app.extensions["shopfloor.engine"], session, None, data_dir=data_dir)
    path = data_dir / FIRST_ADMIN_PASSWORD_FILE
    assert result.password_file == path
    yield path.read_text().strip(), path


def test_a_generated_first_password_must_be_changed_before_any_page_opens(
    app: Flask, session: Session, first_admin: tuple[str, Path],
    csrf_token: Callable[..., str]
) -> None:
    password, path = first_admin
    assert path.stat().st_mode & 0o777 == 0o600
    client = client_at(app, OWNER)
    response = attempt(client, "admin", password)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/account"
    for crafted in ("/admin/", "/admin/reports/payroll?month=2026-01", "/admin/users",
                    "/admin/workers"):
        response = client.get(crafted)
        assert response.status_code == 302, crafted
        assert response.headers["Location"] == "/admin/account", crafted
    sneaky = client.post("/admin/users/new", data={"csrf_token": csrf(client, "/admin/account"),
                                               "username": "mole", "role": "admin",
                                               "password": "a mole password"})
    assert sneaky.status_code == 302 and sneaky.headers["Location"] == "/admin/account"
    assert session.scalars(select(User).where(User.username == "mole")).first() is None
    page = client.get("/admin/account").get_data(as_text=True)
    assert "请先设置您自己的密码" in page

    response = client.post("/admin/account", data={
        "csrf_token": csrf(client, "/admin/account"), "current_password": password,
        "new_password": "my own password 1", "repeat_password": "my own password 1"})
    assert response.status_code == 302
    assert logged_in(client)
    assert client.get("/admin/users").status_code == 200
    payroll = client.get("/admin/reports/payroll?month=2026-01")
    assert payroll.headers.get("Location") != "/admin/account"
    assert not path.exists(), "the file with the generated password goes once it is changed"
    session.expire_all()
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    assert admin.must_change_password is False


def test_a_password_hr_gives_needs_no_change(app: Flask, session: Session) -> None:
    result = initialise(app.extensions["shopfloor.engine"], session, "given by HR 1",
                        data_dir=app.config["SHOPFLOOR"].data_dir)
    assert result.password_file is None
    assert not (app.config["SHOPFLOOR"].data_dir / FIRST_ADMIN_PASSWORD_FILE).exists()
    client = client_at(app, OWNER)
    assert attempt(client, "admin", "given by HR 1").headers["Location"] == "/admin/"
    assert logged_in(client)
