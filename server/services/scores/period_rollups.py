"""Week and month sums per worker, rolled up from the day sums (models/aggregates.py).

A workshop's standing for a week or a month then reads one row per worker instead of one
per worker and day: 200 rows for a 200-worker month, not 5,000. `aggregates.refresh`
rolls up again the weeks and months of the days it rewrote, in the same transaction;
`aggregates.rebuild` rolls up everything. `rollup` is the one function both use: pure,
from day sums to period sums.

Scheduled days are days with planned minutes; attended days are scheduled days with a
badge-in, as `PeriodTotals` counts them. A metric's period row keeps the latest day's
values beside the sum, for metrics combined by `last`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from math import fsum
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, tuple_
from sqlalchemy.orm import Session

from server.models import (
    WorkerDayMetricSums,
    WorkerDaySums,
    WorkerPeriodMetricSums,
    WorkerPeriodSums,
)
from server.scoring import Period, period_span

KINDS = (Period.WEEK, Period.MONTH)
# WorkerPeriodSums' sums in column order (after worker, period and start).
FIELDS = ("planned_minutes", "run_minutes", "output", "defects", "production_records",
          "scheduled_days", "attended_days", "points", "point_entries", "adjustment_points",
          "adjustment_lines")
PERIODS = cast(Table, WorkerPeriodSums.__table__)
PERIOD_METRICS = cast(Table, WorkerPeriodMetricSums.__table__)
_DAYS = cast(Table, WorkerDaySums.__table__)
_DAY_METRICS = cast(Table, WorkerDayMetricSums.__table__)

PeriodKey = tuple[int, str, date]  # worker, "week" or "month", first day


def periods_of(worker: int, day: date) -> list[PeriodKey]:
    return [(worker, kind.value, period_span(kind, day).start) for kind in KINDS]


def rollup(days: Mapping[tuple[int, date], list[Any]],
           metrics: Mapping[tuple[int, date, int], list[Any]],
           only: set[PeriodKey] | None = None,
           ) -> tuple[dict[PeriodKey, list[Any]], dict[tuple[int, str, date, int], list[Any]]]:
    """Period sums (FIELDS order) and period metric sums ([total, count, last_date,
    last_total, last_count]) from day sums (the day table's order) and day metric sums
    ([total, count]); `only` limits them to these periods."""
    parts: dict[PeriodKey, list[list[Any]]] = defaultdict(list)
    for (worker, day), sums in days.items():
        for key in periods_of(worker, day):
            if only is None or key in only:
                parts[key].append(sums)
    periods = {}
    for key, rows in parts.items():
        column = list(zip(*rows, strict=True))
        planned, badges = column[0], column[5]
        scheduled = sum(1 for p in planned if p > 0)
        attended = sum(1 for p, b in zip(planned, badges, strict=True) if p > 0 and b > 0)
        periods[key] = [fsum(column[0]), fsum(column[1]), fsum(column[2]), fsum(column[3]),
                        sum(column[4]), scheduled, attended, fsum(column[6]), sum(column[7]),
                        fsum(column[8]), sum(column[9])]
    folded: dict[tuple[int, str, date, int], list[Any]] = {}
    for (worker, day, metric), (total, count) in sorted(metrics.items(),
                                                       key=lambda item: item[0][1]):
        for worker_, kind, start in periods_of(worker, day):
            if only is not None and (worker_, kind, start) not in only:
                continue
            held = folded.setdefault((worker, kind, start, metric), [[], 0, day, 0.0, 0])
            held[0].append(total)
            held[1] += count
            held[2], held[3], held[4] = day, total, count  # in day order: the last wins
    return periods, {key: [fsum(v[0]), v[1], v[2], v[3], v[4]] for key, v in folded.items()}


def _day_rows(session: Session, workers: Iterable[int], first: date, last: date
              ) -> tuple[dict[tuple[int, date], list[Any]], dict[tuple[int, date, int], list[Any]]]:
    ids = sorted(set(workers))
    connection = session.connection()
    days = {(row[0], row[1]): list(row[2:]) for row in connection.execute(
        select(_DAYS).where(_DAYS.c.worker_id.in_(ids), _DAYS.c.date.between(first, last)))}
    metrics = {(row[0], row[1], row[2]): list(row[3:]) for row in connection.execute(
        select(_DAY_METRICS).where(_DAY_METRICS.c.worker_id.in_(ids),
                                   _DAY_METRICS.c.date.between(first, last)))}
    return days, metrics


def refresh_periods(session: Session, keys: Iterable[tuple[int, date]]) -> None:
    """Roll up again the weeks and months of these (worker, day) from the day sums."""
    only = {key for worker, day in keys for key in periods_of(worker, day)}
    if not only:
        return
    spans = [period_span(kind, start) for _, kind, start in only]
    days, metrics = _day_rows(session, (w for w, _, _ in only),
                              min(s.start for s in spans), max(s.end for s in spans))
    periods, period_metrics = rollup(days, metrics, only)
    connection = session.connection()
    marked = sorted(only)
    for table in (PERIODS, PERIOD_METRICS):
        connection.execute(delete(table).where(
            tuple_(table.c.worker_id, table.c.period, table.c.start).in_(marked)))
    write(session, periods, period_metrics)


def write(session: Session, periods: Mapping[PeriodKey, list[Any]],
          metrics: Mapping[tuple[int, str, date, int], list[Any]]) -> None:
    rows = [{"worker_id": w, "period": k, "start": s, **dict(zip(FIELDS, v, strict=True))}
            for (w, k, s), v in sorted(periods.items())]
    metric_rows = [{"worker_id": w, "period": k, "start": s, "metric_id": m, "total": v[0],
                    "count": v[1], "last_date": v[2], "last_total": v[3], "last_count": v[4]}
                   for (w, k, s, m), v in sorted(metrics.items())]
    connection = session.connection()
    for table, found in ((PERIODS, rows), (PERIOD_METRICS, metric_rows)):
        for begin in range(0, len(found), 10_000):
            connection.execute(insert(table), found[begin:begin + 10_000])


def stored(session: Session) -> tuple[dict[PeriodKey, list[Any]],
                                      dict[tuple[int, str, date, int], list[Any]]]:
    connection = session.connection()
    periods = {(r[0], r[1], _day(r[2])): list(r[3:]) for r in connection.execute(select(PERIODS))}
    metrics = {(r[0], r[1], _day(r[2]), r[3]): [r[4], r[5], _day(r[6]), r[7], r[8]]
               for r in connection.execute(select(PERIOD_METRICS))}
    return periods, metrics


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
