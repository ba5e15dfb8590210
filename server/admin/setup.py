"""Wiring the admin into the app: logins, CSRF, the UI language, cookies and headers.

- Sessions are Flask's signed cookie, HttpOnly and SameSite=Lax, marked Secure whenever the
  request came over HTTPS; they expire after `ADMIN_SESSION_MINUTES` (default 30) without
  a request, checked on the server from the cookie's signed timestamp.
- A login is tied to the user's password hash, so changing a password or deactivating a
  user ends their other sessions.
- CSRF tokens (Flask-WTF) guard every state-changing request to /admin; the kiosk and MES
  API authenticate with bearer tokens and are not cookie-based, so they are not checked.
- The content security policy allows only this server: scripts, styles, images, fonts,
  and no framing.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from server.models import User
from server.web import db_session

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
    """What Flask-Login keeps: the user row and a fingerprint of its password hash."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}.{fingerprint(self.user)}"

    @property
    def is_active(self) -> bool:
        return self.user.active

    def __getattr__(self, name: str) -> object:
        return getattr(self.user, name)


def fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def _load_user(ident: str) -> LoginUser | None:
    user_id, _, mark = ident.partition(".")
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active or fingerprint(user) != mark:
        return None
    return LoginUser(user)


class _SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


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
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.session_protection = "basic"
    Babel(app, locale_selector=select_locale)

    from server.admin.format import register_filters

    register_filters(app)
