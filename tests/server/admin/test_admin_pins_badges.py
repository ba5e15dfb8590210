"""HR's side of credentials: the PIN locks page (unlock, with CSRF, audited; PINs to
renew) and the badges page, whose unknown taps come from the kiosks' reports and whose
pages show no card number or digest. Translated."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Badge, BadgeDigest, Worker
from server.services.people import pins
from shopfloor_trust.cards import legacy_card_digest
from shopfloor_trust.pins import MAX_WRONG_PINS
from support.factory import PLANT_CARD, TEST_KEYS, UNKNOWN_CARD, Plant


def _s001(session: Session) -> Worker:
    return session.scalars(select(Worker).where(Worker.code == "S001")).one()


def _lock(session: Session) -> Worker:
    s001 = _s001(session)
    for n in range(MAX_WRONG_PINS):
        with pytest.raises(pins.PinRefused):
            pins.check_act_pin(session, s001, "000000", f"seal-{n}", "kiosk:K1")
    session.commit()
    return s001


def test_hr_sees_every_lock_and_unlocks_with_the_form(
    app: Flask, session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient],
    csrf_token: Callable[..., str]
) -> None:
    client = login_as("admin")
    empty = client.get("/admin/pin-locks").get_data(as_text=True)
    assert 'id="pin-locks"' not in empty and "S001" not in empty
    s001 = _lock(session)
    epoch = s001.pin_epoch
    page = client.get("/admin/pin-locks").get_data(as_text=True)
    assert 'id="pin-locks"' in page and "S001" in page and "已锁定" in page
    worker_page = client.get("/admin/workers/S001").get_data(as_text=True)
    assert 'id="pin-locked"' in worker_page and "/admin/pin-locks" in worker_page

    # Without the form's token nothing happens; with it, S001 may act again.
    refused = client.post("/admin/pin-locks/S001/unlock", data={})
    assert refused.status_code == 400
    session.expire_all()
    assert _s001(session).pin_locked_at is not None
    token = csrf_token(client, "/admin/pin-locks")
    done = client.post("/admin/pin-locks/S001/unlock", data={"csrf_token": token},
                       follow_redirects=True)
    assert done.status_code == 200 and "S001" in done.get_data(as_text=True)
    session.expire_all()
    s001 = _s001(session)
    assert (s001.pin_failures, s001.pin_locked_at, s001.pin_epoch) == (0, None, epoch + 1)
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "worker.pin_unlock")).one()
    assert (entry.actor, entry.entity_id) == ("user:admin", str(s001.id))
    assert 'id="pin-locks"' not in client.get("/admin/pin-locks").get_data(as_text=True)
    assert 'id="pin-locked"' not in client.get("/admin/workers/S001").get_data(as_text=True)


def test_pins_to_renew_are_listed_with_a_way_to_renew_them(
    session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient]
) -> None:
    client = login_as("admin")
    assert 'id="pin-renew"' not in client.get("/admin/pin-locks").get_data(as_text=True)
    _s001(session).pin_digits = 4
    session.commit()
    page = client.get("/admin/pin-locks").get_data(as_text=True)
    assert 'id="pin-renew"' in page and "/admin/workers/S001/edit" in page
    assert "设置新 PIN" in page


def test_only_an_admin_opens_the_pin_locks(
    session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient]
) -> None:
    _lock(session)
    for who in ("sup1", "view1"):
        assert login_as(who).get("/admin/pin-locks").status_code == 403
        assert login_as(who).post("/admin/pin-locks/S001/unlock").status_code in (400, 403)
    session.expire_all()
    assert _s001(session).pin_locked_at is not None


def test_a_tapped_card_is_given_from_the_badges_page_and_no_page_shows_a_digest(
    app: Flask, session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    client = login_as("admin")
    a002 = session.scalars(select(Worker).where(Worker.code == "A002")).one()
    session.add(Badge(worker=a002, kind="card", digest=BadgeDigest.LEGACY,
                      credential_hash=legacy_card_digest("0A0B0C0D")))
    session.commit()
    page = client.get("/admin/badges").get_data(as_text=True)
    taps = client.get("/admin/badges/taps?kiosk=K1").get_data(as_text=True)
    assert 'id="taps"' in page and 'id="taps"' in taps
    assert "尚未在更新后刷卡" in page  # the legacy card, named for what it means to HR
    secrets = [UNKNOWN_CARD, TEST_KEYS.card_digest(UNKNOWN_CARD),
               TEST_KEYS.card_digest(PLANT_CARD), legacy_card_digest("0A0B0C0D")]
    for secret in secrets:
        assert secret[:8].upper() not in (page + taps).upper()

    tap_id = int(taps.split("/admin/badges/taps/")[1].split("?")[0].split('"')[0])
    client.post(f"/admin/badges/taps/{tap_id}", data={"worker": "A003"})
    session.expire_all()
    given = session.scalars(select(Badge).where(
        Badge.credential_hash == TEST_KEYS.card_digest(UNKNOWN_CARD))).one()
    assert (given.worker.code, given.digest) == ("A003", BadgeDigest.KEYED)
    assert 'id="taps"' not in client.get("/admin/badges/taps").get_data(as_text=True)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "badge.assign")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.after == {"worker_id": given.worker_id, "kind": "card"}

    # A card typed in is digested with the server's own site key.
    client.post("/admin/badges/card", data={"worker": "A003", "uid": "de:ad:be:ef"})
    keys = app.extensions["shopfloor.keys"]
    typed = session.scalars(select(Badge).where(
        Badge.credential_hash == keys.card_digest("DEADBEEF"))).one()
    assert typed.worker.code == "A003"
