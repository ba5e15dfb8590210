"""A period's totals per worker, read from the day sums kept on write
(scores/aggregates.py): what `inputs.load_totals` returns when the sums are dated in the
zone asked for. One grouped pass over at most a row per worker and day, whatever the
records behind it, and one over the metrics' day sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from math import fsum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Metric, WorkerDayMetricSums
from server.scoring import (
    SUM_DIGITS,
    Dim,
    MetricSums,
    Period,
    PeriodSpan,
    PeriodTotals,
    period_span,
)
from server.services.scores import aggregates, period_rollups

if TYPE_CHECKING:
    from server.services.scores.inputs import Among, Person, Training


def _metric_period_sums(session: Session, ids: Among, span: PeriodSpan
                        ) -> dict[int, tuple[tuple[str, MetricSums], ...]]:
    """Each worker's metrics over `span` folded from the day sums, as `metric_sums` folds
    rows: the total and number of values, and the latest day's."""
    folded: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    day = WorkerDayMetricSums
    for worker_id, when, code, total, count in session.connection().execute(
        select(day.worker_id, day.date, Metric.code, day.total, day.count)
        .join(Metric, Metric.id == day.metric_id)
        .where(day.worker_id.in_(ids), day.date.between(span.start, span.end))
        .order_by(day.worker_id, Metric.code, day.date)
    ):
        sums = folded[worker_id].setdefault(code, [[], 0, None, 0.0, 0])
        sums[0].append(total)
        sums[1] += count
        sums[2], sums[3], sums[4] = when, total, count  # ordered by day: the last wins
    return {
        worker_id: tuple(
            (code, MetricSums(total=round(fsum(parts), SUM_DIGITS), count=count,
                              last_date=last, last_total=round(last_total, SUM_DIGITS),
                              last_count=last_count))
            for code, (parts, count, last, last_total, last_count) in sorted(codes.items())
            if count)
        for worker_id, codes in folded.items()
    }


def _rolled_up(span: PeriodSpan) -> str | None:
    """"week" or "month" when `span` is exactly one (rolled up), else None."""
    kind = Period(span.kind)
    if kind in period_rollups.KINDS and period_span(kind, span.start) == span:
        return kind.value
    return None


Metrics = tuple[tuple[str, MetricSums], ...]


def _period_rows(session: Session, ids: Among, kind: str, start: date
                 ) -> tuple[dict[int, tuple[Any, ...]], dict[int, Metrics]]:
    table, metric = period_rollups.PERIODS, period_rollups.PERIOD_METRICS
    connection = session.connection()
    found = {row[0]: tuple(row[1:]) for row in connection.execute(
        select(table.c.worker_id, *(table.c[name] for name in period_rollups.FIELDS))
        .where(table.c.period == kind, table.c.start == start, table.c.worker_id.in_(ids)))}
    metrics: dict[int, list[tuple[str, MetricSums]]] = defaultdict(list)
    for worker_id, code, total, count, last, last_total, last_count in connection.execute(
        select(metric.c.worker_id, Metric.code, metric.c.total, metric.c.count,
               metric.c.last_date, metric.c.last_total, metric.c.last_count)
        .join(Metric, Metric.id == metric.c.metric_id)
        .where(metric.c.period == kind, metric.c.start == start,
               metric.c.worker_id.in_(ids))
        .order_by(metric.c.worker_id, Metric.code)
    ):
        if count:
            metrics[worker_id].append((code, MetricSums(
                total=round(total, SUM_DIGITS), count=count, last_date=last,
                last_total=round(last_total, SUM_DIGITS), last_count=last_count)))
    return found, {worker: tuple(sums) for worker, sums in metrics.items()}


def totals_from_day_sums(
    session: Session, persons: Sequence[Person], ids: Among, span: PeriodSpan,
    training: Training, needs: frozenset[str],
) -> dict[int, PeriodTotals]:
    """`inputs.load_totals` read from the week or month sums for a whole week or month,
    else from the day sums."""
    rolled = _rolled_up(span)
    if rolled is not None:
        found, metrics = _period_rows(session, ids, rolled, span.start)
    else:
        found = {row[0]: row[1:] for row in session.connection().execute(
            aggregates.period_sums_query(ids, span.start, span.end))}
        metrics = _metric_period_sums(session, ids, span)
    empty = (0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0.0, 0, 0.0, 0)
    result = {}
    for person in persons:
        (planned, run, output, defects, records, scheduled, attended, points, entries,
         booked, lines) = found.get(person.id, empty)
        required, completed = (training.counts(person, span.end) if Dim.TRAINING in needs
                               else (0, 0))
        result[person.id] = PeriodTotals(
            planned_minutes=round(float(planned or 0), SUM_DIGITS),
            run_minutes=round(float(run or 0), SUM_DIGITS),
            output=float(output or 0), defects=float(defects or 0),
            production_records=int(records or 0),
            scheduled_days=int(scheduled or 0), attended_days=int(attended or 0),
            points=round(float(points or 0), SUM_DIGITS), point_entries=int(entries or 0),
            required_videos=required, completed_videos=completed,
            adjustment_points=round(float(booked or 0), SUM_DIGITS),
            adjustment_lines=int(lines or 0),
            metrics=metrics.get(person.id, ()),
        )
    return result
