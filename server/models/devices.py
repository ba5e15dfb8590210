"""Devices that talk to the server: kiosks and their enrolment codes, integration tokens,
wall displays, and the server's own small settings (its id among them)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Language, UTCDateTime, _enum, utcnow
from server.models.people import Workshop

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


integration_token_workshops = Table(
    "integration_token_workshops",
    Base.metadata,
    Column("token_id", ForeignKey("integration_tokens.id", ondelete="CASCADE"),
           primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
)


class IntegrationToken(Base):
    """A machine-to-machine token (MES/ERP) with a narrow scope, such as `production`,
    limited to `workshops` when any are listed (none: every workshop)."""

    __tablename__ = "integration_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workshops: Mapped[list[Workshop]] = relationship(secondary=integration_token_workshops)


class EnrolmentCode(Base):
    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    kiosk: Mapped[Kiosk] = relationship()


class NameStyle(enum.StrEnum):
    """How a wall display names the workers it celebrates (server/wall/board.py): the whole
    name, the name masked to its first and last characters (王*明; the default, PIPL-
    friendly: colleagues recognise it, a passer-by or a photo of the TV learns little), or
    the worker's code only."""

    FULL = "full"
    MASKED = "masked"
    CODE = "code"


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
    names: Mapped[NameStyle] = mapped_column(_enum(NameStyle, "name_style"),
                                             default=NameStyle.MASKED,
                                             server_default=NameStyle.MASKED.value)

    workshop: Mapped[Workshop | None] = relationship()


class UnknownTap(Base):
    """A badge no worker holds, tapped at a kiosk: for HR's "tap at kiosk X now" page. A
    card's number came over the pinned TLS link so that HR can give the card out; it is
    kept at most UNKNOWN_TAP_HOURS (people/badges.py deletes older rows) and never logged."""

    __tablename__ = "unknown_taps"

    id: Mapped[int] = mapped_column(primary_key=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))  # card | qr
    number: Mapped[str | None] = mapped_column(String(64))  # a card's number, upper hex
    digest: Mapped[str] = mapped_column(String(64))  # keyed (card) or sha256 (QR)
    event_uuid: Mapped[str | None] = mapped_column(String(36))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    kiosk: Mapped[Kiosk | None] = relationship()


class RefusedSeal(Base):
    """A seal whose PIN was wrong: counted once against its supervisor however many events
    of the act carry it, and refused again the same way if sent again."""

    __tablename__ = "refused_seals"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    refused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(Base):
    """Small server-wide values: the server id, the audit chain head (locked on write)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
