"""Logging in and out, the UI language, and changing one's own password.

A refused login answers 401 (wrong name or password, the same for every name), 429 with
Retry-After while its address or name is throttled, or 503 with Retry-After when every
password check slot is taken; the rules are in server/services/people/users.py and
throttle.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from server.admin.blueprint import READ, admin, allow, public
from server.admin.common import actor, done, failed, field
from server.admin.setup import LANGUAGE_COOKIE, LANGUAGES, LoginUser, now_seconds
from server.services import ServiceError
from server.services.people.users import (
    LoginBusy,
    LoginRefused,
    LoginThrottled,
    authenticate,
    change_own_password,
    end_sessions,
)
from server.services.security import PasswordChecks
from server.services.setup import forget_first_admin_password
from server.web import app_config, db_session

ONE_YEAR = 365 * 24 * 3600
BUSY_RETRY_AFTER = 2


def _safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("admin.dashboard")


def _checks() -> PasswordChecks:
    checks: PasswordChecks = current_app.extensions["shopfloor.password_checks"]
    return checks


def _address() -> str:
    """The client's address (ProxyFix puts the proxy's client there when it is trusted)."""
    return request.remote_addr or "unknown"


def _throttled(seconds: int) -> str:
    return _("Too many failed attempts. Try again in %(seconds)d s.", seconds=seconds)


def _busy() -> str:
    return _("The server is busy checking other logins. Try again in a moment.")


@admin.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int, dict[str, str]]:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "POST":
        db = db_session()
        username = field("username")
        try:
            user = authenticate(db, username, request.form.get("password", ""), _address(),
                                _checks())
        except LoginRefused as refused:
            db.commit()  # the failure counts
            status, headers, error = 401, {}, _("Wrong user name or password.")
            if isinstance(refused, LoginThrottled):
                status, error = 429, _throttled(refused.retry_after)
                headers = {"Retry-After": str(refused.retry_after)}
            elif isinstance(refused, LoginBusy):
                status, error = 503, _busy()
                headers = {"Retry-After": str(BUSY_RETRY_AFTER)}
            return render_template("admin/login.html", error=error,
                                   username=username), status, headers
        db.commit()
        session.clear()
        session.permanent = True
        login_user(LoginUser(user, now_seconds()))
        if user.must_change_password:
            return redirect(url_for("admin.account"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html", error=None, username="")


@admin.route("/logout", methods=["POST"])
@allow(READ)
def logout() -> Response:
    """Ends every session of the user, not only this browser's: a copied cookie too."""
    db = db_session()
    end_sessions(db, current_user.id)
    db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("admin.login"))


@admin.route("/language", methods=["POST"])
@public
def language() -> Response:
    chosen = field("language")
    response = redirect(_safe_next(field("next")))
    if chosen in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


@admin.route("/account", methods=["GET", "POST"])
@allow(READ)
def account() -> Response | str | tuple[str, int]:
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("repeat_password", ""):
            failed(ServiceError(_("The two new passwords differ.")))
            return render_template("admin/account.html")
        db = db_session()
        had_generated = current_user.must_change_password
        try:
            user = change_own_password(db, current_user.id,
                                       request.form.get("current_password", ""), new,
                                       actor(), _address(), _checks())
        except LoginThrottled as refused:
            db.commit()
            failed(ServiceError(_throttled(refused.retry_after)))
            return render_template("admin/account.html"), 429
        except LoginBusy:
            db.rollback()
            failed(ServiceError(_busy()))
            return render_template("admin/account.html"), 503
        except ServiceError as error:
            db.commit()  # a wrong current password counts like a failed login
            failed(error)
            return render_template("admin/account.html")
        db.commit()
        if had_generated:
            forget_first_admin_password(app_config().data_dir)
        # Every other session of the user ended with the new password; this one goes on.
        login_user(LoginUser(user, now_seconds()))
        done(_("Your password was changed."))
        return redirect(url_for("admin.account"))
    return render_template("admin/account.html")
