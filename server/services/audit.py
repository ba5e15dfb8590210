"""The audit log: every change to scores, points, schemes and people, hash-chained.

Each entry's hash covers its own content and the previous entry's hash, so altering or
deleting a row breaks `verify_chain`. Writers lock the chain head row, which serialises
appends on PostgreSQL as on SQLite. Reading for people (filter and page) is `search`.

Someone who can write the database can recompute every hash after a change, so the chain
is anchored outside it: an `Anchor` (how many entries, the newest one's id and hash) is
written as a JSON log line `audit_head` after every commit that added entries, into each
backup's manifest, and by `shopfloor-server audit checkpoint`. `verify_chain(session,
anchors)` then also checks that the entry at each anchor's count still has its hash, so
rewritten history, or a chain emptied or cut short, fails. The log line is written after
the commit (a SQLAlchemy `after_commit` hook on the writing session), never for entries a
rollback took back, such as an import's preview.

Entries refer to people by id (a worker's or a user's), never by name, code or photo:
erasing a person's data later changes their rows, not the chained history.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Setting, User, Worker, utcnow
from server.services import InvalidInput

logger = logging.getLogger(__name__)

CHAIN_HEAD_KEY = "audit_chain_head"
CHAIN_COUNT_KEY = "audit_chain_count"
GENESIS = "0" * 64
_PENDING = "shopfloor.audit_anchor"  # session.info: the anchor to log once committed
_HASH = re.compile(r"^[0-9a-f]{64}$")


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
    """Append one entry in the caller's transaction; once it commits, the new head is
    logged (`audit_head`)."""
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
    session.info[_PENDING] = Anchor(_count_one_more(session), digest, entry.id)
    return entry


def _count_one_more(session: Session) -> int:
    """The chain's length with the entry just flushed, kept beside the head (under its
    lock) so that no append counts the whole table; counted once where it is missing."""
    stored = session.get(Setting, CHAIN_COUNT_KEY)
    if stored is None:
        count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        session.add(Setting(key=CHAIN_COUNT_KEY, value=str(count)))
        return count
    count = int(stored.value) + 1
    stored.value = str(count)
    return count


def _log_anchor(session: Session) -> None:
    anchor = session.info.pop(_PENDING, None)
    if anchor is not None:
        logger.info("audit_head", extra={"fields": anchor.to_dict()})


def _forget_anchor(session: Session, _previous: object) -> None:
    session.info.pop(_PENDING, None)


# On every session, once: a session that appended nothing has no anchor to log or forget.
# (Listening on each writing session instead cost a request more than the append's hash.)
event.listen(Session, "after_commit", _log_anchor)
event.listen(Session, "after_soft_rollback", _forget_anchor)


@dataclass(frozen=True)
class Anchor:
    """Where the chain stood: `count` entries, the newest `last_id` with hash `head`."""

    count: int
    head: str
    last_id: int | None
    at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"count": self.count, "head": self.head,
                                "last_id": self.last_id}
        if self.at is not None:
            data["at"] = self.at
        return data

    @classmethod
    def from_dict(cls, data: object) -> Anchor:
        if not isinstance(data, dict):
            raise InvalidInput("an audit anchor is a JSON object with count, head and last_id")
        count, head, last_id = data.get("count"), data.get("head"), data.get("last_id")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0 \
                or not isinstance(head, str) or not _HASH.match(head) \
                or not (last_id is None or (isinstance(last_id, int) and last_id > 0)) \
                or (count == 0) != (last_id is None):
            raise InvalidInput("an audit anchor needs count (a whole number), head (64 hex "
                               "digits) and last_id (the newest entry's id; null when "
                               "count is 0)")
        at = data.get("at")
        return cls(count, head, last_id, None if at is None else str(at))


def current_anchor(session: Session) -> Anchor:
    """The chain as stored now, counted from its rows."""
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    at = utcnow().isoformat(timespec="seconds")
    if last is None:
        return Anchor(0, GENESIS, None, at)
    return Anchor(count, last.hash, last.id, at)


def read_anchors(text: str) -> list[Anchor]:
    """The anchors in a checkpoint file (one JSON object), a backup's manifest (its
    `audit`), or a JSON log (every `audit_head` line), oldest first."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return [Anchor.from_dict(data.get("audit") if "audit" in data else data)]
    anchors = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and item.get("event") == "audit_head":
            anchors.append(Anchor.from_dict(item))
    if not anchors:
        raise InvalidInput("no audit anchor found: expected the JSON of `shopfloor-server "
                           "audit checkpoint`, a backup's manifest.json or a JSON log with "
                           "audit_head lines")
    return sorted(anchors, key=lambda anchor: anchor.count)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str | None = None
    anchors: int = 0  # how many anchors were checked


REWRITTEN = "history was rewritten: this entry no longer has the hash anchored for it"
CUT_SHORT = "the chain is shorter than an anchor says it was: entries were deleted"


def verify_chain(session: Session, anchors: Sequence[Anchor] = ()) -> ChainReport:
    """Recompute the chain; with anchors, also check the entry at each anchor's count
    (the newest one then) still has the anchored id and hash."""
    at_count: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        at_count.setdefault(anchor.count, []).append(anchor)
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)
                           .execution_options(yield_per=1000))
    try:
        return _walk(session, rows, anchors, at_count)
    finally:
        rows.close()  # PostgreSQL streams from a server-side cursor: close it on any return


def _walk(session: Session, rows: Iterable[AuditEntry], anchors: Sequence[Anchor],
          at_count: dict[int, list[Anchor]]) -> ChainReport:
    prev = GENESIS
    count = 0
    last_good: int | None = None
    for entry in rows:
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(False, count, entry.id, "an entry before this one is missing "
                               "or was changed")
        expected = _entry_hash(prev, entry.at, entry.actor, entry.action, entry.entity,
                               entry.entity_id, entry.before, entry.after)
        if expected != entry.hash:
            return ChainReport(False, count, entry.id, "this entry was altered")
        for anchor in at_count.get(count, ()):
            if anchor.head != entry.hash or anchor.last_id != entry.id:
                since = (f" (after entry {last_good}, the last anchored one that matches)"
                         if last_good is not None else "")
                return ChainReport(False, count, entry.id, REWRITTEN + since, len(anchors))
            last_good = entry.id
        prev = entry.hash
    head = session.get(Setting, CHAIN_HEAD_KEY)
    if head is not None and head.value != prev:
        return ChainReport(False, count, None, "the newest entries were deleted", len(anchors))
    if any(anchor.count > count for anchor in anchors):
        longest = max(anchor.count for anchor in anchors)
        return ChainReport(False, count, None, f"{CUT_SHORT} ({count} now, {longest} "
                           "anchored)", len(anchors))
    return ChainReport(True, count, anchors=len(anchors))


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


_ACTOR_WORKER = re.compile(r"worker:(\d+)")


def _ids(entry: AuditEntry) -> tuple[set[int], set[int]]:
    """The worker and user ids an entry refers to: its entity, its payload's worker_id
    and a kiosk actor's `worker:ID`."""
    workers: set[int] = set()
    users: set[int] = set()
    ident = entry.entity_id or ""
    if ident.isdigit() and entry.entity in ("worker", "user"):
        (workers if entry.entity == "worker" else users).add(int(ident))
    for payload in (entry.before, entry.after):
        if isinstance(payload, dict) and isinstance(payload.get("worker_id"), int):
            workers.add(payload["worker_id"])
    workers |= {int(found) for found in _ACTOR_WORKER.findall(entry.actor)}
    return workers, users


def people_of(session: Session, entries: Iterable[AuditEntry]) -> dict[int, str]:
    """Entry id -> who the entry refers to, by today's codes and names ("W001 张三"), for
    the admin to show beside the ids the entry holds. Someone whose data was erased shows
    as whatever their row holds now; the chained entry itself never changes."""
    wanted = {entry.id: _ids(entry) for entry in entries}
    worker_ids = set().union(*(w for w, _ in wanted.values()))
    user_ids = set().union(*(u for _, u in wanted.values()))
    workers = {w.id: f"{w.code} {w.name}" for w in session.scalars(
        select(Worker).where(Worker.id.in_(worker_ids)))} if worker_ids else {}
    users = {u.id: u.username for u in session.scalars(
        select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    named = {}
    for entry_id, (w_ids, u_ids) in wanted.items():
        labels = [f"worker {i}: {workers[i]}" for i in sorted(w_ids) if i in workers]
        labels += [f"user {i}: {users[i]}" for i in sorted(u_ids) if i in users]
        if labels:
            named[entry_id] = "; ".join(labels)
    return named


def entities(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))
