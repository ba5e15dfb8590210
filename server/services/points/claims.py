"""Point claims waiting for a decision, decided by HR or a supervisor in bulk; and the
point categories HR edits.

A decision from the web is the same as one from a kiosk: the entry's status, who decided,
when and why, each audited as `point.approve` or `point.reject`, and a notice the
worker's kiosk tells until it is seen (points/notices.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    EntryStatus,
    Event,
    LedgerSource,
    PointCategory,
    PointEntry,
    PointLevel,
    User,
    Worker,
    utcnow,
)
from server.services import InvalidInput, NotFound
from server.services.audit import record
from server.services.periods.late import settle_entries
from server.services.pictograms import checked
from server.services.points import ledger, notices
from server.services.points.categories import MAX_CATEGORY_POINTS

Scope = Collection[int] | None


def pending_claims(session: Session, scope: Scope = None) -> list[PointEntry]:
    query = (select(PointEntry).join(Worker, PointEntry.worker_id == Worker.id)
             .where(PointEntry.status == EntryStatus.PENDING)
             .order_by(PointEntry.date, PointEntry.id))
    if scope is not None:
        query = query.where(Worker.workshop_id.in_(scope))
    return list(session.scalars(query))


def with_photo(session: Session, entries: Sequence[PointEntry]) -> set[int]:
    """The ids of the entries whose claim came with a photo."""
    event_ids = {e.event_id: e.id for e in entries if e.event_id is not None}
    if not event_ids:
        return set()
    events = session.scalars(select(Event).where(Event.id.in_(event_ids)))
    return {event_ids[e.id] for e in events if (e.payload or {}).get("photo_jpeg")}


def claim_photo(session: Session, entry_id: int, scope: Scope = None) -> bytes | None:
    """The JPEG a worker took with a claim, if any."""
    entry = _entry(session, entry_id, scope)
    event = session.get(Event, entry.event_id) if entry.event_id else None
    encoded = (event.payload or {}).get("photo_jpeg") if event else None
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _entry(session: Session, entry_id: int, scope: Scope) -> PointEntry:
    entry = session.get(PointEntry, entry_id)
    if entry is None or (scope is not None and entry.worker.workshop_id not in scope):
        raise NotFound(f"no point claim {entry_id}")
    return entry


def decide_claims(session: Session, entry_ids: Sequence[int], approve: bool, note: str,
                  user: User, scope: Scope = None, now: datetime | None = None,
                  *, zone: ZoneInfo) -> int:
    """Approve or reject pending claims; returns how many changed. Claims decided meanwhile
    by someone else are left as they are. A claim dated in a closed period is paid as an
    adjustment in the first open period (periods/late.py)."""
    if not entry_ids:
        raise InvalidInput("choose at least one claim")
    now = now or utcnow()
    status = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
    changed = 0
    approved: list[PointEntry] = []
    for entry_id in sorted(set(entry_ids)):
        entry = _entry(session, entry_id, scope)
        if entry.status is not EntryStatus.PENDING:
            continue
        entry.status = status
        entry.decided_by_user_id = user.id
        entry.decided_at = now
        entry.decision_note = note.strip() or None
        record(session, f"user:{user.username}", f"point.{'approve' if approve else 'reject'}",
               "point_entry", entry.id, before={"status": "pending"},
               after={"status": status.value, "worker_id": entry.worker_id,
                      "points": entry.points, "note": entry.decision_note})
        notices.notify_claim(session, entry)
        ledger.line_for_entry(session, entry, LedgerSource.CLAIM, f"user:{user.username}")
        changed += 1
        if approve:
            approved.append(entry)
    if approved:
        session.flush()
        settle_entries(session, approved, actor=f"user:{user.username}", zone=zone,
                       today=now.astimezone(zone).date(), what="claim approved late")
    return changed


# --- categories -------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryChange:
    name: str
    name_en: str | None
    level: PointLevel
    points: float
    needs_approval: bool
    active: bool
    pictogram: str | None = None  # None: keep the one it has


def list_categories(session: Session) -> list[PointCategory]:
    return list(session.scalars(select(PointCategory).order_by(
        PointCategory.active.desc(), PointCategory.level, PointCategory.code)))


def _category_state(category: PointCategory) -> dict[str, object]:
    return {"name": category.name, "name_en": category.name_en, "level": category.level.value,
            "points": category.points, "needs_approval": category.needs_approval,
            "active": category.active, "pictogram": category.pictogram}


def update_category(session: Session, code: str, change: CategoryChange,
                    actor: str) -> PointCategory:
    category = session.scalars(select(PointCategory).where(PointCategory.code == code)).first()
    if category is None:
        raise NotFound(f"no point category {code!r}")
    if not change.name.strip():
        raise InvalidInput("name: empty")
    if not 0 < change.points <= MAX_CATEGORY_POINTS:
        raise InvalidInput(f"points: above 0 and at most {MAX_CATEGORY_POINTS}")
    picture = checked(change.pictogram, category.pictogram)
    before = _category_state(category)
    category.pictogram = picture
    category.name, category.name_en = change.name.strip(), (change.name_en or "").strip() or None
    category.level, category.points = change.level, change.points
    category.needs_approval, category.active = change.needs_approval, change.active
    after = _category_state(category)
    if after != before:
        record(session, actor, "category.update", "point_category", code, before=before,
               after=after)
    return category
