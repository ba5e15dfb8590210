"""The admin's forms do what they say, through the views (CSRF is checked elsewhere)."""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    AuditEntry,
    Kiosk,
    PointCategory,
    ProductionRecord,
    Setting,
    User,
    Worker,
)
from server.services.scores.kiosk_reads import photo_file
from support.factory import PASSWORD, Plant


@pytest.fixture
def client(app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient]
           ) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def _flash(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def test_create_edit_deactivate_a_worker(client: FlaskClient, session: Session) -> None:
    created = client.post("/admin/workers/new", data={
        "code": "N001", "name": "新人", "workshop": "W2", "role": "supervisor",
        "language": "en", "pin": "4321"}, follow_redirects=True)
    assert "6 to 8 digits" in _flash(created)  # new PINs are longer
    created = client.post("/admin/workers/new", data={
        "code": "N001", "name": "新人", "workshop": "W2", "role": "supervisor",
        "language": "en", "pin": "432105"}, follow_redirects=True)
    assert "N001" in _flash(created)
    refused = client.post("/admin/workers/new", data={
        "code": "N001", "name": "again", "workshop": "W2"}, follow_redirects=True)
    assert "already exists" in _flash(refused)
    client.post("/admin/workers/N001/edit", data={
        "name": "新人甲", "workshop": "W1", "role": "worker", "language": "zh_CN"})
    client.post("/admin/workers/N001/active", data={"active": "0"})
    session.expire_all()
    worker = session.scalars(select(Worker).where(Worker.code == "N001")).one()
    assert (worker.name, worker.workshop.code, worker.active, worker.pin_hash) == (
        "新人甲", "W1", False, None)
    actions = set(session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity_id == str(worker.id))))  # people by id in the audit log
    assert {"worker.create", "worker.update", "worker.deactivate"} <= actions


def test_a_photo_is_uploaded_and_served(client: FlaskClient, app: Flask,
                                        session: Session) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (800, 600), "orange").save(picture, "PNG")
    client.post("/admin/workers/A001/photo",
                data={"photo": (io.BytesIO(picture.getvalue()), "me.png")},
                content_type="multipart/form-data")
    served = client.get("/admin/workers/A001/photo.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(served.data)).size) == 400
    served.close()
    # The kiosks and the wall read the same file through the path kept on the worker.
    kiosk = session.scalars(select(Kiosk)).first()
    assert kiosk is not None
    session.expire_all()
    on_disk = photo_file(session, kiosk, "A001", app.config["SHOPFLOOR"].data_dir)
    assert on_disk.read_bytes()[:2] == b"\xff\xd8"
    bad = client.post("/admin/workers/A001/photo",
                      data={"photo": (io.BytesIO(b"not a picture"), "x.png")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "照片：不是服务器能读取的图片" in _flash(bad)  # refused, in the UI's language


def test_categories_kiosks_users_and_payroll(client: FlaskClient, session: Session) -> None:
    client.post("/admin/categories/new", data={
        "code": "mentor", "name": "带徒弟", "name_en": "Mentoring", "level": "B",
        "points": "8", "needs_approval": "1"})
    client.post("/admin/categories/mentor", data={
        "name": "带徒弟", "name_en": "Mentoring", "level": "A", "points": "12",
        "active": "1"})
    page = client.post("/admin/kiosks", data={"name": "K2", "workshops": ["W2"]})
    assert 'id="enrolment-code"' in _flash(page) and "<svg" in _flash(page)
    client.post("/admin/kiosks/K2/revoke")
    client.post("/admin/users/new", data={"username": "sup2", "password": PASSWORD,
                                          "role": "supervisor", "workshops": ["W2"]})
    client.post("/admin/reports/payroll/settings", data={
        "tier": ["excellent", "good"], "bonus_excellent": "200", "bonus_good": "",
        "reminder_day": "20"})
    session.expire_all()
    category = session.scalars(select(PointCategory).where(PointCategory.code == "mentor")).one()
    assert (category.level.value, category.points, category.needs_approval) == ("A", 12, False)
    assert session.scalars(select(Kiosk).where(Kiosk.name == "K2")).one().revoked_at
    sup2 = session.scalars(select(User).where(User.username == "sup2")).one()
    assert [w.code for w in sup2.workshops] == ["W2"]
    assert session.get(Setting, "payroll.reminder_day").value == "20"  # type: ignore[union-attr]


def test_a_production_record_is_corrected(client: FlaskClient, session: Session) -> None:
    record = session.scalars(select(ProductionRecord)).first()
    assert record is not None
    refused = client.post(f"/admin/production/{record.id}", data={
        "planned_minutes": "480", "run_minutes": "500", "output": "10", "defects": "0",
        "reason": "typo"})
    assert "run_minutes" in _flash(refused)
    client.post(f"/admin/production/{record.id}", data={
        "planned_minutes": "480", "run_minutes": "470", "output": "10", "defects": "0",
        "reason": "typo"})
    session.expire_all()
    assert session.get(ProductionRecord, record.id).run_minutes == 470  # type: ignore[union-attr]


def test_reports_and_payroll_download(client: FlaskClient, plant: Plant) -> None:
    for fmt in ("xlsx", "csv", "pdf"):
        answer = client.get(f"/admin/reports/download?kind=monthly&workshop=W1&format={fmt}")
        assert answer.status_code == 200, fmt
        assert "attachment" in answer.headers["Content-Disposition"]
    weekly = client.get("/admin/reports?kind=weekly&workshop=W1&period=2026-W99")
    assert "2026-W99" in _flash(weekly)
    # Payroll is paid from closed months only: close last month (the default) first.
    client.post(f"/admin/periods/W1/{plant.last_month:%Y-%m}/close")
    client.post(f"/admin/periods/W2/{plant.last_month:%Y-%m}/close")
    payroll = client.get("/admin/reports/payroll?format=csv")
    assert payroll.status_code == 200 and "奖金 Bonus" in payroll.get_data(as_text=True)


def test_a_wall_display_link_is_made_shown_once_and_revoked(
        client: FlaskClient, session: Session) -> None:
    empty = _flash(client.get("/admin/displays"))
    assert "No wall displays yet" in empty or "还没有车间大屏" in empty
    made = _flash(client.post("/admin/displays", data={
        "name": "食堂电视", "workshop": "W1", "language": "zh_CN"}))
    link = made.split('class="display-link">')[1].split("<")[0]
    # TVs get plain HTTP on the wall port, by the name the admin's browser used.
    assert link.startswith("http://localhost:8751/wall/")
    path = urlsplit(link).path
    board = client.get(path)
    assert board.status_code == 200
    assert link not in _flash(client.get("/admin/displays")), "the link is shown only once"
    refused = _flash(client.post("/admin/displays", data={
        "name": "x", "workshop": "W1", "language": "fr"}))
    assert "fr" in refused
    client.post("/admin/displays/食堂电视/revoke")
    assert client.get(path).status_code == 403
    session.expire_all()
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"display.create", "display.revoke"} <= actions
