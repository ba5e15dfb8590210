"""HR's badge sheets and unknown taps, through the admin's own forms (CSRF on).

A badge sheet never issues new QR secrets silently: the page names the workers whose QR
badges in use it replaces and how many, HR ticks to confirm, and making the sheet revokes
them (audited), so a kiosk's roster no longer carries an old badge and a tap of it is an
unknown badge. The unknown-taps list shows a card's number as the site's cards print it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Badge, BadgeKind, Event, UnknownTap, Worker
from server.services import Conflict
from server.services.people import badges as service
from server.services.people.badges import assign_qr
from server.services.security import qr_credential_hash
from support.factory import UNKNOWN_CARD, Plant, make_event

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def admin(login_as: Callable[[str | None], FlaskClient]) -> FlaskClient:
    return login_as("admin")


def _text(answer: Any) -> str:
    text: str = answer.get_data(as_text=True)
    return text


def _hidden(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', page)


def _active_qr(session: Session, code: str) -> list[Badge]:
    session.expire_all()
    return list(session.scalars(select(Badge).join(Worker).where(
        Worker.code == code, Badge.kind == BadgeKind.QR, Badge.revoked_at.is_(None))))


def _roster_hashes(app: Flask, plant: Plant) -> set[str]:
    answer = app.test_client().get("/api/v1/roster",
                                   headers={"Authorization": f"Bearer {plant.kiosk_token}"})
    assert answer.status_code == 200
    return {b["hash"] for w in answer.get_json()["workers"] for b in w["badges"]}


def _tap_qr(app: Flask, plant: Plant, secret: str) -> dict[str, Any]:
    """K1 sends what it sends for a QR badge its roster does not carry."""
    event = make_event("badge_in", worker=None,
                       payload={"badge_hash": qr_credential_hash(secret), "kind": "qr"})
    answer = app.test_client().post(
        "/api/v1/events", json={"events": [event]},
        headers={"Authorization": f"Bearer {plant.kiosk_token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    result: dict[str, Any] = answer.get_json()["results"][0]
    return result


def test_a_sheet_lists_the_qr_badges_it_replaces_and_revokes_them_when_printed(
    app: Flask, session: Session, plant: Plant, admin: FlaskClient,
    csrf_token: Callable[..., str]
) -> None:
    # A001 holds two QR badges in use (printed on two earlier occasions), A002 none.
    _first, old_one = assign_qr(session, "A001", "test")
    _second, old_two = assign_qr(session, "A001", "test")
    session.commit()
    old = {qr_credential_hash(old_one), qr_credential_hash(old_two)}
    assert old <= _roster_hashes(app, plant)
    token = csrf_token(admin, "/admin/badges?workshop=W1")

    check = admin.post("/admin/badges/sheet", data={
        "csrf_token": token, "workshop": "W1", "step": "check", "workers": ["A001", "A002"]})
    page = _text(check)
    assert check.status_code == 200 and 'id="sheet-replaced"' in page
    assert "2 名员工将获得新的二维码工牌" in page
    assert "1 名员工的 2 个二维码工牌将被替换" in page
    listed = page.split('id="sheet-replaced"')[1].split("</table>")[0]
    assert "A001" in listed and "张三" in listed and "A002" not in listed
    assert len(_active_qr(session, "A001")) == 2, "showing the list changes nothing"
    assert _hidden(page, "replace") == sorted(_hidden(page, "replace"))
    shown = _hidden(page, "replace")
    assert len(shown) == 2

    # Without ticking the box, nothing is issued or revoked.
    unticked = admin.post("/admin/badges/sheet", data={
        "csrf_token": token, "workshop": "W1", "step": "print", "workers": ["A001", "A002"],
        "replace": shown})
    assert unticked.mimetype == "text/html" and "请勾选方框" in _text(unticked)
    assert len(_active_qr(session, "A001")) == 2 and _active_qr(session, "A002") == []

    printed = admin.post("/admin/badges/sheet", data={
        "csrf_token": token, "workshop": "W1", "step": "print", "workers": ["A001", "A002"],
        "replace": shown, "replace_ok": "1"})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert printed.data.startswith(b"%PDF")
    [new_a001] = _active_qr(session, "A001")
    assert len(_active_qr(session, "A002")) == 1
    assert new_a001.credential_hash not in old

    # The old badges no longer work: the roster drops them, a tap of one is unknown.
    roster = _roster_hashes(app, plant)
    assert old.isdisjoint(roster) and new_a001.credential_hash in roster
    assert _tap_qr(app, plant, old_one)["status"] == "accepted"
    session.expire_all()
    tapped = session.scalars(select(Event).where(Event.kind == "badge_in")
                             .order_by(Event.id.desc())).first()
    assert tapped is not None and tapped.worker_id is None and tapped.payload["unknown"]
    kept = session.scalars(select(UnknownTap).where(
        UnknownTap.digest == qr_credential_hash(old_one))).one()
    assert kept.kind == "qr"

    revoked = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "badge.revoke")).all()
    a001 = session.scalars(select(Worker).where(Worker.code == "A001")).one()
    assert sorted(int(e.entity_id or 0) for e in revoked) == sorted(int(i) for i in shown)
    assert all(e.actor == "user:admin" and e.after == {
        "worker_id": a001.id, "kind": "qr", "replaced_by": "badge_sheet"} for e in revoked)
    # The next page says what happened.
    assert "2 个旧二维码工牌已作废" in _text(admin.get("/admin/badges"))


def test_a_badge_issued_after_the_list_was_shown_is_not_replaced_unseen(
    session: Session, plant: Plant, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/badges?workshop=W1")
    check = admin.post("/admin/badges/sheet", headers=ENGLISH, data={
        "csrf_token": token, "workshop": "W1", "workers": ["A001"]})
    page = _text(check)
    assert 'id="sheet-replaces-none"' in page and 'name="replace_ok"' not in page
    assert "no badge is replaced" in page
    # Meanwhile someone issues A001 a QR badge at another desk.
    issued, _secret = assign_qr(session, "A001", "test")
    session.commit()
    stale = admin.post("/admin/badges/sheet", headers=ENGLISH, data={
        "csrf_token": token, "workshop": "W1", "step": "print", "workers": ["A001"]})
    again = _text(stale)
    assert stale.mimetype == "text/html"
    assert "changed since this page was shown" in again
    assert "1 QR badges of 1 workers will be replaced" in again
    assert [b.id for b in _active_qr(session, "A001")] == [issued.id]

    # A form naming another worker's badge revokes nothing.
    other, _ = assign_qr(session, "A002", "test")
    session.commit()
    hostile = admin.post("/admin/badges/sheet", data={
        "csrf_token": token, "workshop": "W1", "step": "print", "workers": ["A001"],
        "replace": [str(issued.id), str(other.id)], "replace_ok": "1"})
    assert hostile.mimetype == "text/html"
    assert [b.id for b in _active_qr(session, "A002")] == [other.id]
    assert [b.id for b in _active_qr(session, "A001")] == [issued.id]


def test_the_service_refuses_a_sheet_that_would_replace_badges_nobody_confirmed(
    session: Session, plant: Plant, tmp_path: Any
) -> None:
    badge, _secret = assign_qr(session, "A001", "test")
    with pytest.raises(Conflict):
        service.badge_sheet(session, ["A001"], tmp_path, "test")
    assert badge.revoked_at is None
    assert [r.code for r in service.sheet_replacements(session, ["A001", "A002"])] == ["A001"]
    pdf = service.badge_sheet(session, ["A001"], tmp_path, "test", replace=[badge.id])
    assert pdf.startswith(b"%PDF") and badge.revoked_at is not None


def test_only_an_admin_prints_a_sheet_and_never_without_the_forms_token(
    session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient]
) -> None:
    badge, _secret = assign_qr(session, "A001", "test")
    session.commit()
    form = {"workshop": "W1", "step": "print", "workers": ["A001"],
            "replace": [str(badge.id)], "replace_ok": "1"}
    assert login_as("admin").post("/admin/badges/sheet", data=form).status_code == 400
    for who in ("sup1", "view1"):
        assert login_as(who).post("/admin/badges/sheet", data=form).status_code in (400, 403)
    assert [b.id for b in _active_qr(session, "A001")] == [badge.id]


@pytest.mark.parametrize(("fmt", "reverse", "printed", "whole"), [
    ("10D", False, "0079757294", True),  # 0x04C0FFEE
    ("8H", False, "04C0FFEE", True),
    ("6H8D", False, "12648430", False),  # 0xC0FFEE: three of the card's four bytes
    ("2H,4H", False, "192,65518", False),
    ("10D", True, "4009738244", True),  # 0xEEFFC004
])
def test_an_unknown_card_is_listed_by_the_number_printed_on_it(
    app: Flask, plant: Plant, admin: FlaskClient, fmt: str, reverse: bool, printed: str,
    whole: bool
) -> None:
    app.config["SHOPFLOOR"] = dataclasses.replace(app.config["SHOPFLOOR"], card_format=fmt,
                                                  card_reversed=reverse)
    for path in ("/admin/badges?kiosk=K1", "/admin/badges/taps?kiosk=K1"):
        page = _text(admin.get(path))
        row = page.split('id="taps"')[1].split("</tr>", 2)[1]
        assert f"<strong>{printed}</strong>" in row and "卡面号码" in page
        # A number that holds only some of the card's bytes comes with the whole UID.
        assert ("UID 04C0FFEE" not in row) is whole


def test_a_qr_tap_shows_qr_and_a_long_uid_shows_its_hex_too(
    app: Flask, session: Session, plant: Plant, admin: FlaskClient
) -> None:
    assert _tap_qr(app, plant, "a-qr-nobody-holds")["status"] == "accepted"
    long_uid = "04A1B2C3D4E5F6"  # a 7-byte card read over PC/SC
    assert app.test_client().post("/api/v1/events", json={"events": [make_event(
        "badge_in", worker=None, payload={"card_number": long_uid, "kind": "card"})]},
        headers={"Authorization": f"Bearer {plant.kiosk_token}"}).status_code == 200
    english = _text(admin.get("/admin/badges/taps?kiosk=K1", headers=ENGLISH))
    rows = english.split("<tbody>")[1].split("</tr>")
    assert "Number on the card" in english
    assert any('<td class="tap-number">QR</td>' in r for r in rows)
    assert any("<strong>3285509622</strong>" in r and f"UID {long_uid}" in r for r in rows)
    chinese = _text(admin.get("/admin/badges/taps?kiosk=K1"))
    assert '<td class="tap-number">二维码</td>' in chinese
    assert f"<strong>{int(UNKNOWN_CARD, 16):010d}</strong>" in chinese
