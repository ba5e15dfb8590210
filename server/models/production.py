"""Production: machines and the per-shift production records scorecards are built from."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, _enum, utcnow
from server.models.people import Worker, Workshop


class RecordSource(enum.StrEnum):
    IMPORT = "import"
    MES = "mes"
    KIOSK = "kiosk"
    MANUAL = "manual"


class Machine(Base):
    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)

    workshop: Mapped[Workshop] = relationship()


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
