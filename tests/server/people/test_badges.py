"""Badges: a card tapped at a kiosk is given to a worker, a QR sheet printed, a badge
revoked."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Badge
from server.services.people import badges as badge_admin
from support.factory import Plant
from support.pdf import assert_pdf_text as _assert_pdf_text


def test_a_tapped_card_is_given_and_a_sheet_printed(app: Flask, session: Session,
                                                    plant: Plant, tmp_path: Path) -> None:
    taps = badge_admin.unknown_taps(session, "K1")
    assert len(taps) == 1
    badge = badge_admin.assign_tapped(session, taps[0].event_id, "A002", "test")
    assert badge.worker.code == "A002" and badge.credential_hash == "ab" * 32
    assert badge_admin.unknown_taps(session, "K1") == []
    pdf = badge_admin.badge_sheet(session, ["A002", "A003"], tmp_path, "test")
    _assert_pdf_text(pdf, "李四")
    assert len(session.scalars(select(Badge).where(Badge.kind == "qr")).all()) == 2
    badge_admin.revoke_badge(session, badge.id, "test")
    assert badge.revoked_at is not None
    assert badge_admin.unknown_taps(session, "K1")[0].known_as == "A002"
