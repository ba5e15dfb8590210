"""Erasing a worker's personal data on request (PIPL), keeping what the factory must keep.

Removed: the name (the worker becomes "已删除 #<id>"), the code (ERASED-<id>), the PIN,
every badge (their digests) and the unknown-card taps of those cards (with the card
number in the tap's event), the photo and every earlier photo file of the code, the
pictures taken with claims, the wrong-PIN seals kept against them. The row stays,
inactive, so scores, snapshots of closed periods, the points ledger and payroll history
keep their numbers under the pseudonym: wherever the name or code was copied as text
(boards and cards of snapshots, which payroll exports read; notices; another worker's
remark `given_by`; a claim's reason) `scrub` replaces it.

The audit chain is left as it is: its entries refer to people by id (services/audit.py),
so `audit verify` still passes, and the erasure is one more entry, with counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import String, Table, delete, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from server.models import Badge, Event, RefusedSeal, UnknownTap, Worker
from server.services import Conflict
from server.services.audit import record
from server.services.people.workers import get_worker
from server.services.privacy.scrub import Replacement, scrub

ERASED_CODE = "ERASED-{id}"
ERASED_NAME = "已删除 #{id}"
_EVENTS = cast(Table, Event.__table__)
_NUMBER_KEYS = ("card_number", "badge_hash")
PHOTO_KEY = "photo_jpeg"


def is_erased(worker: Worker) -> bool:
    return worker.code == ERASED_CODE.format(id=worker.id)


@dataclass
class Erasure:
    worker_id: int
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    # Photo files to delete once the erasure is committed (privacy.remove_files).
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"worker_id": self.worker_id, "code": self.code, "name": self.name,
                "counts": self.counts}


def erase_worker(session: Session, code: str, photo_dir: Path, actor: str) -> Erasure:
    """Erase the worker `code` in the caller's transaction; the caller commits, then
    removes `erasure.files`."""
    worker = get_worker(session, code)
    if is_erased(worker):
        raise Conflict(f"worker {code!r} was already erased")
    new_code, new_name = ERASED_CODE.format(id=worker.id), ERASED_NAME.format(id=worker.id)
    if session.scalar(select(Worker.id).where(Worker.code == new_code)):
        raise Conflict(f"code: another worker already has the code {new_code!r}")
    old_code, old_name = worker.code, worker.name
    counts: dict[str, int] = {}

    badges = list(session.scalars(select(Badge).where(Badge.worker_id == worker.id)))
    digests = [badge.credential_hash for badge in badges]
    taps = list(session.scalars(select(UnknownTap).where(UnknownTap.digest.in_(digests))))
    numbers = [tap.number for tap in taps if tap.number]
    _forget_numbers(session, [tap.event_uuid for tap in taps if tap.event_uuid])
    counts["badges"] = len(badges)
    counts["unknown_taps"] = len(taps)
    for row in (*taps, *badges):
        session.delete(row)
    seals = cast(Table, RefusedSeal.__table__)
    counts["refused_seals"] = session.connection().execute(
        delete(seals).where(seals.c.worker_id == worker.id)).rowcount or 0
    counts["claim_pictures"] = _strip_pictures(session, worker.id)

    files = _photo_files(worker, old_code, photo_dir)
    counts["photos"] = len(files)
    worker.name, worker.code, worker.photo_path, worker.active = new_name, new_code, None, False
    worker.pin_hash = worker.pin_digits = worker.pin_check = worker.pin_locked_at = None
    worker.pin_failures = 0
    worker.pin_epoch = (worker.pin_epoch or 0) + 1
    session.flush()

    changed = scrub(session, [
        Replacement(old_code, new_code, whole=True),
        Replacement(old_name, new_name, name=True),
        *(Replacement(digest, "erased") for digest in digests),
        *(Replacement(number, "erased") for number in numbers),
    ])
    counts["rows_rewritten"] = sum(changed.values())
    record(session, actor, "worker.erase", "worker", worker.id,
           after={"worker_id": worker.id, **counts})
    return Erasure(worker.id, new_code, new_name, counts, files)


def _forget_numbers(session: Session, uuids: list[str]) -> None:
    """The card numbers (and QR digests) in the events of the worker's unknown taps."""
    if not uuids:
        return
    connection = session.connection()
    for ident, payload in connection.execute(select(_EVENTS.c.id, _EVENTS.c.payload)
                                             .where(_EVENTS.c.uuid.in_(uuids))).all():
        if isinstance(payload, dict) and any(key in payload for key in _NUMBER_KEYS):
            connection.execute(update(_EVENTS).where(_EVENTS.c.id == ident).values(
                payload={k: v for k, v in payload.items() if k not in _NUMBER_KEYS}))


def _strip_pictures(session: Session, worker_id: int) -> int:
    connection = session.connection()
    rows = connection.execute(select(_EVENTS.c.id, _EVENTS.c.payload).where(
        _EVENTS.c.worker_id == worker_id,
        sql_cast(_EVENTS.c.payload, String).like(f"%{PHOTO_KEY}%"))).all()
    stripped = 0
    for ident, payload in rows:
        if isinstance(payload, dict) and PHOTO_KEY in payload:
            connection.execute(update(_EVENTS).where(_EVENTS.c.id == ident).values(
                payload={k: v for k, v in payload.items() if k != PHOTO_KEY}))
            stripped += 1
    return stripped


def _photo_files(worker: Worker, code: str, photo_dir: Path) -> list[Path]:
    """The worker's photo and every earlier photo of the code (named `<code>-<hash>.jpg`)."""
    files: set[Path] = set()
    if worker.photo_path:
        files.add(photo_dir / Path(worker.photo_path).name)
    if photo_dir.is_dir():
        files.update(path for path in photo_dir.glob(f"{code}-*.jpg")
                     if path.name[len(code) + 1:-4].isalnum())
    return sorted(path for path in files if path.is_file())
