"""People and where they work: workshops, workers and their badges, web login users."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Language, UTCDateTime, _enum, utcnow


class Role(enum.StrEnum):
    WORKER = "worker"
    SUPERVISOR = "supervisor"


class BadgeKind(enum.StrEnum):
    CARD = "card"
    QR = "qr"


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    VIEWER = "viewer"


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


user_workshops = Table(
    "user_workshops",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A web login. A supervisor sees only the workshops linked in `workshops`.

    `session_epoch` is in every session cookie of the user; logging out or a new password
    counts it up, which ends every copy of every session the user had. A user made with a
    generated password (`must_change_password`) can open nothing but the password form.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workshops: Mapped[list[Workshop]] = relationship(secondary=user_workshops)


class LoginThrottle(Base):
    """Failed logins counted under one key: a client address or a user name, each kept
    only as a sha256 digest (a name typed at the login form may be a password typed into
    the wrong box). Rules and numbers: server/services/people/throttle.py."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
