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


class BadgeDigest(enum.StrEnum):
    """How a badge's `credential_hash` was made (shopfloor_trust/cards.py)."""

    KEYED = "keyed"  # a card: scrypt with the site key; what rosters carry
    SHA256 = "sha256"  # a QR badge: sha256 of its 192-bit random secret
    LEGACY = "legacy"  # a card enrolled before keyed digests: never sent to a kiosk;
    # upgraded the first time the card is tapped (people/badges.py)


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
    # What else is known of the PIN: its length (None: set before lengths were kept) and
    # its 6-bit typo check (shopfloor_trust/pins.py), the only part a kiosk is sent.
    pin_digits: Mapped[int | None] = mapped_column(Integer)
    pin_check: Mapped[int | None] = mapped_column(Integer)
    # Wrong PINs in the seals of this supervisor's acts since HR last unlocked them; at
    # MAX_WRONG_PINS the acts are locked (`pin_locked_at`) until HR unlocks them, which
    # counts `pin_epoch` up so kiosks forget their own counts too.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pin_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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
    # A digest of the card number or the QR secret (see `digest`); never the raw value.
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[BadgeDigest] = mapped_column(_enum(BadgeDigest, "badge_digest"),
                                                default=BadgeDigest.KEYED,
                                                server_default=BadgeDigest.KEYED.value)
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
