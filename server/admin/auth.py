"""Logging in and out, the UI language, and changing one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from server.admin.blueprint import READ, admin, allow, public
from server.admin.common import actor, failed, field, saving
from server.admin.setup import LANGUAGE_COOKIE, LANGUAGES, LoginUser
from server.services import ServiceError
from server.services.people.users import LoginRefused, authenticate, set_password
from server.web import db_session

ONE_YEAR = 365 * 24 * 3600


def _safe_next(target: str | None) -> str:
    """Only a path on this server: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("admin.dashboard")


@admin.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    error = None
    if request.method == "POST":
        db = db_session()
        try:
            user = authenticate(db, field("username"), request.form.get("password", ""))
        except LoginRefused as refused:
            db.commit()
            if refused.locked_until is not None:
                error = _("Too many failed attempts. This account is locked until %(time)s.",
                          time=format_datetime(refused.locked_until, "HH:mm"))
            else:
                error = _("Wrong user name or password.")
            return render_template("admin/login.html", error=error,
                                   username=field("username")), 401
        db.commit()
        session.clear()
        session.permanent = True
        login_user(LoginUser(user))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html", error=error, username="")


@admin.route("/logout", methods=["POST"])
@allow(READ)
def logout() -> Response:
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
def account() -> Response | str:
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("repeat_password", ""):
            failed(ServiceError(_("The two new passwords differ.")))
        else:
            with saving() as saved:
                user = set_password(db_session(), current_user.id, new, actor(),
                                    current=request.form.get("current_password", ""))
                saved.done(_("Your password was changed."))
            if saved.ok:
                login_user(LoginUser(user))  # the session follows the new password
                return redirect(url_for("admin.account"))
    return render_template("admin/account.html")
