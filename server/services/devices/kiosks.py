"""Kiosks: add one, enrol it with a one-time code, list the fleet, revoke one.

HR adds a kiosk and gets a short one-time code (valid for an hour) to type or scan at the
kiosk; the kiosk trades it for a device token. Both are stored only as sha256 digests.
Revoking clears the token digest, so the very next request with that token is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import EnrolmentCode, Kiosk, Workshop, utcnow
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.devices.tokens import Unauthenticated
from server.services.security import new_token, token_digest

CODE_LIFETIME = timedelta(hours=1)
# No 0/O, 1/I: the code may be read aloud or typed on a touch screen.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_GROUPS, CODE_GROUP_LENGTH = 3, 4  # 60 random bits, for a code that lives an hour


@dataclass(frozen=True)
class IssuedCode:
    kiosk: Kiosk
    code: str
    expires_at: datetime


def enrolment_payload(server_id: str, fingerprint_b32: str, code: str) -> str:
    """What HR's enrolment QR holds: ``SFK1:<server id>:<certificate fingerprint>:<code>``,
    all in QR alphanumeric characters (upper case, digits, ``:`` and ``-``) to keep the
    code small. The kiosk pins the certificate with that fingerprint (kiosk/link/trust.py)."""
    return f"SFK1:{server_id.upper()}:{fingerprint_b32}:{code}"


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _new_code() -> str:
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def _workshops(session: Session, codes: list[str]) -> list[Workshop]:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if not wanted:
        raise InvalidInput("a kiosk needs at least one workshop")
    found = list(session.scalars(select(Workshop).where(Workshop.code.in_(wanted))))
    missing = sorted(set(wanted) - {w.code for w in found})
    if missing:
        raise NotFound(f"no workshop {', '.join(missing)}")
    return sorted(found, key=lambda w: w.code)


def get_kiosk(session: Session, name: str) -> Kiosk:
    kiosk = session.scalars(select(Kiosk).where(Kiosk.name == name)).first()
    if kiosk is None:
        raise NotFound(f"no kiosk named {name!r}")
    return kiosk


def add_kiosk(session: Session, name: str, workshops: list[str], actor: str) -> IssuedCode:
    """A new kiosk serving `workshops`, with its first enrolment code."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("a kiosk name must have 1 to 64 characters")
    if session.scalar(select(Kiosk.id).where(Kiosk.name == name)):
        raise Conflict(f"a kiosk named {name!r} already exists; `kiosk code {name}` gives "
                       f"it a new enrolment code")
    kiosk = Kiosk(name=name, workshops=_workshops(session, workshops))
    session.add(kiosk)
    session.flush()
    record(session, actor, "kiosk.create", "kiosk", name,
           after={"workshops": [w.code for w in kiosk.workshops]})
    return issue_code(session, name, actor)


def issue_code(
    session: Session, name: str, actor: str, now: datetime | None = None
) -> IssuedCode:
    """A fresh one-time code for the kiosk; earlier unused codes stop working."""
    kiosk = get_kiosk(session, name)
    now = now or utcnow()
    for old in session.scalars(
        select(EnrolmentCode).where(EnrolmentCode.kiosk_id == kiosk.id,
                                    EnrolmentCode.used_at.is_(None))
    ):
        session.delete(old)
    code = _new_code()
    expires_at = now + CODE_LIFETIME
    session.add(EnrolmentCode(kiosk_id=kiosk.id, code_hash=token_digest(normalise_code(code)),
                              expires_at=expires_at))
    session.flush()
    record(session, actor, "kiosk.code", "kiosk", name,
           after={"expires_at": expires_at.isoformat()})
    return IssuedCode(kiosk, code, expires_at)


def enroll(session: Session, code: str, now: datetime | None = None) -> tuple[Kiosk, str]:
    """Trade a valid code for a new device token; the code is spent and any older token of
    this kiosk stops working."""
    now = now or utcnow()
    refused = Unauthenticated("the enrolment code is unknown, used or expired")
    entry = session.scalars(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == token_digest(normalise_code(code)))
    ).first()
    if entry is None or entry.used_at is not None or entry.expires_at <= now:
        raise refused
    # Spend the code with a conditional UPDATE, so two kiosks racing with one code cannot
    # both win, on SQLite as on PostgreSQL.
    spent = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.id == entry.id, EnrolmentCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise refused
    kiosk = entry.kiosk
    token = new_token()
    kiosk.token_hash = token_digest(token)
    kiosk.enrolled_at = now
    kiosk.revoked_at = None
    record(session, f"kiosk:{kiosk.name}", "kiosk.enroll", "kiosk", kiosk.name)
    return kiosk, token


def revoke_kiosk(session: Session, name: str, actor: str, now: datetime | None = None) -> Kiosk:
    kiosk = get_kiosk(session, name)
    now = now or utcnow()
    if kiosk.revoked_at is None:
        kiosk.revoked_at = now
        kiosk.token_hash = None
        for old in session.scalars(
            select(EnrolmentCode).where(EnrolmentCode.kiosk_id == kiosk.id,
                                        EnrolmentCode.used_at.is_(None))
        ):
            session.delete(old)
        record(session, actor, "kiosk.revoke", "kiosk", name)
    return kiosk


def kiosk_info(kiosk: Kiosk) -> dict[str, Any]:
    """A kiosk as people and kiosks see it; never its token digest."""
    if kiosk.revoked_at is not None:
        state = "revoked"
    elif kiosk.token_hash is not None:
        state = "enrolled"
    else:
        state = "waiting for enrolment"
    return {
        "name": kiosk.name,
        "workshops": [w.code for w in kiosk.workshops],
        "state": state,
        "enrolled_at": _iso(kiosk.enrolled_at),
        "last_seen": _iso(kiosk.last_seen),
        "version": kiosk.version,
        "queue_depth": kiosk.queue_depth,
        "revoked_at": _iso(kiosk.revoked_at),
    }


def list_kiosks(session: Session) -> list[dict[str, Any]]:
    return [kiosk_info(k) for k in session.scalars(select(Kiosk).order_by(Kiosk.name))]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
