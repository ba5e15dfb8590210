"""Redeeming rewards and handing them over.

A `reward_redeem` event (events/effects.py) calls `check_redeem` before anything is
written and `redeem` once the event row exists. States: pending_approval (the reward
needs a supervisor's or HR's approval) -> pending (waiting for hand-over) -> handed_over;
either open state -> cancelled, with the points refunded (a refund line) and the stock
put back. The hand-over is the control: a redemption is paid out only when a person hands
it over (a supervisor at the kiosk, `reward_handover`, or HR in the admin).

The last item: stock is taken with one conditional UPDATE (`stock = stock - 1 WHERE stock
> 0`) and its row count; on PostgreSQL the second of two concurrent transactions waits for
the first's row lock and then matches no row, on SQLite writers take turns. The balance is
read after locking the worker's row (`ledger.lock_worker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from server.models import (
    Entitlement,
    LedgerSource,
    PeriodState,
    Redemption,
    RedemptionState,
    Reward,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    Worker,
    utcnow,
)
from server.services import Conflict, NotFound
from server.services.audit import record
from server.services.points import ledger

OPEN_STATES = (RedemptionState.PENDING_APPROVAL, RedemptionState.PENDING)
MAX_LISTED = 200


@dataclass(frozen=True)
class RedeemPlan:
    worker: Worker
    reward: Reward
    entitlement: Entitlement | None
    cost: float


def last_closed_tier(session: Session, worker: Worker) -> str | None:
    """The tier the worker held in their workshop's newest closed period, or None."""
    period = session.scalars(
        select(SettledPeriod)
        .where(SettledPeriod.workshop_id == worker.workshop_id,
               SettledPeriod.state == PeriodState.CLOSED)
        .order_by(SettledPeriod.end.desc(), SettledPeriod.id.desc()).limit(1)).first()
    if period is None:
        return None
    return session.scalar(
        select(SnapshotCard.tier).join(Snapshot, SnapshotCard.snapshot_id == Snapshot.id)
        .where(Snapshot.period_id == period.id, Snapshot.version == period.version,
               SnapshotCard.worker_id == worker.id))


def check_redeem(session: Session, worker: Worker, code: str,
                 entitlement_id: int | None) -> RedeemPlan:
    """Everything that may refuse a redemption, as Conflict/NotFound with the reason the
    kiosk shows; the last check takes the stock, so nothing after it may fail."""
    reward = session.scalars(select(Reward).where(Reward.code == code)).first()
    if reward is None:
        raise NotFound(f"payload.reward: no reward {code!r}")
    if not reward.active:
        raise Conflict(f"payload.reward: {code!r} is retired")
    entitlement = None
    if entitlement_id is not None:
        entitlement = session.get(Entitlement, entitlement_id, with_for_update=(
            session.get_bind().dialect.name != "sqlite"))
        if entitlement is None or entitlement.worker_id != worker.id:
            raise NotFound(f"payload.entitlement: no entitlement {entitlement_id} of "
                           f"{worker.code!r}")
        if entitlement.redemption_id is not None:
            raise Conflict(f"payload.entitlement: entitlement {entitlement_id} is used already")
        if entitlement.tier not in (reward.menus or []):
            raise Conflict(f"payload.reward: {code!r} is not on the {entitlement.tier!r} "
                           f"menu")
        cost = 0.0
    else:
        cost = reward.cost
        if reward.tier is not None:
            held = last_closed_tier(session, worker)
            if held != reward.tier:
                raise Conflict(f"payload.reward: {code!r} is for the {reward.tier!r} tier of "
                               f"the last closed period; {worker.code!r} "
                               + ("held none" if held is None else f"held {held!r}"))
        ledger.lock_worker(session, worker.id)
        balance = ledger.balance(session, worker.id)
        if balance < cost:
            raise Conflict(f"payload.reward: too few points: {code!r} costs {cost:g}, "
                           f"{worker.code!r} has {balance:g}")
    if reward.stock is not None:
        taken = session.execute(
            update(_REWARDS).where(_REWARDS.c.id == reward.id, _REWARDS.c.stock > 0)
            .values(stock=_REWARDS.c.stock - 1))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"payload.reward: {code!r} is out of stock")
        session.expire(reward, ["stock"])
    return RedeemPlan(worker, reward, entitlement, cost)


_REWARDS: Table = Reward.__table__  # type: ignore[assignment]


def redeem(session: Session, plan: RedeemPlan, event_uuid: str, actor: str,
           at: datetime) -> Redemption:
    state = (RedemptionState.PENDING_APPROVAL if plan.reward.needs_approval
             else RedemptionState.PENDING)
    redemption = Redemption(event_uuid=event_uuid, worker_id=plan.worker.id,
                            reward_id=plan.reward.id,
                            entitlement_id=plan.entitlement.id if plan.entitlement else None,
                            cost=plan.cost, state=state, created_at=at)
    session.add(redemption)
    session.flush()
    if plan.cost > 0:
        ledger.add_line(session, plan.worker, -plan.cost, LedgerSource.REDEMPTION, actor,
                        reason=f"{plan.reward.code}: {plan.reward.name}",
                        redemption_id=redemption.id, at=at, audit=False)
    if plan.entitlement is not None:
        plan.entitlement.redemption_id = redemption.id
    record(session, actor, "reward.redeem", "redemption", redemption.id,
           after={"worker_id": plan.worker.id, "reward": plan.reward.code, "cost": plan.cost,
                  "entitlement": plan.entitlement.id if plan.entitlement else None,
                  "state": state.value, "event": event_uuid})
    return redemption


def by_uuid(session: Session, uuid: str) -> Redemption:
    found = session.scalars(select(Redemption).where(Redemption.event_uuid == uuid)).first()
    if found is None:
        raise NotFound(f"no redemption {uuid}")
    return found


def _decide(session: Session, redemption: Redemption, to: RedemptionState,
            allowed: tuple[RedemptionState, ...], actor: str, note: str | None) -> None:
    if redemption.state not in allowed:
        raise Conflict(f"redemption {redemption.event_uuid} is {redemption.state.value}")
    before = redemption.state.value
    redemption.state = to
    redemption.decided_at = utcnow()
    redemption.decided_by = actor
    redemption.note = (note or "").strip() or redemption.note
    record(session, actor, f"redemption.{to.value}", "redemption", redemption.id,
           before={"state": before},
           after={"state": to.value, "worker_id": redemption.worker_id,
                  "reward": redemption.reward.code, "note": redemption.note})


def approve(session: Session, redemption: Redemption, actor: str) -> None:
    _decide(session, redemption, RedemptionState.PENDING,
            (RedemptionState.PENDING_APPROVAL,), actor, None)


def hand_over(session: Session, redemption: Redemption, actor: str,
              note: str | None = None) -> None:
    """Only an approved (pending) redemption is handed over."""
    if redemption.state is RedemptionState.PENDING_APPROVAL:
        raise Conflict(f"redemption {redemption.event_uuid} waits for approval first")
    _decide(session, redemption, RedemptionState.HANDED_OVER, (RedemptionState.PENDING,),
            actor, note)


def cancel(session: Session, redemption: Redemption, actor: str, note: str | None) -> None:
    """Cancel an open redemption: the points back (a refund line), the stock back, the
    entitlement free again."""
    _decide(session, redemption, RedemptionState.CANCELLED, OPEN_STATES, actor, note)
    if redemption.cost > 0:
        ledger.add_line(session, redemption.worker, redemption.cost, LedgerSource.REFUND,
                        actor, reason=f"{redemption.reward.code}: cancelled",
                        redemption_id=redemption.id, audit=False)
    if redemption.reward.stock is not None:
        session.execute(update(_REWARDS).where(_REWARDS.c.id == redemption.reward_id)
                        .values(stock=_REWARDS.c.stock + 1))
        session.expire(redemption.reward, ["stock"])
    if redemption.entitlement_id is not None:
        entitlement = session.get(Entitlement, redemption.entitlement_id)
        if entitlement is not None and entitlement.redemption_id == redemption.id:
            entitlement.redemption_id = None


def redemption_dict(redemption: Redemption) -> dict[str, Any]:
    return {"uuid": redemption.event_uuid, "worker": redemption.worker.code,
            "worker_name": redemption.worker.name, "reward": redemption.reward.code,
            "reward_name": redemption.reward.name, "at": redemption.created_at.isoformat(),
            "state": redemption.state.value, "cost": redemption.cost, "id": redemption.id,
            "note": redemption.note, "decided_by": redemption.decided_by}


def open_for_worker(session: Session, worker: Worker) -> list[dict[str, Any]]:
    rows = session.scalars(select(Redemption).where(
        Redemption.worker_id == worker.id, Redemption.state.in_(OPEN_STATES))
        .order_by(Redemption.id.desc()).limit(MAX_LISTED))
    return [{"uuid": r.event_uuid, "reward": r.reward.code, "state": r.state.value,
             "at": r.created_at.isoformat()} for r in rows]


def queue(session: Session, workshop_ids: set[int] | None,
          states: tuple[RedemptionState, ...] = OPEN_STATES) -> list[Redemption]:
    """Open redemptions, oldest first; `workshop_ids` None is every workshop."""
    query = (select(Redemption).join(Worker, Redemption.worker_id == Worker.id)
             .where(Redemption.state.in_(states))
             .order_by(Redemption.id).limit(MAX_LISTED))
    if workshop_ids is not None:
        query = query.where(Worker.workshop_id.in_(workshop_ids))
    return list(session.scalars(query))


def cash_handed_over(session: Session, start: datetime, end: datetime,
                     workshop_id: int | None = None) -> list[Redemption]:
    """Cash rewards handed over in [start, end): what the payroll export pays for them."""
    query = (select(Redemption).join(Reward, Redemption.reward_id == Reward.id)
             .join(Worker, Redemption.worker_id == Worker.id)
             .where(Redemption.state == RedemptionState.HANDED_OVER,
                    Reward.cash.is_not(None), Redemption.decided_at >= start,
                    Redemption.decided_at < end)
             .order_by(Worker.code, Redemption.id))
    if workshop_id is not None:
        query = query.where(Worker.workshop_id == workshop_id)
    return list(session.scalars(query))
