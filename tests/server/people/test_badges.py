"""Badges: cards kept only as keyed digests, a card tapped at a kiosk given to a worker,
unknown taps forgotten after a day, a QR sheet printed, a badge revoked; nothing of a card
in the audit log or a log line."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    AuditEntry,
    Badge,
    BadgeDigest,
    BadgeKind,
    Kiosk,
    UnknownTap,
    Worker,
    utcnow,
)
from server.services import Conflict, InvalidInput
from server.services.people import badges as badge_admin
from server.services.people.badges import (
    UNKNOWN_TAP_HOURS,
    assign_card,
    assign_tapped,
    note_unknown_tap,
    unknown_taps,
)
from server.services.security import qr_credential_hash
from shopfloor_trust.cards import legacy_card_digest
from support.factory import PLANT_CARD, TEST_KEYS, UNKNOWN_CARD, Plant
from support.pdf import assert_pdf_text as _assert_pdf_text

KEYS = TEST_KEYS  # the plant's cards are digested with these


def _kiosk(session: Session) -> Kiosk:
    return session.scalars(select(Kiosk).where(Kiosk.name == "K1")).one()


def _worker(session: Session, code: str) -> Worker:
    return session.scalars(select(Worker).where(Worker.code == code)).one()


def _tap(session: Session, number: str | None = None, *, kind: str = "card",
         digest: str | None = None) -> Worker | None:
    return note_unknown_tap(session, KEYS, _kiosk(session), kind=kind, number=number,
                            digest=digest, event_uuid="00000000-0000-4000-8000-000000000001",
                            at=utcnow())


def _legacy_badge(session: Session, code: str, number: str) -> Badge:
    """A card enrolled before keyed digests, as migration 0007 left it."""
    badge = Badge(worker=_worker(session, code), kind=BadgeKind.CARD,
                  credential_hash=legacy_card_digest(number), digest=BadgeDigest.LEGACY)
    session.add(badge)
    session.flush()
    return badge


def test_a_tapped_card_is_given_and_a_sheet_printed(session: Session, plant: Plant,
                                                    tmp_path: Path) -> None:
    taps = unknown_taps(session, "K1")
    assert [(t.kiosk, t.kind, t.known_as) for t in taps] == [("K1", "card", None)]
    badge = assign_tapped(session, taps[0].tap_id, "A002", "test")
    assert badge.worker.code == "A002" and badge.digest is BadgeDigest.KEYED
    assert badge.credential_hash == KEYS.card_digest(UNKNOWN_CARD)
    assert unknown_taps(session, "K1") == []
    assert session.scalars(select(UnknownTap)).all() == [], "the number is no longer kept"
    pdf = badge_admin.badge_sheet(session, ["A002", "A003"], tmp_path, "test")
    _assert_pdf_text(pdf, "李四")
    assert len(session.scalars(select(Badge).where(Badge.kind == "qr")).all()) == 2
    badge_admin.revoke_badge(session, badge.id, "test")
    assert badge.revoked_at is not None
    assert _tap(session, UNKNOWN_CARD) is None  # a revoked card is unknown again
    assert unknown_taps(session, "K1")[0].known_as == "A002"


def test_cards_are_kept_as_keyed_digests_and_a_card_has_one_holder(session: Session,
                                                                  plant: Plant) -> None:
    a001 = session.scalars(select(Badge).where(Badge.kind == "card")).one()
    assert a001.credential_hash == KEYS.card_digest("04A23B1C") != legacy_card_digest(PLANT_CARD)
    assert a001.digest is BadgeDigest.KEYED
    assert assign_card(session, KEYS, "A001", "04a23b1c", "test") is a001  # the same card
    with pytest.raises(Conflict, match="already belongs to worker A001"):
        assign_card(session, KEYS, "A002", "04 A2 3B 1C", "test")
    with pytest.raises(InvalidInput, match=r"not a card number in hex \(3 characters\)"):
        assign_card(session, KEYS, "A002", "XYZ", "test")


def test_a_legacy_card_given_out_again_takes_a_keyed_digest(session: Session,
                                                           plant: Plant) -> None:
    old = _legacy_badge(session, "A003", "0A0B0C0D")
    old.revoked_at = utcnow()
    badge = assign_card(session, KEYS, "A002", "0a:0b:0c:0d", "test")
    assert badge.id == old.id and badge.worker.code == "A002" and badge.revoked_at is None
    assert (badge.credential_hash, badge.digest) == (KEYS.card_digest("0A0B0C0D"),
                                                     BadgeDigest.KEYED)
    assert session.scalars(select(Badge).where(
        Badge.credential_hash == legacy_card_digest("0A0B0C0D"))).first() is None


def test_an_unknown_tap_finds_a_known_card_or_is_kept_for_hr(session: Session,
                                                             plant: Plant) -> None:
    a001 = _worker(session, "A001")
    kept_before = len(session.scalars(select(UnknownTap)).all())
    # A kiosk with a stale roster: the card is A001's after all; nothing is kept.
    assert _tap(session, "04a23b1c") is a001
    # A card enrolled before keyed digests: recognised once, and upgraded for good.
    legacy = _legacy_badge(session, "A002", "11223344")
    assert _tap(session, "11:22:33:44") is _worker(session, "A002")
    assert (legacy.credential_hash, legacy.digest) == (KEYS.card_digest("11223344"),
                                                       BadgeDigest.KEYED)
    upgrade = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "badge.upgrade")).one()
    assert upgrade.after == {"worker_id": legacy.worker_id, "kind": "card", "keyed": True}
    # A kiosk from before keyed digests sends a card's sha256: a legacy badge still works,
    # an unknown card is not kept (nothing keyed can be made without its number).
    _legacy_badge(session, "A003", "55667788")
    assert _tap(session, digest=legacy_card_digest("55667788")) is _worker(session, "A003")
    assert _tap(session, digest=legacy_card_digest("99AABBCC")) is None
    assert _tap(session, digest=KEYS.card_digest("04A23B1C")) is None, \
        "a keyed digest is never taken as a card's sha256"
    assert len(session.scalars(select(UnknownTap)).all()) == kept_before
    # Unknown: kept with its number (HR gives it out) and keyed digest; a QR with its hash.
    assert _tap(session, "de:ad:be:ef") is None
    assert _tap(session, kind="qr", digest=qr_credential_hash("stray")) is None
    kept = session.scalars(select(UnknownTap).order_by(UnknownTap.id.desc()).limit(2)).all()
    assert [(t.kind, t.number, t.digest) for t in kept] == [
        ("qr", None, qr_credential_hash("stray")),
        ("card", "DEADBEEF", KEYS.card_digest("DEADBEEF"))]
    # A number that is no card number is refused without repeating it.
    with pytest.raises(ValueError, match=r"^not a card number in hex \(5 characters\)$"):
        _tap(session, "12;34")


def test_an_inactive_workers_card_is_not_let_in(session: Session, plant: Plant) -> None:
    _worker(session, "A001").active = False
    assert _tap(session, PLANT_CARD) is None


def test_a_tapped_qr_badge_is_given_as_a_qr_badge(session: Session, plant: Plant) -> None:
    _tap(session, kind="qr", digest=qr_credential_hash("printed"))
    tap = next(t for t in unknown_taps(session, "K1") if t.kind == "qr")
    badge = assign_tapped(session, tap.tap_id, "A003", "test")
    assert (badge.kind.value, badge.digest, badge.credential_hash) == (
        "qr", BadgeDigest.SHA256, qr_credential_hash("printed"))


def test_unknown_taps_are_forgotten_after_a_day(session: Session, plant: Plant) -> None:
    now = utcnow()
    kiosk = _kiosk(session)
    for hours in (UNKNOWN_TAP_HOURS + 1, UNKNOWN_TAP_HOURS - 1):
        session.add(UnknownTap(kiosk_id=kiosk.id, kind="card", number=f"0A{hours:02X}",
                               digest=f"{hours:064x}", seen_at=now - timedelta(hours=hours)))
    session.commit()

    def numbers() -> set[str | None]:
        return set(session.scalars(select(UnknownTap.number)))

    assert f"0A{UNKNOWN_TAP_HOURS + 1:02X}" in numbers()
    assert [t.kind for t in unknown_taps(session)] == ["card"]  # reading forgets it
    session.commit()
    assert numbers() == {UNKNOWN_CARD, f"0A{UNKNOWN_TAP_HOURS - 1:02X}"}
    # Writing forgets too: once the other one is a day old, the next tap takes it away.
    young = session.scalars(select(UnknownTap).where(UnknownTap.number != UNKNOWN_CARD)).one()
    young.seen_at = now - timedelta(hours=UNKNOWN_TAP_HOURS, minutes=1)
    session.commit()
    assert _tap(session, "0bad") is None
    assert numbers() == {UNKNOWN_CARD, "0BAD"}
    # ... and HR's list shows the last ten minutes only.
    for tap in session.scalars(select(UnknownTap)):
        tap.seen_at = now - timedelta(minutes=11)
    assert unknown_taps(session, "K1", now=now) == []
    with pytest.raises(badge_admin.NotFound, match="24 hours"):
        assign_tapped(session, 10**6, "A001", "test")


def test_no_card_number_or_digest_reaches_the_audit_log_or_a_log_line(
    session: Session, plant: Plant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    numbers = ("0A1B2C3D", "44556677", "8899AABB", UNKNOWN_CARD)
    _legacy_badge(session, "A003", numbers[2])
    assign_card(session, KEYS, "A002", numbers[0], "test")
    assert _tap(session, numbers[1]) is None
    assert _tap(session, numbers[2]) is not None  # upgraded
    assign_tapped(session, unknown_taps(session, "K1")[0].tap_id, "A001", "test")
    session.commit()

    audit = json.dumps([[e.action, e.before, e.after]
                        for e in session.scalars(select(AuditEntry))]).upper()
    assigned = [e.after for e in session.scalars(
        select(AuditEntry).where(AuditEntry.action == "badge.assign"))]
    assert assigned and all(set(a or {}) == {"worker_id", "kind"} for a in assigned)
    logged = caplog.text.upper()
    for number in numbers:
        for secret in (number, KEYS.card_digest(number), legacy_card_digest(number)):
            for text in (audit, logged):
                assert secret.upper()[:8] not in text, secret
