"""The pictogram picker on the categories, rewards and fault-reasons pages, through the test
client with CSRF on: each saves the picture HR picked (audited), refuses a name that is not
one of the pictures with a message in the reader's language, and only an admin may change
anything. The pictures the picker shows are served from the server's static folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AlertKind, AuditEntry, FaultReason, PointCategory, Reward
from server.services.pictograms import PICTOGRAMS
from server.services.production import reasons
from server.services.rewards.catalogue import RewardSpec, add_reward
from support.factory import Plant, bearer, make_event

Login = Callable[[str | None], FlaskClient]
Token = Callable[..., str]
STATIC = Path(__file__).resolve().parents[3] / "server" / "static" / "pictograms"
REFUSED_ZH = "不是可选的图片之一"


def _category(session: Session, code: str = "fault_fix") -> PointCategory:
    session.expire_all()
    return session.scalars(select(PointCategory).where(PointCategory.code == code)).one()


def _edit(category: PointCategory, **change: str) -> dict[str, str]:
    form = {"name": category.name, "name_en": category.name_en or "",
            "level": category.level.value, "points": f"{category.points:g}",
            "needs_approval": "1" if category.needs_approval else "", "active": "1"}
    return {**form, **change}


def _audits(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.id)))


def test_every_picture_is_served_and_labelled_on_the_categories_page(
        plant: Plant, login_as: Login) -> None:
    admin = login_as("admin")
    page = admin.get("/admin/categories").get_data(as_text=True)
    for name in PICTOGRAMS:
        assert (STATIC / f"{name}.png").is_file(), name
        assert f'value="{name}"' in page
        assert f"/static/pictograms/{name}.png" in page
    with admin.get("/static/pictograms/helmet.png") as picture:
        assert picture.status_code == 200 and picture.data[:8] == b"\x89PNG\r\n\x1a\n"
    # each radio button sits in its own label, which carries the picture's name in text
    assert page.count('<label class="pictogram"><input type="radio" name="pictogram"') \
        >= len(PICTOGRAMS)
    assert "安全帽" in page  # the helmet's label, in the reader's language (zh_CN default)


def test_a_category_keeps_the_picture_hr_picked(session: Session, plant: Plant,
                                               login_as: Login, csrf_token: Token) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/categories")
    category = _category(session)
    assert category.pictogram == "wrench"  # the default categories' own pictures (setup)
    # without the CSRF token: refused, nothing changes
    assert admin.post("/admin/categories/fault_fix",
                      data=_edit(category, pictogram="star")).status_code == 400
    assert _category(session).pictogram == "wrench"
    saved = admin.post("/admin/categories/fault_fix",
                       data={**_edit(category, pictogram="star"), "csrf_token": token},
                       follow_redirects=True)
    assert saved.status_code == 200
    assert _category(session).pictogram == "star"
    [entry] = _audits(session, "category.update")
    assert (entry.before or {})["pictogram"] == "wrench"
    assert (entry.after or {})["pictogram"] == "star"
    # a new category with its picture
    admin.post("/admin/categories/new", data={
        "csrf_token": token, "code": "safety", "name": "安全提醒", "level": "B", "points": "5",
        "pictogram": "helmet"})
    assert _category(session, "safety").pictogram == "helmet"


def test_a_picture_that_is_not_offered_is_refused_in_the_readers_language(
        session: Session, plant: Plant, login_as: Login, csrf_token: Token) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/categories")
    category = _category(session)
    for name in ("../../../etc/passwd", "<script>x</script>", "machine_start", "MEDAL"):
        page = admin.post("/admin/categories/fault_fix",
                          data={**_edit(category, name="改了", pictogram=name),
                                "csrf_token": token}, follow_redirects=True)
        text = page.get_data(as_text=True)
        assert REFUSED_ZH in text, name
        assert "<script>x</script>" not in text
        assert (_category(session).pictogram, _category(session).name) == \
            ("wrench", category.name)
    added = admin.post("/admin/categories/new", data={
        "csrf_token": token, "code": "odd", "name": "怪", "level": "C", "points": "1",
        "pictogram": "skull"}, follow_redirects=True)
    assert REFUSED_ZH in added.get_data(as_text=True)
    assert session.scalars(select(PointCategory).where(PointCategory.code == "odd")).first() \
        is None
    # the same refusal in English for an English reader
    admin.set_cookie("lang", "en")
    english = admin.post("/admin/categories/fault_fix",
                         data={**_edit(category, pictogram="skull"), "csrf_token": token},
                         follow_redirects=True).get_data(as_text=True)
    assert "is not one of the pictures" in english


def test_only_an_admin_changes_a_picture(session: Session, plant: Plant, login_as: Login,
                                         csrf_token: Token) -> None:
    category = _category(session)
    for who in ("sup1", "view1"):
        client = login_as(who)
        token = csrf_token(client, "/admin/rewards")
        form = {**_edit(category, pictogram="broom"), "csrf_token": token}
        assert client.post("/admin/categories/fault_fix", data=form).status_code == 403
        assert client.post("/admin/reasons/new", data={
            "csrf_token": token, "code": "x", "kind": "machine_fault", "name": "x",
            "pictogram": "leak"}).status_code == 403
    assert _category(session).pictogram == "wrench"
    assert login_as("view1").get("/admin/reasons").status_code == 200
    assert login_as("sup1").get("/admin/reasons").status_code == 403


def test_a_reward_keeps_its_picture(session: Session, plant: Plant, login_as: Login,
                                    csrf_token: Token) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/rewards")
    admin.post("/admin/rewards", data={"csrf_token": token, "code": "MEAL", "name": "午餐券",
                                       "cost": "30", "pictogram": "rice_bowl"},
               content_type="multipart/form-data")
    session.expire_all()
    assert session.scalars(select(Reward.pictogram)).one() == "rice_bowl"
    edit_page = admin.get("/admin/rewards/MEAL/edit").get_data(as_text=True)
    assert 'value="rice_bowl" checked' in edit_page
    admin.post("/admin/rewards/MEAL/edit", data={"csrf_token": token, "name": "午餐券",
                                                 "cost": "30", "pictogram": "movie_ticket"})
    session.expire_all()
    assert session.scalars(select(Reward.pictogram)).one() == "movie_ticket"
    [entry] = _audits(session, "reward.update")
    assert ((entry.before or {})["pictogram"], (entry.after or {})["pictogram"]) == \
        ("rice_bowl", "movie_ticket")
    refused = admin.post("/admin/rewards/MEAL/edit", data={
        "csrf_token": token, "name": "午餐券", "cost": "30", "pictogram": "javascript:x"},
        follow_redirects=True)
    assert REFUSED_ZH in refused.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(Reward.pictogram)).one() == "movie_ticket"
    # a reward made elsewhere (the CLI) without a picture gets the gift
    add_reward(session, "CUP", RewardSpec(name="杯子", cost=5), "test")
    session.commit()
    assert session.scalars(select(Reward.pictogram).where(Reward.code == "CUP")).one() == "gift"
    listing = admin.get("/admin/rewards").get_data(as_text=True)
    assert "/static/pictograms/movie_ticket.png" in listing


def test_fault_reasons_are_added_edited_and_audited(session: Session, plant: Plant,
                                                    login_as: Login, csrf_token: Token) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/reasons")
    assert admin.post("/admin/reasons/new", data={
        "code": "jam", "kind": "machine_fault", "name": "卡料",
        "pictogram": "gear_jam"}).status_code == 400  # no CSRF token
    admin.post("/admin/reasons/new", data={
        "csrf_token": token, "code": "jam", "kind": "machine_fault", "name": "卡料",
        "name_en": "Jammed", "pictogram": "gear_jam", "sort": "2"})
    session.expire_all()
    jam = session.scalars(select(FaultReason).where(FaultReason.code == "jam")).one()
    assert (jam.kind, jam.name, jam.name_en, jam.pictogram, jam.sort, jam.active) == \
        (AlertKind.MACHINE_FAULT, "卡料", "Jammed", "gear_jam", 2, True)
    page = admin.get("/admin/reasons").get_data(as_text=True)
    assert "卡料" in page
    assert f'value="gear_jam" form="reason-{jam.id}" checked' in page
    # an edit may change names, picture, order and active, never the kind
    admin.post(f"/admin/reasons/{jam.id}", data={
        "csrf_token": token, "name": "卡住", "name_en": "Stuck", "pictogram": "wrench",
        "sort": "1", "kind": "quality_issue"})
    session.expire_all()
    jam = session.get(FaultReason, jam.id)
    assert jam is not None
    assert (jam.kind, jam.name, jam.pictogram, jam.active) == \
        (AlertKind.MACHINE_FAULT, "卡住", "wrench", False)
    assert [e.entity_id for e in _audits(session, "reason.add")] == ["jam"]
    [update] = _audits(session, "reason.update")
    assert (update.before or {})["pictogram"] == "gear_jam"
    # an id that names no reason: 404; a picture or a kind not offered: refused, translated
    assert admin.post("/admin/reasons/999999", data={
        "csrf_token": token, "name": "x", "pictogram": "leak"}).status_code == 404
    bad_picture = admin.post(f"/admin/reasons/{jam.id}", data={
        "csrf_token": token, "name": "x", "pictogram": "<img src=x onerror=alert(1)>"},
        follow_redirects=True).get_data(as_text=True)
    assert REFUSED_ZH in bad_picture and "<img src=x onerror" not in bad_picture
    bad_kind = admin.post("/admin/reasons/new", data={
        "csrf_token": token, "code": "x", "kind": "payroll", "name": "x",
        "pictogram": "leak"}, follow_redirects=True).get_data(as_text=True)
    assert "请选择设备故障或质量问题" in bad_kind
    session.expire_all()
    assert session.get(FaultReason, jam.id).name == "卡住"  # type: ignore[union-attr]
    assert "x" not in session.scalars(select(FaultReason.code)).all()


def test_a_reason_is_shown_by_name_not_code(app: Flask, session: Session, plant: Plant,
                                            login_as: Login) -> None:
    """An alert keeps the code the kiosk sent; the admin, the wall and the kiosk's alert
    list show HR's name for it (a code HR never listed stays as it came)."""
    burr = reasons.add_reason(session, "burr2", AlertKind.QUALITY_ISSUE,
                              reasons.ReasonSpec(name="大毛刺", name_en="Big burr",
                                                 pictogram="burr"), "test")
    session.commit()
    assert burr in reasons.list_reasons(session, active_only=True)
    kiosk = app.test_client()
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    for payload in ({"issue": "burr2"}, {"issue": "zzz_unknown"}):
        answer = kiosk.post("/api/v1/events", headers=bearer(plant.kiosk_token), json={
            "events": [make_event("quality_issue", "A001", payload, when)]})
        assert answer.get_json()["results"][0]["status"] == "accepted"
    listed = kiosk.get("/api/v1/alerts", headers=bearer(plant.kiosk_token)).get_json()
    by_code = {a["reason"]: a for a in listed["alerts"]}
    assert (by_code["burr2"]["reason_name"], by_code["burr2"]["reason_name_en"],
            by_code["burr2"]["reason_pictogram"]) == ("大毛刺", "Big burr", "burr")
    assert by_code["zzz_unknown"]["reason_name"] is None
    page = login_as("admin").get("/admin/alerts").get_data(as_text=True)
    assert '<span class="reason">大毛刺</span>' in page
    assert '<span class="reason">burr2</span>' not in page
    assert '<span class="reason">zzz_unknown</span>' in page
