"""Typed SQLAlchemy models: the data of DESIGN.md §3.

Nothing here is SQLite-only: timestamps are stored as naive UTC and come back aware
(`UTCDateTime`), enums are checked strings, JSON uses the portable JSON type.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from server.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, stored as naive UTC on every engine."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Role(enum.StrEnum):
    WORKER = "worker"
    SUPERVISOR = "supervisor"


class Language(enum.StrEnum):
    ZH_CN = "zh_CN"
    EN = "en"


class BadgeKind(enum.StrEnum):
    CARD = "card"
    QR = "qr"


class PointLevel(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class EntryStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    VIEWER = "viewer"


class RecordSource(enum.StrEnum):
    IMPORT = "import"
    MES = "mes"
    KIOSK = "kiosk"
    MANUAL = "manual"


class Workshop(Base):
    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    workers: Mapped[list[Worker]] = relationship(back_populates="workshop")


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    language: Mapped[Language] = mapped_column(_enum(Language, "language"), default=Language.ZH_CN)
    role: Mapped[Role] = mapped_column(_enum(Role, "worker_role"), default=Role.WORKER)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    photo_path: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workshop: Mapped[Workshop] = relationship(back_populates="workers")
    badges: Mapped[list[Badge]] = relationship(back_populates="worker")


class Badge(Base):
    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    kind: Mapped[BadgeKind] = mapped_column(_enum(BadgeKind, "badge_kind"))
    # sha256 hex of the upper-case card UID hex, or of the QR secret; never the raw value.
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    worker: Mapped[Worker] = relationship(back_populates="badges")


class Machine(Base):
    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)

    workshop: Mapped[Workshop] = relationship()


kiosk_workshops = Table(
    "kiosk_workshops",
    Base.metadata,
    Column("kiosk_id", ForeignKey("kiosks.id", ondelete="CASCADE"), primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
)


class Kiosk(Base):
    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[str | None] = mapped_column(String(32))
    queue_depth: Mapped[int | None] = mapped_column(Integer)

    workshops: Mapped[list[Workshop]] = relationship(secondary=kiosk_workshops)


class IntegrationToken(Base):
    """A machine-to-machine token (MES/ERP) with a narrow scope, such as `production`."""

    __tablename__ = "integration_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EnrolmentCode(Base):
    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    kiosk: Mapped[Kiosk] = relationship()


class Event(Base):
    __tablename__ = "events"
    # Scorecards read a workshop's badge-ins for a period: by worker and kind, then by time.
    __table_args__ = (
        Index("ix_events_worker_kind_occurred", "worker_id", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # sha256 of the canonical event body: the same UUID with another body is a conflict.
    body_hash: Mapped[str] = mapped_column(String(64))


class ProductionRecord(Base):
    __tablename__ = "production_records"
    __table_args__ = (
        UniqueConstraint("date", "shift", "worker_id", "machine_id", name="uq_production_key"),
        # Scorecards sum a workshop's records for a period by worker; the sums are read
        # from the index alone (covering), never from the table.
        Index("ix_production_worker_date_sums", "worker_id", "date", "planned_minutes",
              "run_minutes", "output", "defects"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    shift: Mapped[str] = mapped_column(String(16))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    planned_minutes: Mapped[float] = mapped_column(Float)
    run_minutes: Mapped[float] = mapped_column(Float)
    output: Mapped[int] = mapped_column(Integer)
    defects: Mapped[int] = mapped_column(Integer)
    source: Mapped[RecordSource] = mapped_column(_enum(RecordSource, "record_source"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    worker: Mapped[Worker] = relationship()
    machine: Mapped[Machine] = relationship()


class PointCategory(Base):
    __tablename__ = "point_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[PointLevel] = mapped_column(_enum(PointLevel, "point_level"))
    points: Mapped[float] = mapped_column(Float)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PointEntry(Base):
    __tablename__ = "point_entries"
    __table_args__ = (Index("ix_point_entries_worker_date", "worker_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("point_categories.id"))
    points: Mapped[float] = mapped_column(Float)
    # The day the points belong to, in the factory's time zone.
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[EntryStatus] = mapped_column(_enum(EntryStatus, "entry_status"))
    reason: Mapped[str | None] = mapped_column(Text)
    given_by_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    given_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[Worker] = relationship(foreign_keys=[worker_id])
    category: Mapped[PointCategory | None] = relationship()


scheme_workshops = Table(
    "scheme_workshops",
    Base.metadata,
    Column("scheme_id", ForeignKey("scoring_schemes.id", ondelete="CASCADE"), primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
)


class ScoringScheme(Base):
    """One version of a scheme. Old versions stay so past periods can be recomputed."""

    __tablename__ = "scoring_schemes"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_scheme_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    # The whole scheme as HR wrote it (DESIGN.md §4), validated by server.schemes.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))

    workshops: Mapped[list[Workshop]] = relationship(secondary=scheme_workshops)


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus, "appeal_status"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    worker: Mapped[Worker] = relationship()


user_workshops = Table(
    "user_workshops",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A web login. A supervisor sees only the workshops linked in `workshops`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workshops: Mapped[list[Workshop]] = relationship(secondary=user_workshops)


class AuditEntry(Base):
    """Append-only, hash-chained: each row's hash covers its content and the previous hash."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Setting(Base):
    """Small server-wide values: the server id, the audit chain head (locked on write)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Display(Base):
    """A wall display link: a TV browser opens /wall/<token>; revoking the link stops it."""

    __tablename__ = "displays"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # None: the display rotates through every workshop.
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id"))
    language: Mapped[Language] = mapped_column(_enum(Language, "language"),
                                               default=Language.ZH_CN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workshop: Mapped[Workshop | None] = relationship()


# The training models live in their own module; importing them here keeps
# `from server.models import TrainingVideo` working and registers their tables.
from server.models.training import (  # noqa: E402,F401
    TrainingProgress,
    TrainingVideo,
    video_workshops,
)
