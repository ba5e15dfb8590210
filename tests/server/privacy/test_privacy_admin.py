"""Privacy in the admin, admin role only: the retention settings, a worker's Export and
Erase (typing the code to confirm); raw requests from other roles, a kiosk's token or
without a CSRF token are refused and change nothing."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Worker
from server.services.privacy.retention import Retention, get_retention
from support.factory import bearer
from support.privacy_seed import Seeded

Login = Callable[[str | None], FlaskClient]


def _token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(True))
    assert found, path
    return found.group(1)


def _names(session: Session) -> dict[str, str]:
    session.expire_all()
    return {w.code: w.name for w in session.scalars(select(Worker))}


def _audit_count(session: Session) -> int:
    return len(list(session.scalars(select(AuditEntry.id))))


def test_others_are_refused_then_the_admin_sets_retention(
        seeded: Seeded, session: Session, app: Flask, login_as: Login) -> None:
    names, entries = _names(session), _audit_count(session)
    admin = login_as("admin")
    token = _token(admin, "/admin/workers/A001")
    for who in ("sup1", "view1"):
        client = login_as(who)
        page = client.get("/admin/workers/A001").get_data(True)
        assert "/admin/workers/A001/export" not in page  # no buttons for them
        for method, path in (("POST", "/admin/workers/A001/export"),
                             ("GET", "/admin/workers/A001/erase"),
                             ("POST", "/admin/workers/A001/erase"),
                             ("GET", "/admin/privacy"), ("POST", "/admin/privacy"),
                             ("POST", "/admin/privacy/purge")):
            # Even with a valid CSRF token (the admin's, replayed) and the confirmation.
            answer = client.open(path, method=method,
                                 data={"confirm": "A001", "csrf_token": token})
            assert answer.status_code in (400, 403), (who, path, answer.status_code)
    # A kiosk's device token is no admin login.
    kiosk = app.test_client()
    for path in ("/admin/workers/A001/export", "/admin/workers/A001/erase"):
        answer = kiosk.post(path, data={"confirm": "A001"},
                            headers=bearer(seeded.plant.kiosk_token))
        assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"]
    # The admin without a CSRF token.
    for path in ("/admin/workers/A001/export", "/admin/workers/A001/erase",
                 "/admin/privacy/purge"):
        assert admin.post(path, data={"confirm": "A001"}).status_code == 400
    assert admin.post("/admin/privacy", data={"badge_taps": "100"}).status_code == 400
    assert _names(session) == names and _audit_count(session) == entries
    assert get_retention(session) == Retention()

    # The admin, with the form's token: a refused value changes nothing; good ones save.
    page = admin.get("/admin/privacy").get_data(True)
    assert 'name="badge_taps"' in page and 'value="90"' in page
    token = _token(admin, "/admin/privacy")
    form = {"csrf_token": token, "events": "365", "photos": "730", "claim_pictures": "30",
            "badge_taps": "5"}
    refused = admin.post("/admin/privacy", data=form, follow_redirects=True,
                         headers={"Accept-Language": "zh-CN"}).get_data(True)
    assert "刷卡记录：62 至 3650 天" in refused  # the refusal, translated
    assert get_retention(session) == Retention()
    admin.post("/admin/privacy", data={**form, "badge_taps": "120"})
    session.expire_all()
    assert get_retention(session) == Retention(365, 730, 30, 120)
    answer = admin.post("/admin/privacy/purge", data={"csrf_token": token},
                        follow_redirects=True)
    assert answer.status_code == 200 and 'id="last-purge"' in answer.get_data(True)
    assert not seeded.old_photo.exists()  # a replaced photo, three years old


def test_admin_exports_and_erases_after_typing_the_code(
        seeded: Seeded, session: Session, login_as: Login) -> None:
    admin = login_as("admin")
    page = admin.get("/admin/workers/A001").get_data(True)
    assert "/admin/workers/A001/export" in page and "/admin/workers/A001/erase" in page
    token = _token(admin, "/admin/workers/A001")

    answer = admin.post("/admin/workers/A001/export", data={"csrf_token": token})
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        assert {"README.txt", "manifest.json", "worker.json", "photo.jpg"} <= set(
            archive.namelist())

    form = admin.get("/admin/workers/A001/erase").get_data(True)
    assert 'name="confirm"' in form
    wrong = admin.post("/admin/workers/A001/erase", data={"csrf_token": token,
                                                          "confirm": "A002"},
                       follow_redirects=True)
    assert "A001" in wrong.get_data(True) and _names(session)["A001"] == "张三"

    done = admin.post("/admin/workers/A001/erase", data={"csrf_token": token,
                                                         "confirm": "A001"})
    ident = seeded.worker_id
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/admin/workers/ERASED-{ident}")
    names = _names(session)
    assert "A001" not in names and names[f"ERASED-{ident}"] == f"已删除 #{ident}"
    shown = admin.get(f"/admin/workers/ERASED-{ident}").get_data(True)
    assert "张三" not in shown and f"/admin/workers/ERASED-{ident}/erase" not in shown
    assert admin.get("/admin/workers/A001").status_code == 404

