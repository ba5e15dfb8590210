"""Kiosk events in: a batch checked event by event, each stored at most once.

Kiosks resend whatever they are not sure arrived, so ingest is idempotent by the event's
UUID and a digest of its body (`events.kinds.body_hash`):

- an identical event already stored, or earlier in the same batch, is `duplicate`: not an
  error, and never counted twice;
- the same UUID with a different body is `rejected`: the server keeps the first and never
  merges, since either could be the truth;
- an event that does not fit its kind's schema, or names a worker, machine, category or
  claim it may not, is `rejected` with a reason naming the field; the rest of the batch
  goes on;
- a supervisor's act without a proof that the supervisor typed their PIN for it is
  `rejected` with a reason starting "proof:" (events/proof.py);
- an event from before the kiosk offline window, from the future, or for a closed period
  is `rejected` and kept for HR to book (events/refused.py).

A supervisor's proof is not part of the event's body: it is neither stored nor hashed, so
an act sent again is `duplicate` as any event is.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session, aliased

from server.models import Event, Kiosk, RefusedEvent, Worker, utcnow
from server.services import Conflict, InvalidInput
from server.services.audit import record
from server.services.devices.keys import ServerKeys
from server.services.events import refused
from server.services.events.effects import Effects, Kept, Rejected
from server.services.events.kinds import (
    KINDS,
    KioskEvent,
    body_hash,
    canonical_payload,
    describe,
    event_adapter,
)
from server.services.periods import late

Status = Literal["accepted", "duplicate", "rejected"]
CONFLICT = "uuid: already used by a different event"
DEFAULT_LIST_LIMIT = 100


@dataclass(frozen=True)
class EventResult:
    uuid: str | None
    status: Status
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uuid": self.uuid, "status": self.status}
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class Prepared:
    """An event that fits its kind, with what storing it needs, computed once."""

    event: KioskEvent
    uuid: str  # canonical: lower case
    echo: str  # as the kiosk sent it, for its result
    payload: dict[str, Any]  # canonical_payload(event)
    digest: str  # body_hash(event)
    sent: dict[str, Any]  # the event as the kiosk sent it, which its proof is bound to


# The adapter's own validator: the same checks, without the wrapper's work on each call.
_validate = event_adapter.validator.validate_python


def _prepare(item: object) -> Prepared | EventResult:
    if not isinstance(item, dict):
        return EventResult(None, "rejected", "event: must be a JSON object")
    sent = item.get("uuid")
    echo = sent if isinstance(sent, str) else None
    try:
        event: KioskEvent = _validate(item)
    except ValidationError as error:
        return EventResult(echo, "rejected", describe(error, item.get("kind")))
    payload = canonical_payload(event)
    uuid = str(event.uuid)
    return Prepared(event, uuid, echo or uuid, payload, body_hash(event, payload, uuid), item)


def _body(item: Prepared) -> dict[str, Any]:
    """The event as the kiosk sent it, in its canonical form, without its proof: what
    booking validates again."""
    body = {"uuid": item.uuid, "kind": item.event.kind, "worker": item.event.worker,
            "occurred_at": item.event.occurred_at.isoformat(), "payload": item.payload}
    if item.event.kiosk_time is not None:
        body["kiosk_time"] = item.event.kiosk_time.isoformat()
    return body


def prepare(items: Sequence[object]) -> list[Prepared | EventResult]:
    """Validate and hash a batch; touches no database, so it can run while another
    request holds the write lock."""
    return [_prepare(item) for item in items]


# Built once: a batch's hundreds of UUIDs go in as one parameter, a JSON array on SQLite
# and an array on PostgreSQL (an expanding IN, rendered anew for each batch, costs more
# than the lookup); elsewhere as an expanding one.
_STORED = {
    "sqlite": text("SELECT uuid, body_hash FROM events "
                   "WHERE uuid IN (SELECT value FROM json_each(:uuids))"),
    "postgresql": text("SELECT uuid, body_hash FROM events WHERE uuid = ANY(:uuids)"),
}
_STORED_ANY = select(Event.uuid, Event.body_hash).where(
    Event.uuid.in_(bindparam("uuids", expanding=True)))


def _stored_digests(session: Session, uuids: list[str]) -> dict[str, str]:
    if not uuids:
        return {}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = session.execute(_STORED[dialect], {"uuids": json.dumps(uuids)})
    elif dialect in _STORED:
        rows = session.execute(_STORED[dialect], {"uuids": uuids})
    else:
        rows = session.execute(_STORED_ANY, {"uuids": uuids})
    return {uuid: digest for uuid, digest in rows}


def _repeat(first_digest: str, first: EventResult, item: Prepared) -> EventResult:
    """The result for an event whose UUID came earlier in the same batch."""
    if first_digest != item.digest:
        return EventResult(item.echo, "rejected", CONFLICT)
    if first.status == "accepted":
        return EventResult(item.echo, "duplicate")
    return EventResult(item.echo, first.status, first.reason)


def ingest(
    session: Session,
    kiosk: Kiosk,
    items: Sequence[Prepared | EventResult],
    zone: ZoneInfo,
    now: datetime | None = None,
    *,
    keys: ServerKeys,
    offline_window: timedelta,
) -> list[EventResult]:
    """One result per item of `prepare(...)`, in order. The caller commits, also when
    every event was rejected: a wrong PIN is counted against its supervisor.

    `keys` open supervisors' proofs and digest unknown cards; events older than
    `offline_window` are refused. A concurrent request storing the same UUID first makes
    the flush raise IntegrityError; the caller rolls back and calls again, and the second
    pass reports `duplicate`.
    """
    now = now or utcnow()
    ready = [item for item in items if isinstance(item, Prepared)]
    stored = _stored_digests(session, sorted({item.uuid for item in ready}))
    effects = Effects(session, kiosk, zone, now, keys=keys, offline_window=offline_window)
    effects.preload(item.event for item in ready)
    seen: dict[str, tuple[str, EventResult]] = {}
    results: list[EventResult] = []
    for item in items:
        if isinstance(item, EventResult):
            result = item
        elif item.uuid in stored:
            same = stored[item.uuid] == item.digest
            result = EventResult(item.echo, "duplicate" if same else "rejected",
                                 None if same else CONFLICT)
        elif item.uuid in seen:
            result = _repeat(*seen[item.uuid], item)
        else:
            try:
                effects.apply(item.event, item.uuid, item.digest, item.payload, item.sent)
                result = EventResult(item.echo, "accepted")
            except Kept as kept:
                if kept.workshop_id is not None:
                    refused.keep(session, kiosk, item.uuid, item.event.kind,
                                 item.event.worker, item.event.occurred_at, _body(item),
                                 str(kept), kept.workshop_id)
                result = EventResult(item.echo, "rejected", str(kept))
            except Rejected as refusal:
                result = EventResult(item.echo, "rejected", str(refusal))
            seen[item.uuid] = (item.digest, result)
        results.append(result)
    effects.finish()
    return results


def book_refused(session: Session, refused_id: int, actor: str, zone: ZoneInfo,
                 now: datetime | None = None, *,
                 scope: Collection[int] | None = None) -> RefusedEvent:
    """Store a refused event where it belongs and book what it changes in its closed
    period as an adjustment in the first open one. Raises Conflict when it was booked
    already, InvalidInput when it no longer fits (a worker who has left, say)."""
    now = now or utcnow()
    row = refused.get_refused(session, refused_id, scope)
    if row.booked_at is not None:
        raise Conflict(f"refused event {refused_id} was booked already by {row.booked_by}")
    kiosk = session.get(Kiosk, row.kiosk_id) if row.kiosk_id is not None else None
    if kiosk is None:
        raise InvalidInput("the kiosk that sent this event no longer exists")
    item = _prepare(row.body)
    if isinstance(item, EventResult):
        raise InvalidInput(f"the event no longer fits: {item.reason}")
    if _stored_digests(session, [item.uuid]):
        raise Conflict(f"event {item.uuid} is stored already")
    effects = Effects(session, kiosk, zone, now, booking=True)
    effects.preload([item.event])
    try:
        effects.apply(item.event, item.uuid, item.digest, item.payload)
    except Rejected as refusal:
        raise InvalidInput(f"the event cannot be booked: {refusal}") from None
    effects.finish()
    day = item.event.occurred_at.astimezone(zone).date()
    worker = (session.scalars(select(Worker).where(Worker.code == item.event.worker)).first()
              if item.event.worker else None)
    period = late.closed_on(session, row.workshop_id, day)
    lines = []
    if period is not None and worker is not None:
        lines = late.settle(session, period, [worker], actor=actor, zone=zone,
                            today=now.astimezone(zone).date(), source="event",
                            original_date=day, what=f"{row.kind} from kiosk {kiosk.name}",
                            reference=item.uuid)
    row.booked_at = now
    row.booked_by = actor
    row.adjustment_points = round(sum(line.points for line in lines), 2)
    record(session, actor, "event.book", "event", item.uuid,
           after={"kind": row.kind, "worker_id": worker.id if worker is not None else None,
                  "day": day.isoformat(),
                  "adjustment_points": row.adjustment_points})
    session.flush()
    return row


def list_events(
    session: Session,
    kind: str | None = None,
    since: datetime | None = None,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[dict[str, Any]]:
    """Stored events, newest received first, for diagnosis (`shopfloor-server events`)."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    worker = aliased(Worker)
    query = (
        select(Event, worker.code, Kiosk.name)
        .outerjoin(worker, Event.worker_id == worker.id)
        .outerjoin(Kiosk, Event.kiosk_id == Kiosk.id)
        .order_by(Event.received_at.desc(), Event.id.desc())
        .limit(limit)
    )
    if kind is not None:
        query = query.where(Event.kind == kind)
    if since is not None:
        query = query.where(Event.received_at >= since)
    return [
        {
            "uuid": event.uuid, "kind": event.kind, "worker": code, "kiosk": kiosk_name,
            "occurred_at": event.occurred_at.isoformat(),
            "received_at": event.received_at.isoformat(), "payload": event.payload,
        }
        for event, code, kiosk_name in session.execute(query)
    ]
