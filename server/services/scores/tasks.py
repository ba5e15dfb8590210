"""Today's tasks on a worker's scorecard: the notices of decisions the worker has not been
told yet, training videos still to watch, the worker's open appeals and pending claims
(the to-do list), and what was decided since their last visit (point claims decided,
appeals answered, rewards handed over: the kiosk says each aloud).

`notices` (points/notices.py) are what the kiosk tells: every decision on an appeal or a
claim, on every visit until a kiosk reports it seen with a `notice_seen` event. The two
"since the last visit" lists are kept for kiosks that do not read notices yet.

"Since the last visit" is since the worker's previous `badge_in` event. The tap that opened
this scorecard may or may not have reached the server yet (the kiosk fetches the card and
sends its outbox in either order), so badge-ins in the last `CURRENT_VISIT` before `now`
count as this visit and the latest one before them is the previous visit. A worker with no
earlier visit sees what was decided in the last `FIRST_VISIT_LOOKBACK`.

Which videos are asked of whom follows the training dimension (services.scores.inputs): a
required, active video assigned to the worker's workshop (or to no workshop, meaning
everyone), limited to the roles it names, not yet completed by the worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    PointCategory,
    PointEntry,
    Redemption,
    RedemptionState,
    Reward,
    TrainingProgress,
    TrainingVideo,
    Worker,
    utcnow,
    video_workshops,
)
from server.services import NotFound
from server.services.events.kinds import EventKind
from server.services.points import notices

CURRENT_VISIT = timedelta(minutes=10)
FIRST_VISIT_LOOKBACK = timedelta(days=7)
MAX_ITEMS = 10


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def last_visit_query(worker_id: Any, before: Any) -> Select[datetime]:
    """The worker's newest badge-in before `before` (values or bound parameters): their
    last visit when `before` is this visit's start, now - `CURRENT_VISIT`."""
    return (select(Event.occurred_at)
            .where(Event.worker_id == worker_id, Event.kind == EventKind.BADGE_IN.value,
                   Event.occurred_at < before)
            .order_by(Event.occurred_at.desc())
            .limit(1))


def last_visit(session: Session, worker: Worker, now: datetime) -> datetime | None:
    """When the worker badged in before this visit, or None if never."""
    return session.scalar(last_visit_query(worker.id, now - CURRENT_VISIT))


def videos_due(session: Session, worker: Worker) -> list[dict[str, Any]]:
    """Required videos the worker has not finished, the most urgent first (no date = due
    now)."""
    assigned = select(video_workshops.c.video_id).where(
        video_workshops.c.workshop_id == worker.workshop_id)
    rows = session.execute(
        select(TrainingVideo, TrainingProgress.seconds_watched)
        .outerjoin(TrainingProgress, (TrainingProgress.video_id == TrainingVideo.id)
                   & (TrainingProgress.worker_id == worker.id))
        .where(TrainingVideo.required.is_(True), TrainingVideo.active.is_(True),
               or_(TrainingVideo.id.in_(assigned),
                   TrainingVideo.id.not_in(select(video_workshops.c.video_id))),
               TrainingProgress.completed_at.is_(None))
        .order_by(TrainingVideo.required_by.is_not(None), TrainingVideo.required_by,
                  TrainingVideo.id)
    )
    due = []
    for video, watched in rows:
        if video.roles and worker.role.value not in video.roles:
            continue
        seconds = float(watched or 0.0)
        progress = min(1.0, seconds / video.duration_s) if video.duration_s > 0 else 0.0
        due.append({
            "id": video.id, "title": video.title, "title_en": video.title_en,
            "required_by": video.required_by.isoformat() if video.required_by else None,
            "progress": round(progress, 3), "seconds_watched": seconds,
            "duration_s": video.duration_s,
        })
    return due[:MAX_ITEMS]


def claims_decided(session: Session, worker: Worker, since: datetime) -> list[dict[str, Any]]:
    """The worker's point claims approved or rejected after `since`, newest first."""
    rows = session.execute(
        select(PointEntry, PointCategory.code, Event.uuid)
        .outerjoin(PointCategory, PointEntry.category_id == PointCategory.id)
        .outerjoin(Event, PointEntry.event_id == Event.id)
        .where(PointEntry.worker_id == worker.id,
               PointEntry.status.in_([EntryStatus.APPROVED, EntryStatus.REJECTED]),
               PointEntry.decided_at.is_not(None), PointEntry.decided_at > since)
        .order_by(PointEntry.decided_at.desc(), PointEntry.id.desc())
        .limit(MAX_ITEMS)
    )
    return [
        {"id": entry.id, "claim": claim_uuid, "category": category, "points": entry.points,
         "status": entry.status.value, "decided_at": _iso(entry.decided_at),
         "note": entry.decision_note}
        for entry, category, claim_uuid in rows
    ]


def appeals_answered(session: Session, worker: Worker, since: datetime) -> list[dict[str, Any]]:
    """The worker's appeals resolved after `since`, newest first."""
    appeals = session.scalars(
        select(Appeal)
        .where(Appeal.worker_id == worker.id, Appeal.status != AppealStatus.OPEN,
               Appeal.resolved_at.is_not(None), Appeal.resolved_at > since)
        .order_by(Appeal.resolved_at.desc(), Appeal.id.desc())
        .limit(MAX_ITEMS)
    )
    return [
        {"id": appeal.id, "dimension": appeal.dimension, "period": appeal.period,
         "period_start": appeal.period_start.isoformat(), "status": appeal.status.value,
         "resolution": appeal.resolution, "resolved_at": _iso(appeal.resolved_at)}
        for appeal in appeals
    ]


def rewards_handed_over(session: Session, worker: Worker, since: datetime
                        ) -> list[dict[str, Any]]:
    """The worker's rewards a supervisor handed over after `since`, newest first."""
    rows = session.execute(
        select(Redemption, Reward)
        .join(Reward, Redemption.reward_id == Reward.id)
        .where(Redemption.worker_id == worker.id,
               Redemption.state == RedemptionState.HANDED_OVER,
               Redemption.decided_at.is_not(None), Redemption.decided_at > since)
        .order_by(Redemption.decided_at.desc(), Redemption.id.desc())
        .limit(MAX_ITEMS)
    )
    return [
        {"id": redemption.id, "reward": reward.code, "title": reward.name,
         "title_en": reward.name_en, "points": redemption.cost,
         "handed_over_at": _iso(redemption.decided_at)}
        for redemption, reward in rows
    ]


def open_appeals(session: Session, worker: Worker) -> list[dict[str, Any]]:
    """The worker's appeals HR has not resolved yet, oldest first."""
    appeals = session.scalars(
        select(Appeal)
        .where(Appeal.worker_id == worker.id, Appeal.status == AppealStatus.OPEN)
        .order_by(Appeal.created_at, Appeal.id)
        .limit(MAX_ITEMS)
    )
    return [
        {"id": appeal.id, "dimension": appeal.dimension, "period": appeal.period,
         "period_start": appeal.period_start.isoformat(), "created_at": _iso(appeal.created_at)}
        for appeal in appeals
    ]


def pending_claims(session: Session, worker: Worker) -> list[dict[str, Any]]:
    """The worker's point claims waiting for a decision, oldest first."""
    rows = session.execute(
        select(PointEntry, PointCategory.code, Event.uuid)
        .outerjoin(PointCategory, PointEntry.category_id == PointCategory.id)
        .outerjoin(Event, PointEntry.event_id == Event.id)
        .where(PointEntry.worker_id == worker.id, PointEntry.status == EntryStatus.PENDING)
        .order_by(PointEntry.date, PointEntry.id)
        .limit(MAX_ITEMS)
    )
    return [
        {"id": entry.id, "claim": claim_uuid, "category": category, "points": entry.points,
         "date": entry.date.isoformat()}
        for entry, category, claim_uuid in rows
    ]


def worker_tasks(session: Session, worker: Worker | str,
                 now: datetime | None = None) -> dict[str, Any]:
    """A scorecard's `tasks` (docs/ARCHITECTURE.md, "The kiosk screen"), for a worker or a code.

    Raises NotFound for an unknown code."""
    if isinstance(worker, str):
        found = session.scalars(select(Worker).where(Worker.code == worker)).first()
        if found is None:
            raise NotFound(f"no worker with code {worker!r}")
        worker = found
    now = now or utcnow()
    previous = last_visit(session, worker, now)
    # On the hour: the scorecard that carries these tasks keeps its ETag for an hour,
    # rather than changing with every request's clock.
    since = previous or (now - FIRST_VISIT_LOOKBACK).replace(minute=0, second=0, microsecond=0)
    return {
        "since": since.isoformat(),
        "last_visit": _iso(previous),
        "notices": [notices.as_task(n) for n in notices.unseen(session, worker)],
        "videos_due": videos_due(session, worker),
        "appeals_open": open_appeals(session, worker),
        "claims_pending": pending_claims(session, worker),
        "claims_decided": claims_decided(session, worker, since),
        "appeals_answered": appeals_answered(session, worker, since),
        "rewards_handed_over": rewards_handed_over(session, worker, since),
    }
