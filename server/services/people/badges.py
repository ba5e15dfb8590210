"""Badges: give a worker an RFID/NFC card or a printed QR badge.

Only a digest is stored: sha256 of the card's upper-case hex UID, or of the QR secret. A
kiosk hashes what its reader sees and looks the digest up in its roster, so neither the
database nor a kiosk's cache holds a credential that could be copied onto a new badge.
A QR secret is random (192 bits) and shown once, to print.
"""

from __future__ import annotations

import io

import qrcode
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Badge, BadgeKind, Worker
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
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
           after={"worker": worker.code, "kind": kind.value, "hash": digest})
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
