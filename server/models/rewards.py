"""The points account and what it buys: ledger lines, the reward catalogue, redemptions
and the tier entitlements a closed period grants.

`LedgerLine` (table `points_ledger`) is the worker's account: one line for every approved
point entry (remark, approved claim, HR line, appeal award), and lines that never touch a
score (tier awards, redemptions, refunds, adjustments, a leaver's payout or forfeit). The
balance is the sum of the lines; it never resets.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from server.models.base import Base, UTCDateTime, _enum, utcnow
from server.models.people import Worker


class LedgerSource(enum.StrEnum):
    REMARK = "remark"
    CLAIM = "claim"
    HR = "hr"
    TIER_AWARD = "tier_award"
    REDEMPTION = "redemption"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    PAYOUT = "payout"
    FORFEIT = "forfeit"


class RedemptionState(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    PENDING = "pending"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


class LedgerLine(Base):
    __tablename__ = "points_ledger"
    __table_args__ = (Index("ix_points_ledger_worker_id", "worker_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    points: Mapped[float] = mapped_column(Float)
    source: Mapped[LedgerSource] = mapped_column(_enum(LedgerSource, "ledger_source"))
    reason: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("point_categories.id"))
    # The approved point entry behind the line: at most one line for each.
    point_entry_id: Mapped[int | None] = mapped_column(ForeignKey("point_entries.id"),
                                                       unique=True)
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    created_by: Mapped[str] = mapped_column(String(100))

    worker: Mapped[Worker] = relationship()


class Reward(Base):
    """A catalogue item. `stock` None is unlimited; `tier` restricts it to workers who held
    that tier in their workshop's last closed period; `menus` lists the scheme tiers whose
    reward menu offers it (an entitlement redeems it at no cost); `cash` is its money value
    when it is a cash choice (in the payroll export)."""

    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    cost: Mapped[float] = mapped_column(Float)
    stock: Mapped[int | None] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(32))
    menus: Mapped[list[Any]] = mapped_column(JSON, default=list)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    cash: Mapped[float | None] = mapped_column(Float)
    picture: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    picture_sha256: Mapped[str | None] = mapped_column(String(64))
    # The pictogram the kiosk shows beside (or without) the photo; services/pictograms.
    pictogram: Mapped[str] = mapped_column(String(32), default="gift", server_default="gift")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Entitlement(Base):
    """One reward of a tier's menu, granted to a worker who held the tier when a period
    closed; used by the redemption that chose it."""

    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("worker_id", "period_id", "tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    period_key: Mapped[str] = mapped_column(String(10))
    tier: Mapped[str] = mapped_column(String(32))
    tier_name: Mapped[str | None] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))

    worker: Mapped[Worker] = relationship()


class Redemption(Base):
    """A reward a worker chose at the kiosk (`event_uuid` is the reward_redeem event's):
    pending_approval (when the reward needs it) -> pending -> handed_over | cancelled."""

    __tablename__ = "redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    entitlement_id: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[float] = mapped_column(Float)
    state: Mapped[RedemptionState] = mapped_column(_enum(RedemptionState, "redemption_state"),
                                                   index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)

    worker: Mapped[Worker] = relationship()
    reward: Mapped[Reward] = relationship()
