"""Tier reward menus: when a period closes, each worker holding a tier gets one
entitlement to a reward of that tier's menu (the active rewards whose `menus` name the
tier), redeemed at no cost with a `reward_redeem` naming the entitlement.

An entitlement is granted once per worker, period and tier: closing a reopened period
again grants nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Entitlement, Reward, SettledPeriod, Worker
from server.services.audit import record


def menu(session: Session, tier: str) -> list[str]:
    """The codes of the active rewards on the tier's menu."""
    return sorted(r.code for r in session.scalars(select(Reward).where(Reward.active.is_(True)))
                  if tier in (r.menus or []))


def grant_for_close(session: Session, period: SettledPeriod,
                    cards: Iterable[dict[str, Any]]) -> int:
    """`cards`: the closed period's snapshot rows (`worker_id`, `tier`, `card`). Returns
    how many entitlements were granted."""
    menus: dict[str, list[str]] = {}
    granted = 0
    for row in cards:
        tier = row.get("tier")
        if not tier:
            continue
        if tier not in menus:
            menus[tier] = menu(session, tier)
        if not menus[tier]:
            continue
        exists = session.scalars(select(Entitlement.id).where(
            Entitlement.worker_id == row["worker_id"], Entitlement.period_id == period.id,
            Entitlement.tier == tier)).first()
        if exists is not None:
            continue
        tier_info = (row.get("card") or {}).get("tier") or {}
        session.add(Entitlement(worker_id=row["worker_id"], period_id=period.id,
                                period_key=period.key, tier=tier,
                                tier_name=tier_info.get("name")))
        granted += 1
    if granted:
        session.flush()
        record(session, period.closed_by or "system", "entitlement.grant", "period",
               f"{period.workshop.code}/{period.key}", after={"granted": granted})
    return granted


def open_for_worker(session: Session, worker: Worker) -> list[dict[str, Any]]:
    rows = session.scalars(select(Entitlement).where(
        Entitlement.worker_id == worker.id, Entitlement.redemption_id.is_(None))
        .order_by(Entitlement.id.desc()))
    menus: dict[str, list[str]] = {}
    out = []
    for e in rows:
        if e.tier not in menus:
            menus[e.tier] = menu(session, e.tier)
        out.append({"id": e.id, "tier": e.tier, "tier_name": e.tier_name,
                    "period": e.period_key, "rewards": menus[e.tier]})
    return out
