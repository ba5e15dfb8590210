"""What a kiosk needs to work offline: its workers, their badges, machines, categories.

A stolen kiosk must give away as little as can be: cards only as their keyed, slow digests
(made with the site key, `ServerKeys.card_digest`; a legacy sha256 digest is never sent),
QR badges as sha256 of their random secret, and of a supervisor's PIN no hash at all,
only its 6-bit typo check (`pin_check`, shopfloor_trust/pins.py), whether HR has locked
their acts after wrong PINs (`pin_locked`) and the count of unlocks (`pin_epoch`, which
makes kiosks forget their own counts of wrong PINs). Whether a PIN is right only the
server knows (people/pins.py). Its ETag is a digest of the content, so a kiosk polling an
unchanged roster costs one query round and no transfer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, selectinload

from server.models import (
    Badge,
    BadgeDigest,
    BadgeKind,
    Kiosk,
    Machine,
    PointCategory,
    Role,
    Worker,
    kiosk_workshops,
)
from server.services import NotFound
from server.services.devices.tokens import Forbidden
from server.services.people import languages
from server.services.production.reasons import list_reasons, reason_dict


def served_workshop_ids(kiosk: Kiosk) -> set[int]:
    return {w.id for w in kiosk.workshops}


def require_workshop(kiosk: Kiosk, workshop_code: str) -> None:
    if workshop_code not in {w.code for w in kiosk.workshops}:
        raise Forbidden(f"this kiosk does not serve workshop {workshop_code!r}")


# Built once: a kiosk asks for its workers' cards many times a minute, and a card it holds
# costs little more than this check (`scorecard_version`).
_SERVED = (select(Worker.id, Worker.workshop_id, Worker.active,
                  exists().where(kiosk_workshops.c.kiosk_id == bindparam("kiosk"),
                                 kiosk_workshops.c.workshop_id == Worker.workshop_id))
           .where(Worker.code == bindparam("code")).limit(1))


def served_worker_ids(session: Session, kiosk_id: int, code: str) -> tuple[int, int]:
    """(id, workshop id) of the worker with `code` if the kiosk `kiosk_id` may serve them,
    in one indexed read and without loading either; 404 and 403 otherwise."""
    if not code.isprintable():  # no code holds control characters; PostgreSQL refuses NUL
        raise NotFound(f"no worker {code!r}")
    row = session.connection().execute(_SERVED, {"kiosk": kiosk_id, "code": code}).first()
    if row is None or not row.active:
        raise NotFound(f"no worker {code!r}")
    if not row[3]:
        raise Forbidden(f"worker {code!r} is not in this kiosk's workshops")
    return row.id, row.workshop_id


def served_worker(session: Session, kiosk: Kiosk, code: str) -> Worker:
    """The worker with `code` if this kiosk may serve them (`served_worker_ids`)."""
    worker = session.get(Worker, served_worker_ids(session, kiosk.id, code)[0])
    assert worker is not None  # just read in this transaction
    return worker


def photo_url(worker: Worker) -> str | None:
    return f"/api/v1/workers/{worker.code}/photo" if worker.photo_path else None


def _sent(badge: Badge) -> bool:
    """An active badge whose digest a kiosk may hold: a card's keyed one, a QR badge's."""
    if badge.revoked_at is not None:
        return False
    if badge.kind is BadgeKind.CARD:
        return badge.digest is BadgeDigest.KEYED
    return badge.digest is not BadgeDigest.LEGACY


def _worker(worker: Worker) -> dict[str, Any]:
    supervisor = worker.role is Role.SUPERVISOR
    return {
        "code": worker.code,
        "name": worker.name,
        "language": worker.language.value,
        "role": worker.role.value,
        "workshop": worker.workshop.code,
        "photo_url": photo_url(worker),
        "badges": sorted(
            ({"kind": b.kind.value, "hash": b.credential_hash}
             for b in worker.badges if _sent(b)),
            key=lambda b: (b["kind"], b["hash"]),
        ),
        "pin_check": worker.pin_check if supervisor else None,
        "pin_locked": supervisor and worker.pin_locked_at is not None,
        "pin_epoch": worker.pin_epoch or 0,
    }


def roster(session: Session, kiosk: Kiosk, *, card_format: str,
           card_reversed: bool) -> dict[str, Any]:
    """Active workers of the kiosk's workshops, their machines, the active categories, and
    how the site's keyboard-wedge readers type a card (the SHOPFLOOR_CARD_FORMAT and
    SHOPFLOOR_CARD_REVERSED settings): the kiosk turns a typed number into the card's bytes
    with the same `shopfloor_trust.cards.card_hex` the import uses."""
    workshop_ids = served_workshop_ids(kiosk)
    workers: Iterable[Worker] = session.scalars(
        select(Worker)
        .where(Worker.workshop_id.in_(workshop_ids), Worker.active.is_(True))
        .options(selectinload(Worker.badges), selectinload(Worker.workshop))
        .order_by(Worker.code)
    )
    machines: Iterable[Machine] = session.scalars(
        select(Machine).where(Machine.workshop_id.in_(workshop_ids))
        .options(selectinload(Machine.workshop)).order_by(Machine.code)
    )
    categories: Iterable[PointCategory] = session.scalars(
        select(PointCategory).where(PointCategory.active.is_(True)).order_by(PointCategory.code)
    )
    return {
        "kiosk": kiosk.name,
        "workshops": [{"code": w.code, "name": w.name}
                      for w in sorted(kiosk.workshops, key=lambda w: w.code)],
        "workers": [_worker(w) for w in workers],
        "machines": [{"code": m.code, "name": m.name, "workshop": m.workshop.code}
                     for m in machines],
        "categories": [
            {"code": c.code, "name": c.name, "name_en": c.name_en, "level": c.level.value,
             "points": c.points, "needs_approval": c.needs_approval, "pictogram": c.pictogram}
            for c in categories
        ],
        "reasons": [reason_dict(r) for r in list_reasons(session, active_only=True)],
        "card_format": {"format": card_format, "reversed": card_reversed},
        # how the kiosks write Cantonese for a yue worker (people/languages.py)
        "yue_script": languages.yue_script(session),
    }


def roster_etag(content: dict[str, Any]) -> str:
    """A strong validator: the same content always gives the same tag."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
