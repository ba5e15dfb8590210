"""The audit log: every change to scores, points, schemes and people, hash-chained.

Each entry's hash covers its own content and the previous entry's hash, so altering or
deleting a row breaks `verify_chain`. Writers lock the chain head row, which serialises
appends on PostgreSQL as on SQLite. Reading for people (filter and page) is `search`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Setting, utcnow

CHAIN_HEAD_KEY = "audit_chain_head"
GENESIS = "0" * 64


def _entry_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor, action, entity, entity_id,
         before, after],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else json.loads(json.dumps(value, default=str))


_LOCK_HEAD = select(Setting.key).where(Setting.key == CHAIN_HEAD_KEY).with_for_update()
_HEAD = select(Setting).where(Setting.key == CHAIN_HEAD_KEY).with_for_update()


def lock_chain(session: Session) -> None:
    """Take the chain head's lock now, for the rest of the caller's transaction.

    A writer that reads what it is about to change and audit (kiosk production records)
    calls this before reading: concurrent writers then take turns, and each reads what the
    one before it committed, instead of both reading the same state and the later overwriting
    the earlier. `record` takes the same lock, so calling both costs nothing more.
    """
    session.execute(_LOCK_HEAD)


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    head = session.scalars(_HEAD).first()
    if head is None:
        head = Setting(key=CHAIN_HEAD_KEY, value=GENESIS)
        session.add(head)
    at = utcnow()
    ident = None if entity_id is None else str(entity_id)
    before, after = _jsonable(before), _jsonable(after)
    digest = _entry_hash(head.value, at, actor, action, entity, ident, before, after)
    entry = AuditEntry(
        at=at, actor=actor, action=action, entity=entity, entity_id=ident,
        before=before, after=after, prev_hash=head.value, hash=digest,
    )
    session.add(entry)
    head.value = digest
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str | None = None


def verify_chain(session: Session) -> ChainReport:
    prev = GENESIS
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(False, count, entry.id, "an entry before this one is missing "
                               "or was changed")
        expected = _entry_hash(prev, entry.at, entry.actor, entry.action, entry.entity,
                               entry.entity_id, entry.before, entry.after)
        if expected != entry.hash:
            return ChainReport(False, count, entry.id, "this entry was altered")
        prev = entry.hash
    head = session.get(Setting, CHAIN_HEAD_KEY)
    if head is not None and head.value != prev:
        return ChainReport(False, count, None, "the newest entries were deleted")
    return ChainReport(True, count)


# Reading the log: filter and page.

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    since: date | None = None
    until: date | None = None


def search(session: Session, flt: AuditFilter, zone: ZoneInfo,
           page: int = 1) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if flt.actor:
        query = query.where(AuditEntry.actor.ilike(f"%{flt.actor}%"))
    if flt.action:
        query = query.where(AuditEntry.action.ilike(f"{flt.action}%"))
    if flt.entity:
        query = query.where(AuditEntry.entity == flt.entity)
    if flt.entity_id:
        query = query.where(AuditEntry.entity_id == flt.entity_id)
    if flt.since:
        query = query.where(AuditEntry.at >= datetime.combine(flt.since, time(), zone))
    if flt.until:
        query = query.where(
            AuditEntry.at < datetime.combine(flt.until + timedelta(days=1), time(), zone))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.id.desc())
                           .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total


def entities(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))
