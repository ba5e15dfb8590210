"""Reading settled periods: a closed period is read from its newest snapshot, never from
the live engine, so a card that was paid from never moves.

Only models are imported here, so the scores domain can ask "is this settled?" before it
scores anything, without a circle back through the closing code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    PeriodState,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    Worker,
    Workshop,
)
from server.scoring import PeriodSpan


def settled_info(period: SettledPeriod) -> dict[str, Any]:
    """What a card or board says about its settlement."""
    return {"period": period.key, "version": period.version,
            "closed_at": period.closed_at.isoformat() if period.closed_at else None,
            "closed_by": period.closed_by}


def closed_period(session: Session, workshop_id: int, span: PeriodSpan) -> SettledPeriod | None:
    """The workshop's period for `span` when it is closed; None while it is open."""
    return session.scalars(select(SettledPeriod).where(
        SettledPeriod.workshop_id == workshop_id, SettledPeriod.kind == span.kind.value,
        SettledPeriod.key == span.label, SettledPeriod.state == PeriodState.CLOSED)).first()


def newest_snapshot(session: Session, period: SettledPeriod) -> Snapshot | None:
    return session.scalars(select(Snapshot).where(
        Snapshot.period_id == period.id, Snapshot.version == period.version)).first()


def settled_card(session: Session, worker: Worker, span: PeriodSpan) -> dict[str, Any] | None:
    """The worker's frozen card for `span` when a closed period of any workshop holds one
    (a worker who moved workshop keeps the card they were paid from)."""
    found = session.execute(
        select(SnapshotCard.card, SettledPeriod)
        .join(Snapshot, SnapshotCard.snapshot_id == Snapshot.id)
        .join(SettledPeriod, Snapshot.period_id == SettledPeriod.id)
        .where(SnapshotCard.worker_id == worker.id, SettledPeriod.kind == span.kind.value,
               SettledPeriod.key == span.label, SettledPeriod.state == PeriodState.CLOSED,
               Snapshot.version == SettledPeriod.version)
    ).first()
    if found is None:
        return None
    card, period = found
    return {**card, "settled": settled_info(period)}


def settled_totals(session: Session, worker_ids: Sequence[int], span: PeriodSpan
                   ) -> dict[int, float | None]:
    """The totals these workers were settled with in the closed period `span`, by worker
    id, from the newest snapshot of whichever workshop closed it with them (as
    `settled_card`: a worker who moved keeps what they were paid from); None for one
    settled without data (placed unranked). Workers no closed period settled are left
    out. Should two workshops have settled one worker, the later close counts."""
    if not worker_ids:
        return {}
    rows = session.execute(
        select(SnapshotCard.worker_id, SnapshotCard.total, SnapshotCard.rank)
        .join(Snapshot, SnapshotCard.snapshot_id == Snapshot.id)
        .join(SettledPeriod, Snapshot.period_id == SettledPeriod.id)
        .where(SnapshotCard.worker_id.in_(list(worker_ids)),
               SettledPeriod.kind == span.kind.value, SettledPeriod.key == span.label,
               SettledPeriod.state == PeriodState.CLOSED,
               Snapshot.version == SettledPeriod.version)
        .order_by(SettledPeriod.closed_at, SettledPeriod.id)
    ).all()
    return {worker_id: (total if rank is not None else None)
            for worker_id, total, rank in rows}


def settled_board(session: Session, workshop: Workshop, span: PeriodSpan) -> dict[str, Any] | None:
    period = closed_period(session, workshop.id, span)
    if period is None:
        return None
    snapshot = newest_snapshot(session, period)
    if snapshot is None:
        return None
    return {**snapshot.board, "settled": settled_info(period)}


def adjustment_lines(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The adjustment lines a card counted (its `adjustment_ids`), for the card."""
    if not ids:
        return []
    rows = session.scalars(select(Adjustment).where(Adjustment.id.in_(list(ids)))
                           .order_by(Adjustment.booked_on, Adjustment.id))
    return [{"id": a.id, "points": a.points, "booked_on": a.booked_on.isoformat(),
             "original_date": a.original_date.isoformat(), "source": a.source,
             "reason": a.reason} for a in rows]
