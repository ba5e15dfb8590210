"""Appeals: the queue, the records behind a disputed score item, and the resolution.

The records behind an item are the ones the scoring engine itself names for that
dimension of the worker's card in the disputed period, so HR reads what the worker saw.
The resolution note is what the kiosk shows the worker.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AppealStatus,
    Event,
    PointEntry,
    ProductionRecord,
    TrainingVideo,
    User,
    Worker,
    utcnow,
)
from server.services import InvalidInput, NotFound, ServiceError
from server.services.audit import record
from server.services.scores.scorecards import worker_scorecard

Scope = Collection[int] | None
MAX_NOTE = 1000


def list_appeals(session: Session, status: str = "open", scope: Scope = None) -> list[Appeal]:
    query = select(Appeal).join(Worker, Appeal.worker_id == Worker.id)
    if status in {s.value for s in AppealStatus}:
        query = query.where(Appeal.status == AppealStatus(status))
    if scope is not None:
        query = query.where(Worker.workshop_id.in_(scope))
    return list(session.scalars(query.order_by(Appeal.created_at.desc(), Appeal.id.desc())))


def get_appeal(session: Session, appeal_id: int, scope: Scope = None) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or (scope is not None and appeal.worker.workshop_id not in scope):
        raise NotFound(f"no appeal {appeal_id}")
    return appeal


def evidence(session: Session, appeal: Appeal, zone: ZoneInfo,
             today: Any = None) -> dict[str, Any]:
    """The disputed line of the card and the records behind it. `card` is None when the
    period cannot be scored (no scheme in force); `line` is None for an item the card
    does not have (then the records are every production record of the period)."""
    try:
        card = worker_scorecard(session, appeal.worker.code, appeal.period,
                                appeal.period_start, zone, today=today)
    except ServiceError as exc:
        return {"card": None, "line": None, "problem": str(exc), "production": [],
                "points": [], "events": [], "videos": []}
    line = next((d for d in card["dimensions"] if d["key"] == appeal.dimension), None)
    ids = line["record_ids"] if line else []
    key = line["key"] if line else None
    production: list[ProductionRecord] = []
    points: list[PointEntry] = []
    events: list[Event] = []
    videos: list[TrainingVideo] = []
    if key == "points" or (line is None and appeal.dimension in ("points", "total")):
        points = _by_ids(session, PointEntry, ids or card["point_entry_ids"])
    elif key == "attendance":
        events = _by_ids(session, Event, ids)
    elif key == "training":
        videos = _by_ids(session, TrainingVideo, ids)
    elif line is not None:
        production = _by_ids(session, ProductionRecord, ids)
    else:
        production = list(session.scalars(select(ProductionRecord).where(
            ProductionRecord.worker_id == appeal.worker_id,
            ProductionRecord.date.between(card["period_start"], card["period_end"]))
            .order_by(ProductionRecord.date)))
    return {"card": card, "line": line, "problem": None, "production": production,
            "points": points, "events": events, "videos": videos}


def _by_ids(session: Session, model: Any, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return list(session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)))


def resolve(session: Session, appeal_id: int, upheld: bool, note: str, user: User,
            scope: Scope = None, now: datetime | None = None) -> Appeal:
    appeal = get_appeal(session, appeal_id, scope)
    note = note.strip()
    if not note:
        raise InvalidInput("note: tell the worker why; the kiosk shows it")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters")
    if appeal.status is not AppealStatus.OPEN:
        raise InvalidInput(f"this appeal is already {appeal.status.value}")
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.resolution = note
    appeal.resolved_by_user_id = user.id
    appeal.resolved_at = now or utcnow()
    record(session, f"user:{user.username}", "appeal.resolve", "appeal", appeal.id,
           before={"status": "open"},
           after={"status": appeal.status.value, "resolution": note,
                  "worker": appeal.worker.code})
    return appeal
