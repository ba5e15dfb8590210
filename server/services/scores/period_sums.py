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

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.models import Metric, Worker, WorkerDayMetricSums
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


def _period_queries(ids: Any) -> tuple[Any, Any]:
    """The two reads of `_period_rows` for the workers `ids` (a subquery or a list), of
    the period named by the parameters `period` and `start`."""
    table, metric = period_rollups.PERIODS, period_rollups.PERIOD_METRICS
    sums = (select(table.c.worker_id, *(table.c[name] for name in period_rollups.FIELDS))
            .where(table.c.period == bindparam("period"), table.c.start == bindparam("start"),
                   table.c.worker_id.in_(ids)))
    metrics = (select(metric.c.worker_id, Metric.code, metric.c.total, metric.c.count,
                      metric.c.last_date, metric.c.last_total, metric.c.last_count)
               .join(Metric, Metric.id == metric.c.metric_id)
               .where(metric.c.period == bindparam("period"),
                      metric.c.start == bindparam("start"), metric.c.worker_id.in_(ids))
               .order_by(metric.c.worker_id, Metric.code))
    return sums, metrics


# Built once, for a whole workshop (the parameter `shop`): what a standing reads.
_WORKSHOP_PERIOD = _period_queries(
    select(Worker.id).where(Worker.workshop_id == bindparam("shop")).scalar_subquery())


def _period_rows(session: Session, ids: Among, kind: str, start: date,
                 workshop_id: int | None = None,
                 ) -> tuple[dict[int, tuple[Any, ...]], dict[int, Metrics]]:
    """The week or month sums of `kind` starting on `start` of the workers `ids`; with
    `workshop_id`, `ids` are that workshop's workers (read by a statement built once)."""
    params: dict[str, Any] = {"period": kind, "start": start}
    if workshop_id is not None:
        sums, metric_sums = _WORKSHOP_PERIOD
        params["shop"] = workshop_id
    else:
        sums, metric_sums = _period_queries(ids)
    connection = session.connection()
    # (.all(): a workshop's rows fetched at once, not one by one)
    found = {row[0]: tuple(row[1:]) for row in connection.execute(sums, params).all()}
    metrics: dict[int, list[tuple[str, MetricSums]]] = defaultdict(list)
    for worker_id, code, total, count, last, last_total, last_count in connection.execute(
            metric_sums, params).all():
        if count:
            metrics[worker_id].append((code, MetricSums(
                total=round(total, SUM_DIGITS), count=count, last_date=last,
                last_total=round(last_total, SUM_DIGITS), last_count=last_count)))
    return found, {worker: tuple(sums) for worker, sums in metrics.items()}


def totals_from_day_sums(
    session: Session, persons: Sequence[Person], ids: Among, span: PeriodSpan,
    training: Training, needs: frozenset[str], workshop_id: int | None = None,
) -> dict[int, PeriodTotals]:
    """`inputs.load_totals` read from the week or month sums for a whole week or month,
    else from the day sums. `workshop_id`: `ids` are that workshop's workers."""
    rolled = _rolled_up(span)
    if rolled is not None:
        found, metrics = _period_rows(session, ids, rolled, span.start, workshop_id)
    else:
        found = {row[0]: row[1:] for row in session.connection().execute(
            aggregates.period_sums_query(ids, span.start, span.end)).all()}
        metrics = _metric_period_sums(session, ids, span)
    empty = (0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0.0, 0, 0.0, 0)
    result = {}
    counts = training.counts if Dim.TRAINING in needs else None
    end = span.end
    for person in persons:
        (planned, run, output, defects, records, scheduled, attended, points, entries,
         booked, lines) = found.get(person.id, empty)
        required, completed = (0, 0) if counts is None else counts(person, end)
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
