"""Metrics: measures HR defines for scheme dimensions, and their values per worker and shift.

A `Metric` says how its values combine over a period (sum, mean, last, or the ratio of
two other metrics' sums) and which way is better. A `MetricValue` is one worker's value
for one shift, unique on (date, shift, worker, metric): sending the same value again
changes nothing (docs/scoring.md, "Metrics").
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, _enum, utcnow
from server.models.people import Worker
from server.models.production import RecordSource


class Better(enum.StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class Combine(enum.StrEnum):
    SUM = "sum"
    MEAN = "mean"
    LAST = "last"
    RATIO = "ratio"


class Metric(Base):
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(16))
    better: Mapped[Better] = mapped_column(_enum(Better, "metric_better"))
    combine: Mapped[Combine] = mapped_column(_enum(Combine, "metric_combine"))
    # For `ratio`: Σ numerator / Σ denominator over the period.
    numerator_id: Mapped[int | None] = mapped_column(ForeignKey("metrics.id"))
    denominator_id: Mapped[int | None] = mapped_column(ForeignKey("metrics.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    numerator: Mapped[Metric | None] = relationship(foreign_keys=[numerator_id],
                                                    remote_side=[id])
    denominator: Mapped[Metric | None] = relationship(foreign_keys=[denominator_id],
                                                      remote_side=[id])


class MetricValue(Base):
    __tablename__ = "metric_values"
    __table_args__ = (
        UniqueConstraint("date", "shift", "worker_id", "metric_id", name="uq_metric_value_key"),
        Index("ix_metric_values_worker_date", "worker_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), index=True)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[RecordSource] = mapped_column(_enum(RecordSource, "metric_value_source"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    worker: Mapped[Worker] = relationship()
    metric: Mapped[Metric] = relationship()
