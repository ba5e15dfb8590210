"""A worker's growth record, as the admin worker page and the kiosk's "my growth" show
it, and the training videos suggested to them.

The record: the radar (radar.py), training completed or tried with the quiz results
(last score, best, attempts, the pass mark and whether it was reached), the tiers won in
closed periods, the rewards chosen (redemptions not cancelled), the grade and what the
next one misses (path.py), the talent pools the worker is in (pools.py), and the videos
suggested: the active videos for the worker's role and workshop that HR tagged with the
weakest axis and the worker has not completed, in the kiosk's usual order.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Kiosk,
    PeriodState,
    Redemption,
    RedemptionState,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    TrainingProgress,
    TrainingVideo,
    Worker,
)
from server.services.devices.roster import served_worker
from server.services.growth import path, pools
from server.services.growth.radar import Axis, radar, weakest
from server.services.scores.scorecards import StandingsCache
from server.services.training.progress import quiz_counts

REWARDS_SHOWN = 20
TIERS_SHOWN = 24


def training_record(session: Session, worker: Worker) -> list[dict[str, Any]]:
    """Videos completed, or whose quiz was tried, newest first."""
    rows = session.execute(
        select(TrainingProgress, TrainingVideo)
        .join(TrainingVideo, TrainingProgress.video_id == TrainingVideo.id)
        .where(TrainingProgress.worker_id == worker.id,
               TrainingProgress.completed_at.is_not(None)
               | (TrainingProgress.quiz_attempts > 0))
        .order_by(TrainingProgress.completed_at.desc().nulls_last(),
                  TrainingProgress.id.desc())).all()
    return [{
        "video": video.id, "title": video.title, "title_en": video.title_en,
        "completed_at": progress.completed_at.isoformat() if progress.completed_at else None,
        "quiz_correct": progress.quiz_correct, "quiz_total": progress.quiz_total,
        "quiz_best": progress.quiz_best, "quiz_attempts": progress.quiz_attempts or 0,
        "pass_mark": video.pass_mark if quiz_counts(video) else None,
        "passed": progress.quiz_passed_at is not None if quiz_counts(video) else None,
    } for progress, video in rows]


def tiers_won(session: Session, worker: Worker) -> list[dict[str, Any]]:
    """The tiers the worker held when periods closed, newest first."""
    rows = session.execute(
        select(SnapshotCard.tier, SnapshotCard.card, SettledPeriod.kind, SettledPeriod.key,
               SettledPeriod.start)
        .join(Snapshot, SnapshotCard.snapshot_id == Snapshot.id)
        .join(SettledPeriod, Snapshot.period_id == SettledPeriod.id)
        .where(SnapshotCard.worker_id == worker.id, SnapshotCard.tier.is_not(None),
               SettledPeriod.state == PeriodState.CLOSED,
               Snapshot.version == SettledPeriod.version)
        .order_by(SettledPeriod.start.desc(), SettledPeriod.kind)
        .limit(TIERS_SHOWN)).all()
    found = []
    for tier, card, kind, key, _start in rows:
        named = card.get("tier") if isinstance(card, dict) else None
        found.append({"period": kind, "key": key, "tier": tier,
                      "name": named.get("name") if isinstance(named, dict) else None,
                      "stars": named.get("stars") if isinstance(named, dict) else None})
    return found


def rewards_chosen(session: Session, worker: Worker) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Redemption).where(Redemption.worker_id == worker.id,
                                 Redemption.state != RedemptionState.CANCELLED)
        .order_by(Redemption.created_at.desc(), Redemption.id.desc()).limit(REWARDS_SHOWN))
    return [{"code": r.reward.code, "name": r.reward.name, "name_en": r.reward.name_en,
             "cost": r.cost, "state": r.state.value, "at": r.created_at.isoformat()}
            for r in rows]


def _for_worker(video: TrainingVideo, worker: Worker) -> bool:
    return (video.active and (not video.roles or worker.role.value in video.roles)
            and (not video.workshops or any(w.id == worker.workshop_id
                                            for w in video.workshops)))


def suggested(session: Session, worker: Worker, axes: list[Axis]) -> list[int]:
    """Ids of the videos tagged with the weakest axis, not yet complete, in the kiosk's
    order (required first, nearest deadline first)."""
    weak = weakest(axes)
    if weak is None:
        return []
    done = set(session.scalars(select(TrainingProgress.video_id).where(
        TrainingProgress.worker_id == worker.id, TrainingProgress.completed_at.is_not(None))))
    videos = session.scalars(select(TrainingVideo).where(TrainingVideo.active.is_(True))
                             .order_by(TrainingVideo.required.desc(),
                                       TrainingVideo.required_by.is_(None),
                                       TrainingVideo.required_by, TrainingVideo.id))
    return [v.id for v in videos if weak.key in (v.growth_tags or ()) and v.id not in done
            and _for_worker(v, worker)]


def growth_record(session: Session, worker: Worker, today: date, zone: ZoneInfo,
                  cache: StandingsCache | None = None) -> dict[str, Any]:
    axes = radar(session, worker, today, zone, cache)
    weak = weakest(axes)
    return {
        "worker": {"code": worker.code, "name": worker.name, "role": worker.role.value},
        "as_of": today.isoformat(),
        "radar": [a.as_dict() for a in axes],
        "weakest": None if weak is None else weak.key,
        "suggested": suggested(session, worker, axes),
        "training": training_record(session, worker),
        "tiers": tiers_won(session, worker),
        "rewards": rewards_chosen(session, worker),
        "grade": path.standing(session, worker).as_dict(),
        "pools": [{"code": p.code, "name": p.name, "name_en": p.name_en}
                  for p in pools.pools_of(session, worker, today)],
    }


def kiosk_growth(session: Session, kiosk: Kiosk, code: str, today: date, zone: ZoneInfo,
                 cache: StandingsCache | None = None) -> dict[str, Any]:
    """The record for a kiosk: only workers of its workshops (403), known ones (404)."""
    return growth_record(session, served_worker(session, kiosk, code), today, zone, cache)
