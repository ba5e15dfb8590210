"""Who may open what: every admin route × every role, from the app's own URL map.

A route added without a line in ACCESS fails `test_every_route_has_a_rule`, and the
blueprint itself refuses (403) an endpoint that declares no roles.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Badge, ProductionRecord, UnknownTap, User
from server.scoring import period_span
from support.factory import Plant

# Who may open each endpoint: public (no login), read (every role, supervisors scoped),
# plant (admin and viewer), manage (admin and supervisor), admin.
ACCESS = {
    "admin.login": "public",
    "admin.language": "public",
    "admin.logout": "read",
    "admin.account": "read",
    "admin.dashboard": "read",
    "admin.workers": "read",
    "admin.worker": "read",
    "admin.workers_photo": "read",
    "admin.workers_new": "admin",
    "admin.workers_edit": "admin",
    "admin.workers_active": "admin",
    "admin.workers_photo_upload": "admin",
    "admin.workers_import": "admin",
    "admin.workers_import_template": "admin",
    "admin.workers_yue_script": "admin",
    "admin.badges": "admin",
    "admin.badges_card": "admin",
    "admin.badges_qr": "admin",
    "admin.badges_sheet": "admin",
    "admin.badges_revoke": "admin",
    "admin.badges_taps": "admin",
    "admin.badges_tap_assign": "admin",
    "admin.pin_locks": "admin",
    "admin.pin_locks_unlock": "admin",
    "admin.kiosks": "admin",
    "admin.kiosks_code": "admin",
    "admin.kiosks_revoke": "admin",
    "admin.displays": "admin",
    "admin.displays_names": "admin",
    "admin.displays_revoke": "admin",
    "admin.schemes": "plant",
    "admin.schemes_edit": "plant",
    "admin.schemes_export": "plant",
    "admin.schemes_preview": "admin",
    "admin.schemes_save": "admin",
    "admin.categories": "plant",
    "admin.categories_new": "admin",
    "admin.categories_edit": "admin",
    "admin.reasons": "plant",
    "admin.reasons_new": "admin",
    "admin.reasons_edit": "admin",
    "admin.metrics": "plant",
    "admin.metrics_new": "admin",
    "admin.metrics_edit": "admin",
    "admin.claims": "read",
    "admin.claims_decide": "manage",
    "admin.claims_photo": "read",
    "admin.appeals": "read",
    "admin.appeal": "read",
    "admin.appeals_resolve": "manage",
    "admin.rewards": "read",
    "admin.rewards_new": "admin",
    "admin.rewards_edit": "admin",
    "admin.rewards_retire": "admin",
    "admin.rewards_picture": "read",
    "admin.redemptions_queue": "read",
    "admin.redemptions_act": "manage",
    "admin.worker_points": "read",
    "admin.worker_points_add": "admin",
    "admin.worker_points_settle": "admin",
    "admin.alerts": "manage",
    "admin.alerts_open": "manage",
    "admin.alerts_act": "manage",
    "admin.production": "plant",
    "admin.production_import": "admin",
    "admin.production_import_template": "admin",
    "admin.production_edit": "admin",
    "admin.periods": "read",
    "admin.periods_show": "read",
    "admin.periods_close": "admin",
    "admin.periods_reopen": "admin",
    "admin.refused": "read",
    "admin.refused_book": "manage",
    "admin.reports": "read",
    "admin.reports_download": "read",
    "admin.reports_payroll": "admin",
    "admin.reports_payroll_settings": "admin",
    "admin.videos": "plant",
    "admin.videos_upload": "admin",
    "admin.videos_edit": "admin",
    "admin.videos_active": "admin",
    "admin.videos_quiz_add": "admin",
    "admin.videos_quiz_remove": "admin",
    "admin.videos_thumbnail": "plant",
    "admin.videos_quiz_picture": "admin",
    "admin.voice_packs": "plant",
    "admin.voice_packs_upload": "admin",
    "admin.voice_packs_delete": "admin",
    "admin.videos_growth": "admin",
    "admin.talent_pools": "plant",
    "admin.talent_pools_save": "admin",
    "admin.grades": "plant",
    "admin.grades_save": "admin",
    "admin.grades_certify": "admin",
    "admin.audit": "admin",
    "admin.audit_verify": "admin",
    "admin.users": "admin",
    "admin.users_new": "admin",
    "admin.users_edit": "admin",
    "admin.users_password": "admin",
    "admin.privacy": "admin",
    "admin.privacy_purge": "admin",
    "admin.workers_export": "admin",
    "admin.workers_erase": "admin",
}
ALLOWED = {
    "public": {None, "admin", "sup1", "view1"},
    "read": {"admin", "sup1", "view1"},
    "plant": {"admin", "view1"},
    "manage": {"admin", "sup1"},
    "admin": {"admin"},
}
WHO = (None, "admin", "sup1", "view1")
# Endpoints whose success is a redirect to the login page (logging out).
LEAVES = {"admin.logout"}


def _admin_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every admin route and method."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, rule.rule, method))
    return sorted(found)


@pytest.fixture
def no_csrf(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _values(session: Session, plant: Plant) -> dict[str, object]:
    """A real thing for each URL argument, in the supervisor's own workshop."""
    return {
        "code": "A001",
        "name": "K1",
        "badge_id": session.scalars(select(Badge.id)).first(),
        "tap_id": session.scalars(select(UnknownTap.id)).first(),
        "entry_id": plant.claim_id,
        "appeal_id": plant.appeal_id,
        "record_id": session.scalars(select(ProductionRecord.id)).first(),
        "user_id": session.scalars(select(User.id).where(User.username == "view1")).one(),
        "workshop": "W1", "period": period_span("month", plant.last_month).label,
        # No video exists in the plant: the allowed get a 404, the others a 403.
        "video_id": 1, "question": 1, "answer": 1,
        # No reward or redemption exists in the plant: the allowed get a 404.
        "reward": "CUP", "redemption_id": 1, "action": "handover",
        # No alert exists in the plant either: the allowed get a 404.
        "alert_id": 1,
        # Reasons are seeded by migration 0012 only: the allowed get a 404 here.
        "reason_id": 1,
        # No voice pack exists in the plant: the allowed get a 404.
        "pack_id": 1,
    }


def test_every_route_has_a_rule(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in _admin_rules(app)}
    assert endpoints - ACCESS.keys() == set(), "add the new route to ACCESS"
    assert ACCESS.keys() - endpoints == set(), "a route in ACCESS no longer exists"


def test_the_blueprint_declares_the_same_roles(app: Flask) -> None:
    from server.admin import PUBLIC, RULES

    for endpoint, level in ACCESS.items():
        if level == "public":
            assert endpoint in PUBLIC
        else:
            declared = {r.value for r in RULES[endpoint]}
            wanted = {"admin": "admin", "sup1": "supervisor", "view1": "viewer"}
            assert declared == {wanted[u] for u in ALLOWED[level]}, endpoint


def test_role_matrix(no_csrf: Flask, session: Session, plant: Plant,
                     login_as: Callable[[str | None], FlaskClient]) -> None:
    values = _values(session, plant)
    problems = []
    for endpoint, rule, method in _admin_rules(no_csrf):
        url = rule
        for name, value in values.items():
            url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        if endpoint == "admin.categories_edit":
            url = "/admin/categories/fault_fix"
        for who in WHO:
            client = login_as(who)
            response = client.open(url, method=method, data={})
            status = response.status_code
            to_login = status == 302 and "/admin/login" in response.headers["Location"]
            allowed = who in ALLOWED[ACCESS[endpoint]]
            if who is None and not allowed:
                ok = to_login
            elif allowed:
                refused = {400, 403} if endpoint == "admin.login" else {400, 401, 403}
                ok = status < 500 and status not in refused and (
                    not to_login or endpoint in LEAVES or endpoint == "admin.login")
            else:
                ok = status == 403
            if not ok:
                problems.append(f"{method} {url} as {who}: {status}")
    assert problems == []


def test_a_supervisor_sees_only_their_workshops(
    plant: Plant, login_as: Callable[[str | None], FlaskClient]
) -> None:
    client = login_as("sup1")
    assert client.get("/admin/workers/A001").status_code == 200
    assert client.get("/admin/workers/B001").status_code == 404
    listing = client.get("/admin/workers?status=all").get_data(as_text=True)
    assert "A001" in listing and "B001" not in listing
    assert client.get("/admin/reports?workshop=W2").status_code == 404
    assert client.get("/admin/reports/download?workshop=W2&format=csv").status_code == 404
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "W1 ·" in dashboard and "W2 ·" not in dashboard
