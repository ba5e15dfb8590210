"""Notices: a decision about a worker's appeal or claim, told at the kiosk until seen.

A notice is made when HR resolves an appeal or decides a claim (in the admin or at a
kiosk). It rides in the `tasks` of every scorecard the worker opens (services/scores/
tasks.py) until a kiosk reports it seen with a `notice_seen` event: it is told on each
visit until then, not once per visit, and an offline visit does not lose it (the kiosk
keeps its own mark so that it does not repeat it before it has synced).

`params` holds what the kiosk shows and says, so the kiosk needs no second request: the
dimension or category, `points` (what the decision changed the total by; None when it
changed nothing the server can tell), the period, the correction made, HR's note.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Notice,
    NoticeKind,
    PointEntry,
    Worker,
)

MAX_UNSEEN = 10


def notify_appeal(session: Session, appeal: Appeal, *, points: float | None,
                  correction: str | None, booked_on: str | None = None) -> Notice:
    """The notice of a resolved appeal. `booked_on` is set when the change was booked as an
    adjustment in the first open period (the appealed period being closed)."""
    kind = (NoticeKind.APPEAL_UPHELD if appeal.status is AppealStatus.UPHELD
            else NoticeKind.APPEAL_REJECTED)
    params: dict[str, Any] = {
        "dimension": appeal.dimension, "period": appeal.period,
        "period_start": appeal.period_start.isoformat(),
        "points": None if points is None else round(points, 2),
        "correction": correction, "booked_on": booked_on, "note": appeal.resolution,
    }
    return _add(session, appeal.worker_id, kind, appeal.id, params)


def notify_claim(session: Session, entry: PointEntry) -> Notice:
    """The notice of a claim approved or rejected."""
    approved = entry.status is EntryStatus.APPROVED
    params: dict[str, Any] = {
        "category": entry.category.code if entry.category is not None else None,
        "points": entry.points if approved else None, "date": entry.date.isoformat(),
        "note": entry.decision_note,
    }
    kind = NoticeKind.CLAIM_APPROVED if approved else NoticeKind.CLAIM_REJECTED
    return _add(session, entry.worker_id, kind, entry.id, params)


def _add(session: Session, worker_id: int, kind: NoticeKind, subject_id: int,
         params: dict[str, Any]) -> Notice:
    notice = Notice(worker_id=worker_id, kind=kind, subject_id=subject_id, params=params)
    session.add(notice)
    session.flush()
    return notice


def of_appeal(session: Session, appeal: Appeal) -> Notice | None:
    """The notice a resolved appeal made (None before it is resolved, or for one resolved
    before notices existed)."""
    return session.scalars(select(Notice).where(
        Notice.subject_id == appeal.id,
        Notice.kind.in_([NoticeKind.APPEAL_UPHELD, NoticeKind.APPEAL_REJECTED]))
        .order_by(Notice.id.desc()).limit(1)).first()


def unseen(session: Session, worker: Worker) -> list[Notice]:
    """The worker's notices no kiosk has reported seen, oldest first (told in order)."""
    return list(session.scalars(
        select(Notice).where(Notice.worker_id == worker.id, Notice.seen_at.is_(None))
        .order_by(Notice.created_at, Notice.id).limit(MAX_UNSEEN)))


def as_task(notice: Notice) -> dict[str, Any]:
    """A notice as the scorecard's `tasks.notices` item."""
    params = notice.params or {}
    return {
        "id": notice.id, "kind": notice.kind.value, "subject": notice.subject_id,
        "dimension": params.get("dimension"), "category": params.get("category"),
        "points": params.get("points"), "period": params.get("period"),
        "period_start": params.get("period_start"), "correction": params.get("correction"),
        "booked_on": params.get("booked_on"), "note": params.get("note"),
        "created_at": notice.created_at.isoformat(),
    }


def mark_seen(notice: Notice, event_uuid: str, at: datetime) -> bool:
    """Mark the notice seen by the event; False when it was already seen (by this event or
    another: the first report stands)."""
    if notice.seen_at is not None:
        return False
    notice.seen_at = at
    notice.seen_event_uuid = event_uuid
    return True
