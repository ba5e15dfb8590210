"""Wiring the admin into the app: logins, CSRF, the UI language, cookies and headers.

- Sessions are Flask's signed cookie, HttpOnly and SameSite=Lax, marked Secure whenever the
  request came over HTTPS, and then named `__Host-session` (Path=/, no Domain: no other
  host or path can set or read it). They expire after `ADMIN_SESSION_MINUTES` (default
  30) without a request, checked on the server from the cookie's signed timestamp, and
  `SESSION_MAX_AGE` (12 h) after the login however busy they are.
- A login carries the user's session epoch (`User.session_epoch`) and its time; a cookie
  whose epoch is no longer the user's is refused. Logging out and every new password
  count the epoch up, so they end every session of the user, copies of the cookie
  included; deactivating a user ends them too. No remember-me cookie is ever set, and one
  presented would carry the same epoch and time and be checked the same way.
- CSRF tokens (Flask-WTF) guard every state-changing request to /admin; the kiosk and MES
  API authenticate with bearer tokens and are not cookie-based, so they are not checked.
- The content security policy allows only this server: scripts, styles, images, fonts,
  and no framing.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from server.models import User
from server.services.security import PasswordChecks
from server.web import db_session

# A login lasts this long from the moment the password was typed, however busy it is.
SESSION_MAX_AGE = timedelta(hours=12)
SESSION_COOKIE = "session"
SECURE_SESSION_COOKIE = "__Host-session"
# argon2 checks at once per worker process (64 MiB each), and how long a login waits for
# a free slot before it is told the server is busy.
PASSWORD_CHECKS = 2
PASSWORD_CHECK_WAIT = 2.0
LANGUAGES = ("zh_CN", "en")
LANGUAGE_COOKIE = "lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

csrf = CSRFProtect()
login_manager = LoginManager()


class LoginUser(UserMixin):
    """What Flask-Login keeps: the user row, its session epoch and when the login was."""

    def __init__(self, user: User, login_at: int) -> None:
        self.user = user
        self.login_at = login_at

    def get_id(self) -> str:
        return session_ident(self.user, self.login_at)

    @property
    def is_active(self) -> bool:
        return self.user.active

    def __getattr__(self, name: str) -> object:
        return getattr(self.user, name)


def session_ident(user: User, login_at: int) -> str:
    """`<user id>.<session epoch>.<login time, Unix seconds>`: what the cookie names."""
    return f"{user.id}.{user.session_epoch}.{login_at}"


def now_seconds() -> int:
    return int(time.time())


@login_manager.user_loader
def _load_user(ident: str) -> LoginUser | None:
    parts = ident.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None  # a cookie from before session epochs, or not ours
    user_id, epoch, login_at = (int(part) for part in parts)
    age = now_seconds() - login_at
    if not 0 <= age < SESSION_MAX_AGE.total_seconds():
        return None
    user = db_session().get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return LoginUser(user, login_at)


class _SessionInterface(SecureCookieSessionInterface):
    """Over HTTPS the cookie is `__Host-session`: Secure, Path=/ and no Domain, which the
    browser then enforces; over plain HTTP on a LAN it is `session`."""

    def get_cookie_name(self, app: Flask) -> str:
        return SECURE_SESSION_COOKIE if request.is_secure else SESSION_COOKIE

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None if request.is_secure else super().get_cookie_domain(app)

    def get_cookie_path(self, app: Flask) -> str:
        return "/" if request.is_secure else super().get_cookie_path(app)


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def init_app(app: Flask) -> None:
    """Everything the admin needs from the app; `create_app` then registers the blueprint."""
    minutes = int(app.config.get("ADMIN_SESSION_MINUTES", 30))
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=minutes),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds the token
        BABEL_DEFAULT_LOCALE="zh_CN",
    )
    app.session_interface = _SessionInterface()
    app.extensions["shopfloor.password_checks"] = PasswordChecks(PASSWORD_CHECKS,
                                                                 PASSWORD_CHECK_WAIT)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.session_protection = "basic"
    Babel(app, locale_selector=select_locale)

    from server.admin.format import register_filters

    register_filters(app)
