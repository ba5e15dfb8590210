"""Fault and quality reasons: the list HR keeps of why a machine stopped or a part is bad.

A worker picks one by its picture at the kiosk when reporting a machine_fault (`fault`) or
a quality_issue (`issue`); the alert keeps the reason's `code`, and the wall, the admin and
the kiosk show its name (and picture) instead. A reason is retired (`active` False), never
deleted, so old alerts keep their names.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.alerts import AlertKind
from server.models.base import Base, _enum


class FaultReason(Base):
    __tablename__ = "fault_reasons"
    __table_args__ = (UniqueConstraint("code", name="uq_fault_reasons_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, "fault_reason_kind"))
    pictogram: Mapped[str] = mapped_column(String(32), default="other")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
