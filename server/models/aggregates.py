"""Sums kept on write for the scoring engine (services/scores/aggregates.py).

`worker_day_sums` holds, per worker and factory day, every sum a period's totals are made
of: production (planned and run minutes, output, defects, records), badge-ins, approved
point entries, adjustment lines booked that day. `worker_day_metric_sums` does the same for
each metric's values. Both are derived data: `shopfloor-server aggregates rebuild`
recomputes them from the records, and `--check` compares. `worker_period_sums` and
`worker_period_metric_sums` roll the day sums up per week and month.

`score_stamps` counts changes per workshop and day: a standing cached for a workshop and
period stays valid while the stamps of its days (and of the period before) do not move.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base


class WorkerDaySums(Base):
    __tablename__ = "worker_day_sums"

    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    planned_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    run_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    output: Mapped[float] = mapped_column(Float, default=0.0)
    defects: Mapped[float] = mapped_column(Float, default=0.0)
    production_records: Mapped[int] = mapped_column(Integer, default=0)
    badge_ins: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    point_entries: Mapped[int] = mapped_column(Integer, default=0)
    adjustment_points: Mapped[float] = mapped_column(Float, default=0.0)
    adjustment_lines: Mapped[int] = mapped_column(Integer, default=0)


class WorkerDayMetricSums(Base):
    __tablename__ = "worker_day_metric_sums"

    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), primary_key=True)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    count: Mapped[int] = mapped_column(Integer, default=0)


class WorkerPeriodSums(Base):
    """A week's or month's sums per worker, rolled up from the day sums as they change:
    a workshop's standing reads a row per worker, not one per worker and day."""

    __tablename__ = "worker_period_sums"
    __table_args__ = (Index("ix_worker_period_sums_span", "period", "start", "worker_id"),)

    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    planned_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    run_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    output: Mapped[float] = mapped_column(Float, default=0.0)
    defects: Mapped[float] = mapped_column(Float, default=0.0)
    production_records: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_days: Mapped[int] = mapped_column(Integer, default=0)
    attended_days: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    point_entries: Mapped[int] = mapped_column(Integer, default=0)
    adjustment_points: Mapped[float] = mapped_column(Float, default=0.0)
    adjustment_lines: Mapped[int] = mapped_column(Integer, default=0)


class WorkerPeriodMetricSums(Base):
    """A week's or month's values of one metric per worker: the sum and number, and the
    latest day's (for metrics combined by `last`)."""

    __tablename__ = "worker_period_metric_sums"

    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id"), primary_key=True)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_date: Mapped[date] = mapped_column(Date)
    last_total: Mapped[float] = mapped_column(Float, default=0.0)
    last_count: Mapped[int] = mapped_column(Integer, default=0)


class ScoreStamp(Base):
    __tablename__ = "score_stamps"

    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    stamp: Mapped[int] = mapped_column(Integer, default=0)
