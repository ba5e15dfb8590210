"""Talent pools (人才池): HR's tags with a rule, and who qualifies today.

A worker qualifies when their approved points in the pool's categories (every category
when it names none) over the last `days` days, today included, are at least
`min_points` (exactly enough is enough), and, when the pool names a tier, they won that
tier in at least `tier_times` closed periods (weeks or months; the newest snapshot of
each closed period counts). Members are computed when asked, never stored.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    EntryStatus,
    PeriodState,
    PointCategory,
    PointEntry,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    TalentPool,
    Worker,
)
from server.services import InvalidInput, NotFound
from server.services.audit import record

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
NAME_MAX = 100


@dataclass
class PoolForm:
    code: str
    name: str
    name_en: str = ""
    categories: list[str] = field(default_factory=list)
    min_points: float = 0.0
    days: int = 90
    tier: str = ""
    tier_times: int = 0
    active: bool = True


def pools(session: Session, *, active_only: bool = False) -> list[TalentPool]:
    query = select(TalentPool).order_by(TalentPool.code)
    if active_only:
        query = query.where(TalentPool.active.is_(True))
    return list(session.scalars(query))


def _state(pool: TalentPool) -> dict[str, Any]:
    return {"code": pool.code, "name": pool.name, "name_en": pool.name_en,
            "categories": list(pool.categories), "min_points": pool.min_points,
            "days": pool.days, "tier": pool.tier, "tier_times": pool.tier_times,
            "active": pool.active}


def save_pool(session: Session, form: PoolForm, actor: str) -> TalentPool:
    """Add a pool, or change the one with `form.code`."""
    if not CODE.match(form.code):
        raise InvalidInput("code: letters, digits, '.', '_' or '-', at most 32")
    if not form.name.strip() or len(form.name) > NAME_MAX or len(form.name_en) > NAME_MAX:
        raise InvalidInput(f"name: 1 to {NAME_MAX} characters")
    if not 0 <= form.min_points <= 1_000_000:
        raise InvalidInput("points: 0 to 1,000,000")
    if not 1 <= form.days <= 3660:
        raise InvalidInput("days: 1 to 3660")
    if not 0 <= form.tier_times <= 1000 or len(form.tier) > 32:
        raise InvalidInput("tier: a tier key and 0 to 1000 times")
    known = set(session.scalars(select(PointCategory.code)))
    for code in form.categories:
        if code not in known:
            raise InvalidInput(f"categories: there is no category {code!r}")
    pool = session.scalars(select(TalentPool).where(TalentPool.code == form.code)).first()
    before = None if pool is None else _state(pool)
    if pool is None:
        pool = TalentPool(code=form.code)
        session.add(pool)
    pool.name, pool.name_en = form.name.strip(), form.name_en.strip() or None
    pool.categories = sorted(set(form.categories))
    pool.min_points, pool.days = float(form.min_points), form.days
    pool.tier = form.tier.strip() or None
    pool.tier_times = form.tier_times if pool.tier else 0
    pool.active = form.active
    session.flush()
    record(session, actor, "pool.add" if before is None else "pool.update", "talent_pool",
           pool.id, before=before, after=_state(pool))
    return pool


def get_pool(session: Session, code: str) -> TalentPool:
    pool = session.scalars(select(TalentPool).where(TalentPool.code == code)).first()
    if pool is None:
        raise NotFound(f"no talent pool {code!r}")
    return pool


def tier_wins(session: Session, worker_ids: list[int] | None = None
              ) -> dict[int, Counter[str]]:
    """How often each worker held each tier when a period closed (newest snapshots)."""
    query = (select(SnapshotCard.worker_id, SnapshotCard.tier)
             .join(Snapshot, SnapshotCard.snapshot_id == Snapshot.id)
             .join(SettledPeriod, Snapshot.period_id == SettledPeriod.id)
             .where(SettledPeriod.state == PeriodState.CLOSED,
                    Snapshot.version == SettledPeriod.version,
                    SnapshotCard.tier.is_not(None)))
    if worker_ids is not None:
        query = query.where(SnapshotCard.worker_id.in_(worker_ids))
    wins: dict[int, Counter[str]] = defaultdict(Counter)
    for worker_id, tier in session.execute(query):
        if tier is not None:  # filtered above; this tells the type checker
            wins[worker_id][tier] += 1
    return wins


def _points(session: Session, pool: TalentPool, today: date,
            worker_ids: list[int] | None) -> dict[int, float]:
    since = today - timedelta(days=pool.days - 1)
    query = (select(PointEntry.worker_id, func.sum(PointEntry.points))
             .where(PointEntry.status == EntryStatus.APPROVED,
                    PointEntry.date >= since, PointEntry.date <= today)
             .group_by(PointEntry.worker_id))
    if pool.categories:
        query = query.join(PointCategory, PointEntry.category_id == PointCategory.id).where(
            PointCategory.code.in_(pool.categories))
    if worker_ids is not None:
        query = query.where(PointEntry.worker_id.in_(worker_ids))
    return {worker_id: float(total) for worker_id, total in session.execute(query)}


@dataclass(frozen=True)
class Member:
    worker: Worker
    points: float
    tier_times: int


def members(session: Session, pool: TalentPool, today: date,
            workers: list[Worker] | None = None) -> list[Member]:
    """Who qualifies for `pool` today: every active worker, or those in `workers`."""
    ids = None if workers is None else [w.id for w in workers]
    points = _points(session, pool, today, ids)
    wins = tier_wins(session, ids) if pool.tier else {}
    if workers is None:
        workers = list(session.scalars(select(Worker).where(Worker.active.is_(True))
                                       .order_by(Worker.code)))
    found = []
    for worker in workers:
        have = points.get(worker.id, 0.0)
        times = wins.get(worker.id, Counter())[pool.tier] if pool.tier else 0
        if have >= pool.min_points and (not pool.tier or times >= pool.tier_times):
            found.append(Member(worker, have, times))
    return sorted(found, key=lambda m: (-m.points, m.worker.code))


def pools_of(session: Session, worker: Worker, today: date) -> list[TalentPool]:
    """The active pools the worker qualifies for today."""
    return [pool for pool in pools(session, active_only=True)
            if members(session, pool, today, [worker])]
