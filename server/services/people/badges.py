"""Badges: give a worker an RFID/NFC card or a printed QR badge.

Only a digest is stored: sha256 of the card's upper-case hex UID, or of the QR secret. A
kiosk hashes what its reader sees and looks the digest up in its roster, so neither the
database nor a kiosk's cache holds a credential that could be copied onto a new badge.
A QR secret is random (192 bits) and shown once, to print.

HR's side: the list, revoking, a card tapped at a kiosk, badge sheets. "Tap at kiosk X
now": a kiosk reports a badge it does not know as a `badge_in` event without a worker,
carrying the badge's digest. HR picks the tap from the list of recent
unknown taps at that kiosk and gives the card to a worker, so nobody has to read a UID
off a card. Badge sheets issue a fresh QR badge per worker (a QR secret is shown only
once) and lay them out on A4 with photo and name, ready to print and cut.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import qrcode
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Badge, BadgeKind, Event, Kiosk, Worker, utcnow
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.events.kinds import EventKind
from server.services.people.workers import get_worker, photo_file
from server.services.reports.pdf import new_document, output
from server.services.security import card_credential_hash, new_token, qr_credential_hash

QR_SECRET_BYTES = 24


def _worker(session: Session, code: str) -> Worker:
    worker = session.scalars(select(Worker).where(Worker.code == code)).first()
    if worker is None:
        raise NotFound(f"no worker {code!r}")
    return worker


def _assign(session: Session, worker: Worker, kind: BadgeKind, digest: str,
            actor: str) -> Badge:
    badge = session.scalars(select(Badge).where(Badge.credential_hash == digest)).first()
    if badge is not None and badge.revoked_at is None:
        if badge.worker_id == worker.id:
            return badge
        raise Conflict(f"this badge already belongs to worker {badge.worker.code}")
    if badge is None:
        badge = Badge(worker=worker, kind=kind, credential_hash=digest)
        session.add(badge)
    else:  # a revoked badge handed out again
        badge.worker, badge.revoked_at = worker, None
    session.flush()
    record(session, actor, "badge.assign", "badge", badge.id,
           after={"worker_id": worker.id, "kind": kind.value, "hash": digest})
    return badge


def assign_card(session: Session, worker_code: str, uid: str, actor: str) -> Badge:
    """Give the card with hex `uid` (any case, ':' and spaces ignored) to the worker."""
    try:
        digest = card_credential_hash(uid)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return _assign(session, _worker(session, worker_code), BadgeKind.CARD, digest, actor)


def assign_qr(session: Session, worker_code: str, actor: str) -> tuple[Badge, str]:
    """A new QR badge; returns the secret to print. It cannot be shown again."""
    worker = _worker(session, worker_code)
    secret = new_token(QR_SECRET_BYTES)
    return _assign(session, worker, BadgeKind.QR, qr_credential_hash(secret), actor), secret


def qr_png(secret: str) -> bytes:
    """The QR badge as a PNG, for the CLI's --png and the admin's badge sheets."""
    image = qrcode.make(secret, border=2, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


TAP_WINDOW = timedelta(minutes=10)
SHEET_COLUMNS, SHEET_ROWS = 3, 4
CARD_W, CARD_H = 60.0, 66.0


def list_badges(session: Session, worker_code: str = "",
                include_revoked: bool = False) -> list[Badge]:
    query = select(Badge).join(Worker).order_by(Worker.code, Badge.created_at.desc())
    if worker_code:
        query = query.where(Worker.code == worker_code)
    if not include_revoked:
        query = query.where(Badge.revoked_at.is_(None))
    return list(session.scalars(query))


def revoke_badge(session: Session, badge_id: int, actor: str,
                 now: datetime | None = None) -> Badge:
    badge = session.get(Badge, badge_id)
    if badge is None:
        raise NotFound(f"no badge {badge_id}")
    if badge.revoked_at is None:
        badge.revoked_at = now or utcnow()
        record(session, actor, "badge.revoke", "badge", badge.id,
               after={"worker_id": badge.worker_id, "kind": badge.kind.value})
    return badge


@dataclass(frozen=True)
class Tap:
    event_id: int
    kiosk: str
    at: datetime
    kind: str
    known_as: str | None


def unknown_taps(session: Session, kiosk_name: str | None = None,
                 now: datetime | None = None) -> list[Tap]:
    """Taps of badges no worker has, in the last ten minutes, newest first. A badge given
    out meanwhile drops off the list; a revoked one names its last holder."""
    since = (now or utcnow()) - TAP_WINDOW
    query = (select(Event, Kiosk.name).join(Kiosk, Event.kiosk_id == Kiosk.id)
             .where(Event.kind == EventKind.BADGE_IN.value, Event.worker_id.is_(None),
                    Event.received_at >= since)
             .order_by(Event.occurred_at.desc()))
    if kiosk_name:
        query = query.where(Kiosk.name == kiosk_name)
    taps = []
    for event, name in session.execute(query):
        digest = (event.payload or {}).get("badge_hash")
        if not digest:
            continue
        owner = session.scalars(select(Badge).where(Badge.credential_hash == digest)).first()
        if owner is not None and owner.revoked_at is None:
            continue
        taps.append(Tap(event.id, name, event.occurred_at,
                        (event.payload or {}).get("badge_kind") or "card",
                        owner.worker.code if owner is not None else None))
    return taps


def assign_tapped(session: Session, event_id: int, worker_code: str, actor: str) -> Badge:
    """Give the card of an unknown tap to a worker (a revoked card may be handed out again)."""
    event = session.get(Event, event_id)
    digest = (event.payload or {}).get("badge_hash") if event is not None else None
    if (event is None or event.kind != EventKind.BADGE_IN or event.worker_id is not None
            or not digest):
        raise NotFound("that tap is not an unknown badge")
    worker = get_worker(session, worker_code)
    if not worker.active:
        raise InvalidInput(f"worker {worker_code} is not active")
    badge = session.scalars(select(Badge).where(Badge.credential_hash == digest)).first()
    if badge is not None and badge.revoked_at is None:
        raise Conflict(f"this badge already belongs to worker {badge.worker.code}")
    if badge is None:
        badge = Badge(worker=worker, kind=BadgeKind.CARD, credential_hash=digest)
        session.add(badge)
    else:
        badge.worker, badge.revoked_at = worker, None
    session.flush()
    record(session, actor, "badge.assign", "badge", badge.id,
           after={"worker_id": worker.id, "kind": badge.kind.value, "hash": digest,
                  "from_tap": event_id})
    return badge


def badge_sheet(session: Session, worker_codes: list[str], photo_dir: Path,
                actor: str, *, font: str | None = None) -> bytes:
    """A new QR badge for each worker, printed as an A4 PDF: photo, name, code, QR;
    `font` is the configured PDF font (`Config.pdf_font`)."""
    codes = list(dict.fromkeys(c for c in worker_codes if c))
    if not codes:
        raise InvalidInput("choose at least one worker")
    pdf = new_document(font=font)
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, code in enumerate(codes):
        worker = get_worker(session, code)
        _badge, secret = assign_qr(session, code, actor)
        if index % per_page == 0:
            pdf.add_page()
        col, row = index % SHEET_COLUMNS, (index % per_page) // SHEET_COLUMNS
        x, y = 12 + col * (CARD_W + 3), 12 + row * (CARD_H + 3)
        pdf.set_draw_color(180, 180, 180)
        pdf.rect(x, y, CARD_W, CARD_H)
        photo = photo_file(worker, photo_dir)
        if photo is not None:
            pdf.image(str(photo), x=x + 3, y=y + 3, w=22, h=22, keep_aspect_ratio=True)
        pdf.set_xy(x + 27, y + 5)
        pdf.set_font_size(16)
        pdf.multi_cell(CARD_W - 29, 7, worker.name, new_x="LEFT", new_y="NEXT")
        pdf.set_font_size(10)
        pdf.set_x(x + 27)
        pdf.cell(CARD_W - 29, 5, f"{worker.code} · {worker.workshop.name}"[:40])
        pdf.image(qr_png(secret), x=x + (CARD_W - 36) / 2, y=y + 27, w=36, h=36)
    return output(pdf)
