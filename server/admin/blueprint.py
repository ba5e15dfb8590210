"""The /admin blueprint object and what holds for every admin page.

Access is deny-by-default. Every view declares the roles that may open it with `allow`;
an endpoint without a rule answers 403 to everyone, and the role-matrix test fails on it.
Supervisors see only their own workshops: views pass `scope()` to the services.

Besides the rules: the login and CSRF checks before each request (a user whose generated
first password must still be changed is sent to the password form from every page), the
security headers after it, the navigation and labels every page shows, and the HTML error
pages. The view modules import `admin` from here; `server/admin/__init__.py` only gathers
them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from server.admin.setup import SECURITY_HEADERS, csrf
from server.models import UserRole
from server.services.people.languages import LANGUAGE_NAMES

admin = Blueprint("admin", __name__, url_prefix="/admin")

ADMIN = frozenset({UserRole.ADMIN})
MANAGE = frozenset({UserRole.ADMIN, UserRole.SUPERVISOR})
READ = frozenset({UserRole.ADMIN, UserRole.SUPERVISOR, UserRole.VIEWER})
READ_PLANT = frozenset({UserRole.ADMIN, UserRole.VIEWER})

# endpoint -> roles allowed; PUBLIC endpoints need no login.
RULES: dict[str, frozenset[UserRole]] = {}
PUBLIC: set[str] = set()
# The most a request to a PUBLIC endpoint may send.
PUBLIC_BODY_MAX = 16 * 1024
# All a user with a generated first password may open until it is changed.
WHILE_PASSWORD_MUST_CHANGE = frozenset({"admin.account", "admin.logout"})

View = TypeVar("View", bound=Callable[..., object])


def allow(roles: frozenset[UserRole]) -> Callable[[View], View]:
    """Declare who may open a view: put it under `@admin.route`."""

    def decorate(view: View) -> View:
        RULES[f"admin.{view.__name__}"] = roles
        return view

    return decorate


def public(view: View) -> View:
    PUBLIC.add(f"admin.{view.__name__}")
    return view


def scope() -> frozenset[int] | None:
    """The workshop ids the user may see, or None for every workshop."""
    if current_user.role is UserRole.SUPERVISOR:
        return frozenset(w.id for w in current_user.workshops)
    return None


@admin.before_request
def _check_access() -> Response | None:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC:
        # The login form is small: before a login no one makes a worker read a large body.
        request.max_content_length = PUBLIC_BODY_MAX
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    if current_user.must_change_password and endpoint not in WHILE_PASSWORD_MUST_CHANGE:
        return redirect(url_for("admin.account"))
    roles = RULES.get(endpoint)
    if roles is None or current_user.role not in roles:
        abort(403)
    return None


@admin.before_request
def _check_csrf() -> None:
    enabled = current_app.config.get("WTF_CSRF_ENABLED", True)
    if enabled and request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@admin.after_request
def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Cookie")
    return response


NAV = (
    ("admin.dashboard", _l("Dashboard")),
    ("admin.workers", _l("Workers")),
    ("admin.badges", _l("Badges")),
    ("admin.pin_locks", _l("PIN locks")),
    ("admin.kiosks", _l("Kiosks")),
    ("admin.displays", _l("Wall displays")),
    ("admin.schemes", _l("Schemes")),
    ("admin.categories", _l("Point categories")),
    ("admin.metrics", _l("Metrics")),
    ("admin.claims", _l("Claims")),
    ("admin.appeals", _l("Appeals")),
    ("admin.rewards", _l("Rewards")),
    ("admin.redemptions_queue", _l("Fulfilment")),
    ("admin.alerts", _l("Open issues")),
    ("admin.reasons", _l("Fault reasons")),
    ("admin.production", _l("Production")),
    ("admin.periods", _l("Periods")),
    ("admin.refused", _l("Refused events")),
    ("admin.videos", _l("Training videos")),
    ("admin.voice_packs", _l("Voice packs")),
    ("admin.talent_pools", _l("Talent pools")),
    ("admin.grades", _l("Promotion path")),
    ("admin.reports", _l("Reports")),
    ("admin.audit", _l("Audit log")),
    ("admin.privacy", _l("Privacy")),
    ("admin.users", _l("Users")),
)


LABELS = {
    "role_names": {"admin": _l("admin"), "supervisor": _l("supervisor"),
                   "viewer": _l("viewer"), "worker": _l("worker")},
    "status_names": {"pending": _l("pending"), "approved": _l("approved"),
                     "rejected": _l("rejected"), "open": _l("open"), "upheld": _l("upheld")},
    "dim_names": {"uptime": _l("Uptime"), "defect_rate": _l("Defect rate"),
                  "output": _l("Output"), "training": _l("Training"),
                  "attendance": _l("Attendance"), "points": _l("Points"),
                  "total": _l("Total")},
    "language_names": {"zh_CN": "中文", "en": "English"},
    # a worker's languages, each by its own name (people/languages.py), and the BCP 47 tag
    # of that name, so a screen reader says it in its own language
    "worker_language_names": LANGUAGE_NAMES,
    "language_tags": {"zh_CN": "zh-Hans", "en": "en", "yue": "yue-Hant"},
    "period_names": {"day": _l("day"), "week": _l("week"), "month": _l("month")},
}


@admin.context_processor
def _page_context() -> dict[str, object]:
    nav = []
    if current_user.is_authenticated and not current_user.must_change_password:
        nav = [(endpoint, label) for endpoint, label in NAV
               if current_user.role in RULES.get(endpoint, ())]
    return {"nav": nav, "locale": ui_language(), "page_url": _page_url, **LABELS}


def ui_language() -> str:
    """zh_CN or en: the UI language of this request (Babel itself says zh_Hans_CN)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def _page_url(number: int) -> str:
    """This page's address with another page number, keeping the filters."""
    args = {**(request.view_args or {}), **request.args.to_dict(), "page": number}
    return url_for(request.endpoint or "admin.dashboard", **args)


@admin.errorhandler(403)
def _forbidden(_error: Exception) -> tuple[str, int]:
    return render_template("admin/error.html", code=403,
                           message=_("Your role may not open this page.")), 403


@admin.errorhandler(404)
def _not_found(_error: Exception) -> tuple[str, int]:
    return render_template("admin/error.html", code=404,
                           message=_("There is nothing here, or it is not yours to see.")), 404


@admin.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("admin/error.html", code=400,
                           message=_("The form had expired or was sent from elsewhere. "
                                     "Go back, reload the page and try again.")), 400

