"""A number that changes whenever anything a score is computed from may have changed.

Every change to scores, points, schemes, training and people writes an audit entry
(`audit.record`), and the one thing that changes scores without one, a badge-in (an
attendance event), is a row in `events`. So the newest audit id and the newest event id
together move on every such change. Both are primary-key maxima: O(1) reads.

Audit entries are appended under a lock on the chain head, so their ids become visible
in order. Events are inserted without one: on PostgreSQL two transactions can commit
their ids out of order, and an event committed late with an id below the maximum would
not move the maximum. The number of the newest `EVENT_WINDOW` ids that exist moves then,
so it is part of the version too (a range count on the primary key).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Event

EVENT_WINDOW = 1_000

DataVersion = tuple[int, int, int]


def data_version(session: Session) -> DataVersion:
    """(newest audit id, newest event id, events among the newest `EVENT_WINDOW` ids), in
    one statement."""
    newest = select(func.coalesce(func.max(Event.id), 0)).scalar_subquery()
    row = session.execute(select(
        select(func.coalesce(func.max(AuditEntry.id), 0)).scalar_subquery(),
        newest,
        select(func.count(Event.id)).where(Event.id > newest - EVENT_WINDOW)
        .scalar_subquery(),
    )).one()
    return int(row[0]), int(row[1]), int(row[2])
