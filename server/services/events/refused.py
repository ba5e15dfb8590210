"""Kiosk events refused for their time, kept whole for HR.

A kiosk that was offline across month end sends last month's taps and counts after the
month is closed; one offline longer than the kiosk offline window, or with a clock far
ahead, sends events the server will not take on its word. They are answered `rejected`
(the kiosk drops them from its outbox) and listed here, so nothing is lost: HR books each
into the open period (`events.ingest.book_refused`) or leaves it. A resent event is kept
once. The body kept is the event as stored would be: never a proof, nor a card's number.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Kiosk, RefusedEvent
from server.services import NotFound


def keep(session: Session, kiosk: Kiosk, uuid: str, kind: str, worker: str | None,
         occurred_at: datetime, body: dict[str, Any], reason: str, workshop_id: int) -> None:
    """Keep a refused event for HR of `workshop_id` (the worker's, else the kiosk's)."""
    if session.scalars(select(RefusedEvent.id).where(RefusedEvent.uuid == uuid)).first():
        return
    session.add(RefusedEvent(uuid=uuid, kiosk_id=kiosk.id, workshop_id=workshop_id,
                             kind=kind, worker_code=worker, occurred_at=occurred_at,
                             body=body, reason=reason))


def list_refused(session: Session, *, booked: bool = False,
                 scope: Collection[int] | None = None) -> list[RefusedEvent]:
    """Waiting (or, with `booked`, booked) refused events, oldest first."""
    query = select(RefusedEvent).order_by(RefusedEvent.occurred_at, RefusedEvent.id)
    query = query.where(RefusedEvent.booked_at.is_not(None) if booked
                        else RefusedEvent.booked_at.is_(None))
    if scope is not None:
        query = query.where(RefusedEvent.workshop_id.in_(scope))
    return list(session.scalars(query))


def get_refused(session: Session, refused_id: int,
                scope: Collection[int] | None = None) -> RefusedEvent:
    row = session.get(RefusedEvent, refused_id)
    if row is None or (scope is not None and row.workshop_id not in scope):
        raise NotFound(f"no refused event {refused_id}")
    return row
