"""Workers as HR keeps them: search, create, edit, deactivate, photos, and a worker's page.

`scope` is the set of workshop ids a reader may see (a supervisor's own), or None for all.
A supervisor's PIN is kept as an argon2 hash, its length and its 6-bit typo check (the
only part a kiosk is sent, shopfloor_trust/pins.py). A new PIN has 6 to 8 digits
(`NEW_PIN_DIGITS`); setting one starts the count of wrong PINs over, lifts a lock and
counts `pin_epoch` up, so kiosks forget their own counts (people/pins.py).
Photos are re-encoded to a small JPEG (which drops anything else a file carried) and kept
in `<data dir>/photos`, named by worker code and content hash.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from server.models import (
    Appeal,
    Event,
    Language,
    PointCategory,
    PointEntry,
    Role,
    User,
    Worker,
    Workshop,
)
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.events.kinds import TROUBLE_KINDS
from server.services.images import normalised_jpeg
from server.services.production.records import CODE_PATTERN
from server.services.refusals import N_
from server.services.security import hash_secret
from shopfloor_trust.pins import NEW_PIN_DIGITS, pin_check

PAGE_SIZE = 50
CODE = re.compile(CODE_PATTERN)
PHOTO_SIZE = 400
MIN_PIN, MAX_PIN = NEW_PIN_DIGITS
Scope = Collection[int] | None


@dataclass(frozen=True)
class WorkerForm:
    code: str
    name: str
    workshop: str
    role: Role
    language: Language
    pin: str | None = None


def workshops(session: Session, scope: Scope = None) -> list[Workshop]:
    query = select(Workshop).order_by(Workshop.code)
    if scope is not None:
        query = query.where(Workshop.id.in_(scope))
    return list(session.scalars(query))


def _scoped(query: Select[Any], scope: Scope) -> Select[Any]:
    return query if scope is None else query.where(Worker.workshop_id.in_(scope))


def search(session: Session, text: str = "", workshop: str = "", status: str = "active",
           scope: Scope = None, page: int = 1) -> tuple[list[Worker], int]:
    """One page of workers matching code or name, and how many match in all."""
    query = _scoped(select(Worker).join(Workshop), scope)
    if text.strip():
        like = f"%{text.strip()}%"
        query = query.where(or_(Worker.code.ilike(like), Worker.name.ilike(like)))
    if workshop:
        query = query.where(Workshop.code == workshop)
    if status in ("active", "inactive"):
        query = query.where(Worker.active.is_(status == "active"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Worker.code).offset((max(page, 1) - 1) * PAGE_SIZE)
                           .limit(PAGE_SIZE))
    return list(rows), total


def get_worker(session: Session, code: str, scope: Scope = None) -> Worker:
    worker = session.scalars(_scoped(select(Worker).where(Worker.code == code), scope)).first()
    if worker is None:
        raise NotFound(f"no worker {code!r}")
    return worker


def _workshop(session: Session, code: str) -> Workshop:
    found = session.scalars(select(Workshop).where(Workshop.code == code)).first()
    if found is None:
        raise InvalidInput(f"workshop: no workshop {code!r}")
    return found


def _state(worker: Worker) -> dict[str, Any]:
    """What the audit log keeps of a worker: never the name (services/audit.py)."""
    return {"workshop": worker.workshop.code, "role": worker.role.value,
            "language": worker.language.value, "active": worker.active,
            "has_pin": worker.pin_hash is not None}


def _checked_pin(form: WorkerForm) -> str | None:
    """The form's new PIN, if it gives one that new PINs may be."""
    if not form.pin:
        return None
    if not form.pin.isdigit() or not MIN_PIN <= len(form.pin) <= MAX_PIN:
        raise InvalidInput(f"pin: {MIN_PIN} to {MAX_PIN} digits")
    return form.pin


def _set_pin(worker: Worker, pin: str | None) -> bool:
    """Keep a new PIN (None: no PIN) on the worker; True when a lock or a count of wrong
    PINs was lifted with it."""
    lifted = bool(worker.pin_failures) or worker.pin_locked_at is not None
    worker.pin_hash = hash_secret(pin) if pin is not None else None
    worker.pin_digits = len(pin) if pin is not None else None
    worker.pin_check = pin_check(worker.code, pin) if pin is not None else None
    worker.pin_failures, worker.pin_locked_at = 0, None
    worker.pin_epoch = (worker.pin_epoch or 0) + 1
    return lifted


def create_worker(session: Session, form: WorkerForm, actor: str) -> Worker:
    code, name = form.code.strip(), form.name.strip()
    if not CODE.fullmatch(code):
        raise InvalidInput("code: 1 to 32 letters A-Z and digits, then also _ . - "
                           "(as an import takes them)")
    if not name or len(name) > 100:
        raise InvalidInput("name: 1 to 100 characters")
    if session.scalar(select(Worker.id).where(Worker.code == code)):
        raise Conflict(f"code: worker {code!r} already exists")
    pin = _checked_pin(form)
    worker = Worker(code=code, name=name, workshop=_workshop(session, form.workshop),
                    role=form.role, language=form.language)
    if pin is not None and form.role is Role.SUPERVISOR:
        _set_pin(worker, pin)
    session.add(worker)
    session.flush()
    record(session, actor, "worker.create", "worker", worker.id, after=_state(worker))
    return worker


def update_worker(session: Session, code: str, form: WorkerForm, actor: str) -> Worker:
    worker = get_worker(session, code)
    before, old_name = _state(worker), worker.name
    name = form.name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name: 1 to 100 characters")
    worker.name, worker.role, worker.language = name, form.role, form.language
    worker.workshop = _workshop(session, form.workshop)
    pin = _checked_pin(form)
    lifted = False
    if worker.role is not Role.SUPERVISOR:
        if worker.pin_hash is not None or worker.pin_check is not None:
            lifted = _set_pin(worker, None)
        pin = None
    elif pin is not None:
        lifted = _set_pin(worker, pin)
    after = _state(worker)
    if after != before or pin is not None or name != old_name:
        record(session, actor, "worker.update", "worker", worker.id, before=before,
               after={**after, "name_changed": name != old_name,
                      "pin_changed": pin is not None,
                      **({"pin_unlocked": True} if lifted else {})})
    return worker


def set_active(session: Session, code: str, active: bool, actor: str) -> Worker:
    worker = get_worker(session, code)
    if worker.active != active:
        worker.active = active
        record(session, actor, "worker.activate" if active else "worker.deactivate",
               "worker", worker.id, before={"active": not active}, after={"active": active})
    return worker


def save_photo(session: Session, code: str, data: bytes, photo_dir: Path,
               actor: str) -> Worker:
    worker = get_worker(session, code)
    jpeg = normalised_jpeg(data, PHOTO_SIZE, N_("photo"))
    name = f"{code}-{hashlib.sha256(jpeg).hexdigest()[:12]}.jpg"
    photo_dir.mkdir(parents=True, exist_ok=True)
    (photo_dir / name).write_bytes(jpeg)
    before = worker.photo_path
    # Relative to the data folder (photo_dir's parent): the kiosk API and the wall read it so.
    worker.photo_path = (photo_dir / name).relative_to(photo_dir.parent).as_posix()
    # That the photo changed, not its file (named by the worker's code)
    record(session, actor, "worker.photo", "worker", worker.id,
           before={"photo": before is not None}, after={"photo": True})
    return worker


def photo_file(worker: Worker, photo_dir: Path) -> Path | None:
    if not worker.photo_path:
        return None
    path = photo_dir / Path(worker.photo_path).name
    return path if path.is_file() else None


# --- a worker's page --------------------------------------------------------------------


def point_history(session: Session, worker: Worker, limit: int = 100) -> list[dict[str, Any]]:
    """Point entries newest first, with who gave or decided each."""
    giver, decider = aliased(Worker), aliased(Worker)
    giver_user, decider_user = aliased(User), aliased(User)
    rows = session.execute(
        select(PointEntry, PointCategory, giver.name, giver_user.username, decider.name,
               decider_user.username)
        .outerjoin(PointCategory, PointEntry.category_id == PointCategory.id)
        .outerjoin(giver, PointEntry.given_by_worker_id == giver.id)
        .outerjoin(giver_user, PointEntry.given_by_user_id == giver_user.id)
        .outerjoin(decider, PointEntry.decided_by_worker_id == decider.id)
        .outerjoin(decider_user, PointEntry.decided_by_user_id == decider_user.id)
        .where(PointEntry.worker_id == worker.id)
        .order_by(PointEntry.date.desc(), PointEntry.id.desc()).limit(limit)
    )
    return [
        {"date": entry.date, "points": entry.points, "status": entry.status.value,
         "category": category, "reason": entry.reason,
         "given_by": given_name or given_user, "decided_by": decided_name or decided_user,
         "note": entry.decision_note}
        for entry, category, given_name, given_user, decided_name, decided_user in rows
    ]


def category_radar(session: Session, worker: Worker, since: date) -> list[dict[str, Any]]:
    """Approved points per category since `since`, every active category listed."""
    sums = dict(session.execute(
        select(PointEntry.category_id, func.sum(PointEntry.points))
        .where(PointEntry.worker_id == worker.id, PointEntry.status == "approved",
               PointEntry.date >= since)
        .group_by(PointEntry.category_id)
    ).all())
    categories = session.scalars(select(PointCategory).where(PointCategory.active.is_(True))
                                 .order_by(PointCategory.level, PointCategory.code))
    return [{"code": c.code, "name": c.name, "name_en": c.name_en, "max": c.points,
             "points": float(sums.get(c.id) or 0)} for c in categories]


def effort_by_day(session: Session, worker: Worker, start: date, end: date,
                  zone: ZoneInfo) -> dict[date, float]:
    """Effort: approved points plus quality issues found and faults reported, per day."""
    effort: dict[date, float] = defaultdict(float)
    for day, points in session.execute(
        select(PointEntry.date, func.sum(PointEntry.points))
        .where(PointEntry.worker_id == worker.id, PointEntry.status == "approved",
               PointEntry.date.between(start, end)).group_by(PointEntry.date)
    ):
        effort[day] += float(points)
    since = _midnight(start, zone)
    until = _midnight(end + timedelta(days=1), zone)
    for (occurred_at,) in session.execute(
        select(Event.occurred_at).where(
            Event.worker_id == worker.id, Event.kind.in_(TROUBLE_KINDS),
            Event.occurred_at >= since, Event.occurred_at < until)
    ):
        effort[occurred_at.astimezone(zone).date()] += 1
    return dict(effort)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def appeals_of(session: Session, worker: Worker) -> list[Appeal]:
    return list(session.scalars(select(Appeal).where(Appeal.worker_id == worker.id)
                                .order_by(Appeal.created_at.desc())))
