"""The day sums scoring reads, kept on write (models/aggregates.py).

Per worker and factory day, `worker_day_sums` holds what a period's totals are made of and
`worker_day_metric_sums` each metric's values; `score_stamps` counts, per workshop and
day, the changes to them, which is what a cached standing is keyed by
(`standings.cached_standing`).

How they stay right. Every write that can change a sum marks the (worker, day) it touches
in the session (scores/aggregate_marks.py: ORM writes by hooks, Core writes by their
writer with `mark_days` / `mark_events`). Before the transaction commits, and before
scoring reads in it, the marked days are summed again from their records (`settle`): a
recount of a few days rather than arithmetic on deltas, so a sum can never drift from its
records, and it happens in the writer's own transaction on both engines. Only days whose
sums changed are rewritten, and their workshops' days rolled up and stamped only when
what scoring reads changed (a second badge-in the same day stamps nothing). The one
delta: badge-in events a batch inserted (`mark_added_badge_ins`) raise their days' counts
by as many (`_add_badge_ins`), as a shift change's taps are most of what is written; the
rebuild check compares those counts with the events like every other sum.

The zone. A badge-in's day is the factory's calendar day, so the sums are dated in one
zone, stored with them (setting `aggregates.zone`). Until a zone is stored the tables are
"not built": writers leave them alone and readers read the records; the server builds them
at its start (`establish`, in its zone, committed before workers fork), as does
`aggregates rebuild`. A reader asking in another zone reads the records too (`zone_of`
tells which), and the standings cache keeps nothing for it.

`rebuild` recomputes everything; with `check` it changes nothing and lists each
difference (`shopfloor-server aggregates rebuild [--check]`).

Purged records. The retention purge (services/privacy/retention.py) deletes badge-in
events older than the site keeps them, but a day's sums must outlive them. Before it
deletes, it stores the first factory day whose badge-ins are still held (setting
`aggregates.badges_kept_before`, `keep_badges_before`); for every day before it, summing
again (`refresh`, `rebuild`, `--check`) takes the badge-ins from the stored day sums
instead of counting the events, so the purged days keep their sums and agree with "the
records".
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Table,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import insert as core_insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from server.models import (
    Adjustment,
    EntryStatus,
    Event,
    MetricValue,
    PointEntry,
    ProductionRecord,
    ScoreStamp,
    Setting,
    Worker,
    WorkerDayMetricSums,
    WorkerDaySums,
)
from server.scoring import day_starts
from server.services.scores import period_rollups
from server.services.scores.aggregate_marks import (
    BADGE_IN,
    Key,
    has_marks,
    mark_added_badge_ins,
    mark_days,
    mark_events,
    take_marks,
)

__all__ = ["badges_kept_before", "establish", "keep_badges_before", "mark_added_badge_ins",
           "mark_days", "mark_events", "period_sums_query", "rebuild", "refresh", "settle",
           "span_stamp", "stored_rows", "zone_of"]

ZONE_KEY = "aggregates.zone"
_ZONE = "aggregates.zone"
# The first factory day whose badge-in events are all still held (an ISO date); the
# badge-ins of earlier days are kept in the day sums, their events purged.
KEPT_KEY = "aggregates.badges_kept_before"
_KEPT = "aggregates.badges_kept_before"  # session.info: read once a transaction
# The sums of a day, in WorkerDaySums' column order (after worker and date).
FIELDS = ("planned_minutes", "run_minutes", "output", "defects", "production_records",
          "badge_ins", "points", "point_entries", "adjustment_points", "adjustment_lines")
_EMPTY = (0.0, 0.0, 0.0, 0.0, 0, 0, 0.0, 0, 0.0, 0)
# Digits kept when comparing sums (`rebuild(check=True)`): floats added in another order
# may differ in the last place.
_CHECK_DIGITS = 6

_DAY_TABLE = cast(Table, WorkerDaySums.__table__)
_METRIC_TABLE = cast(Table, WorkerDayMetricSums.__table__)
_STAMP_TABLE = cast(Table, ScoreStamp.__table__)


def _before_commit(session: Session) -> None:
    settle(session)


def _forget(session: Session, *_args: Any) -> None:
    take_marks(session)
    session.info.pop(_ZONE, None)
    session.info.pop(_KEPT, None)


event.listen(Session, "before_commit", _before_commit)
event.listen(Session, "after_rollback", _forget)
event.listen(Session, "after_commit", _forget)


# --- the zone ---------------------------------------------------------------------------


# Both read at once, once per transaction that changes sums: a batch of taps needs both,
# and each statement costs more to run through SQLAlchemy than SQLite takes to answer it.
_SETTINGS = select(Setting.key, Setting.value).where(
    or_(Setting.key == ZONE_KEY, Setting.key == KEPT_KEY))


def _read_settings(session: Session) -> None:
    """Note the zone and the purge horizon in the transaction's info, unless noted."""
    found = dict(session.connection().execute(_SETTINGS).all())
    zone, kept = found.get(ZONE_KEY), found.get(KEPT_KEY)
    session.info.setdefault(_ZONE, ZoneInfo(zone) if zone else None)
    session.info.setdefault(_KEPT, date.fromisoformat(kept) if kept else None)


def zone_of(session: Session) -> ZoneInfo | None:
    """The zone the stored sums are dated in; None while they are not built."""
    if _ZONE not in session.info:
        _read_settings(session)
    zone: ZoneInfo | None = session.info[_ZONE]
    return zone


def establish(session: Session, zone: ZoneInfo) -> bool:
    """Build the sums dated in `zone` unless they already are; True when built now."""
    if zone_of(session) == zone:
        return False
    setting = session.get(Setting, ZONE_KEY)
    if setting is None:
        session.add(Setting(key=ZONE_KEY, value=zone.key))
    else:
        setting.value = zone.key
    session.flush()
    session.info[_ZONE] = zone
    rebuild(session)
    return True


# --- purged days -------------------------------------------------------------------------


def badges_kept_before(session: Session) -> date | None:
    """The first day whose badge-ins are counted from events; None: every day is."""
    if _KEPT not in session.info:
        _read_settings(session)
    kept: date | None = session.info[_KEPT]
    return kept


def keep_badges_before(session: Session, day: date) -> date:
    """From now on take the badge-ins of the days before `day` from the stored sums (the
    caller then deletes their events); the horizon only moves forward. Returns it."""
    current = badges_kept_before(session)
    if current is not None and current >= day:
        return current
    setting = session.get(Setting, KEPT_KEY)
    if setting is None:
        session.add(Setting(key=KEPT_KEY, value=day.isoformat()))
    else:
        setting.value = day.isoformat()
    session.flush()
    session.info[_KEPT] = day
    return day


def _kept_badges(session: Session, ids: list[int] | None, first: date | None,
                 last: date | None) -> tuple[date | None, dict[Key, int]]:
    """The horizon and the stored badge-ins of the days before it (within first..last)."""
    horizon = badges_kept_before(session)
    if horizon is None or (first is not None and first >= horizon):
        return horizon, {}
    day = _DAY_TABLE
    where = [day.c.date < horizon, day.c.badge_ins > 0]
    if ids is not None:
        where.append(day.c.worker_id.in_(ids))
    if first is not None and last is not None:
        where.append(day.c.date.between(first, last))
    return horizon, {(worker, _as_date(when)): int(count) for worker, when, count in
                     session.connection().execute(
                         select(day.c.worker_id, day.c.date, day.c.badge_ins).where(*where))}


# --- summing ----------------------------------------------------------------------------


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _day_sums(session: Session, workers: Iterable[int] | None, first: date | None,
              last: date | None, zone: ZoneInfo) -> dict[Key, list[Any]]:
    """The day sums of the records, for the given workers and days (None: all)."""
    connection = session.connection()
    found: dict[Key, list[Any]] = defaultdict(lambda: list(_EMPTY))
    ids = None if workers is None else list(workers)

    def among(column: Any, day: Any) -> list[Any]:
        where = []
        if ids is not None:
            where.append(column.in_(ids))
        if first is not None and last is not None:
            where.append(day.between(first, last))
        return where

    record = ProductionRecord
    for worker, day, planned, run, output, defects, count in connection.execute(
            select(record.worker_id, record.date, func.sum(record.planned_minutes),
                   func.sum(record.run_minutes), func.sum(record.output),
                   func.sum(record.defects), func.count())
            .where(*among(record.worker_id, record.date))
            .group_by(record.worker_id, record.date)):
        found[(worker, _as_date(day))][0:5] = [float(planned or 0), float(run or 0),
                                               float(output or 0), float(defects or 0),
                                               int(count)]
    entry = PointEntry
    for worker, day, total, count in connection.execute(
            select(entry.worker_id, entry.date, func.sum(entry.points), func.count())
            .where(entry.status == EntryStatus.APPROVED, *among(entry.worker_id, entry.date))
            .group_by(entry.worker_id, entry.date)):
        found[(worker, _as_date(day))][6:8] = [float(total or 0), int(count)]
    line = Adjustment
    for worker, day, total, count in connection.execute(
            select(line.worker_id, line.booked_on, func.sum(line.points), func.count())
            .where(line.cancelled_at.is_(None), *among(line.worker_id, line.booked_on))
            .group_by(line.worker_id, line.booked_on)):
        found[(worker, _as_date(day))][8:10] = [float(total or 0), int(count)]
    horizon, kept = _kept_badges(session, ids, first, last)
    for key, count in _badge_counts(session, ids, first, last, zone).items():
        if horizon is None or key[1] >= horizon:
            found[key][5] = count
    for key, count in kept.items():
        found[key][5] = count
    return found


def _badge_counts(session: Session, ids: list[int] | None, first: date | None,
                  last: date | None, zone: ZoneInfo) -> dict[Key, int]:
    """Badge-ins per worker and factory day: dated by PostgreSQL, which knows the zones,
    else from the timestamps (a bisection over the days' UTC starts)."""
    where: list[Any] = [Event.kind == BADGE_IN, Event.worker_id.is_not(None)]
    counts: dict[Key, int] = defaultdict(int)
    if ids is not None:
        where.append(Event.worker_id.in_(ids))
    if first is not None and last is not None:
        _, bounds = day_starts(first, last, zone)
        where += [Event.occurred_at >= bounds[0], Event.occurred_at < bounds[-1]]
    connection = session.connection()
    if session.get_bind().dialect.name == "postgresql":
        local = sql_cast(func.timezone(zone.key, func.timezone("UTC", Event.occurred_at)), Date)
        for worker, day, count in connection.execute(
                select(Event.worker_id, local, func.count()).where(*where)
                .group_by(Event.worker_id, local)):
            counts[(int(worker or 0), _as_date(day))] = int(count)
        return counts
    rows = connection.execute(select(Event.worker_id, Event.occurred_at).where(*where)
                              .order_by(Event.occurred_at)).all()
    if not rows:
        return counts
    start = rows[0][1].astimezone(zone).date() if first is None else first
    end = rows[-1][1].astimezone(zone).date() if last is None else last
    days, starts = day_starts(start, end, zone)
    for worker, at in rows:
        counts[(int(worker or 0), days[bisect_right(starts, at) - 1])] += 1
    return counts


def _metric_sums(session: Session, ids: list[int] | None, first: date | None,
                 last: date | None) -> dict[tuple[int, date, int], list[Any]]:
    value = MetricValue
    where = []
    if ids is not None:
        where.append(value.worker_id.in_(ids))
    if first is not None and last is not None:
        where.append(value.date.between(first, last))
    return {(worker, _as_date(day), metric): [float(total or 0), int(count)]
            for worker, day, metric, total, count in session.connection().execute(
                select(value.worker_id, value.date, value.metric_id, func.sum(value.value),
                       func.count()).where(*where)
                .group_by(value.worker_id, value.date, value.metric_id))}


# --- settling marked days -----------------------------------------------------------------


def settle(session: Session) -> None:
    """Sum the marked days again, in the session's transaction (before it commits, and
    before scoring reads in it)."""
    pending = session.new or session.dirty or session.deleted
    if not pending and not has_marks(session):
        return
    if pending:
        session.flush()
    days, events, added = take_marks(session)
    zone = zone_of(session) if (days or events or added) else None
    if zone is None:
        return  # not built: the first reader builds them whole
    days.update((worker, at.astimezone(zone).date()) for worker, at in events)
    counted = Counter((worker, at.astimezone(zone).date()) for worker, at in added)
    if counted:
        # A day summed again anyway counts its new badge-ins then; so does a day before
        # the purge horizon, whose count is the stored one.
        horizon = badges_kept_before(session)
        for key in [k for k in counted if k in days or (horizon and k[1] < horizon)]:
            days.add(key)
            del counted[key]
    if days or counted:
        refresh(session, days, zone, added=counted)


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]],
            keys: list[str], add: str) -> None:
    """Insert `rows`, or on a key already there add their `add` column to it."""
    dialect = session.get_bind().dialect.name
    session.connection().execute(_upsert_statement(dialect, table, tuple(keys), add), rows)


@functools.cache
def _upsert_statement(dialect: str, table: Table, keys: tuple[str, ...], add: str) -> Any:
    """Built once per dialect and run with the rows as parameters, which SQLAlchemy sends
    as multi-row statements compiled once: a statement built per call (or with
    `.values(rows)`) costs more to set up and compile than the upsert takes to run."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={add: table.c[add] + statement.excluded[add]})


_BADGES = FIELDS.index("badge_ins")


def _scored(sums: list[Any] | None) -> tuple[Any, ...]:
    """What scoring reads of a day's sums: badge-ins only as "badged in or not", so a
    second tap the same day changes no standing (and stamps nothing)."""
    if sums is None:
        return ()
    view = list(sums)
    view[_BADGES] = sums[_BADGES] > 0
    return tuple(view)


def refresh(session: Session, keys: set[Key], zone: ZoneInfo,
            added: Mapping[Key, int] | None = None) -> None:
    """Sum these days again from their records, and raise the badge-in counts of the days
    in `added` (other days) by as many; rewrite the days whose sums changed, roll up and
    stamp their workshops' days where what scoring reads changed."""
    added = added or {}
    shops = _workshops_of(session, {worker for worker, _ in keys} | {w for w, _ in added})
    # Lock the days' stamp rows first (in one order): on PostgreSQL two transactions
    # summing the same day would otherwise each count the records without the other's
    # uncommitted ones, and the later writer would keep a sum missing the first's. The
    # second waits here until the first commits, then counts both. SQLite needs no row
    # locks: a transaction that marked days has written them, so it holds the database's
    # only write lock since that first write, and no other writer sums meanwhile.
    if session.get_bind().dialect.name != "sqlite":
        _stamp(session, shops, keys | added.keys(), 0)
    moved = _add_badge_ins(session, added) if added else []
    if keys:
        moved += _sum_again(session, keys, zone)
    if moved:
        period_rollups.refresh_periods(session, moved)
        _stamp(session, shops, moved, 1)


_SHOPS = select(Worker.id, Worker.workshop_id).where(
    Worker.id.in_(bindparam("ids", expanding=True)))


def _workshops_of(session: Session, workers: set[int]) -> dict[int, int | None]:
    """The workers' workshops: those the session holds loaded (a batch's workers, flushed
    before settling) without a query, the others read."""
    shops: dict[int, int | None] = {}
    missing = []
    for worker in sorted(workers):
        held = session.identity_map.get(identity_key(Worker, worker))
        if held is not None and "workshop_id" in held.__dict__:
            shops[worker] = held.workshop_id
        else:
            missing.append(worker)
    if missing:
        shops.update(session.connection().execute(_SHOPS, {"ids": missing}).all())
    return shops


@functools.cache
def _badge_upsert(dialect: str) -> Any:
    """`_upsert_statement` of the day sums' badge-ins, returning each day's new count."""
    statement = _upsert_statement(dialect, _DAY_TABLE, ("worker_id", "date"), "badge_ins")
    return statement.returning(_DAY_TABLE.c.worker_id, _DAY_TABLE.c.date,
                               _DAY_TABLE.c.badge_ins)


def _add_badge_ins(session: Session, added: Mapping[Key, int]) -> list[Key]:
    """Add new badge-ins to their days' counts (a day without sums gets a row); the days
    that had none before, the only ones where what scoring reads changed."""
    statement = _badge_upsert(session.get_bind().dialect.name)
    rows = [{**_row(key, list(_EMPTY)), "badge_ins": count}
            for key, count in sorted(added.items())]
    firsts = []
    for worker, day, count in session.connection().execute(statement, rows):
        key = (worker, _as_date(day))
        if count == added[key]:
            firsts.append(key)
    return firsts


def _sum_again(session: Session, keys: set[Key], zone: ZoneInfo) -> list[Key]:
    """Sum these days again from their records and rewrite those whose sums changed; the
    days where what scoring reads changed."""
    by_worker: dict[int, list[date]] = defaultdict(list)
    for worker, day in keys:
        by_worker[worker].append(day)
    days = [day for _, day in keys]
    first, last = min(days), max(days)
    connection = session.connection()
    sums = _day_sums(session, by_worker, first, last, zone)
    metrics = _metric_sums(session, list(by_worker), first, last)
    marked = sorted(keys)
    day_table, metric_table = _DAY_TABLE, _METRIC_TABLE
    held = {(row[0], _as_date(row[1])): list(row[2:]) for row in connection.execute(
        select(day_table).where(tuple_(day_table.c.worker_id, day_table.c.date).in_(marked)))}
    held_metrics: dict[Key, dict[int, list[Any]]] = defaultdict(dict)
    for worker, day, metric, total, count in connection.execute(
            select(metric_table).where(
                tuple_(metric_table.c.worker_id, metric_table.c.date).in_(marked))):
        held_metrics[(worker, _as_date(day))][metric] = [total, count]
    fresh_metrics: dict[Key, dict[int, list[Any]]] = defaultdict(dict)
    for (worker, day, metric), value in metrics.items():
        if (worker, day) in keys:
            fresh_metrics[(worker, day)][metric] = value
    fresh = {key: sums[key] for key in keys if key in sums and any(sums[key])}
    changed = [key for key in marked
               if fresh.get(key) != held.get(key)
               or fresh_metrics.get(key, {}) != held_metrics.get(key, {})]
    if not changed:
        return []
    for table in (day_table, metric_table):
        connection.execute(delete(table).where(
            tuple_(table.c.worker_id, table.c.date).in_(changed)))
    rows = [_row(key, fresh[key]) for key in changed if key in fresh]
    if rows:
        connection.execute(core_insert(day_table), rows)
    metric_rows = [{"worker_id": key[0], "date": key[1], "metric_id": m, "total": t, "count": c}
                   for key in changed for m, (t, c) in fresh_metrics.get(key, {}).items()]
    if metric_rows:
        connection.execute(core_insert(metric_table), metric_rows)
    # A week's or month's sums hold what scoring reads (attended days, not badge-ins):
    # a day whose count alone moved leaves them as they are.
    return [key for key in changed
            if _scored(fresh.get(key)) != _scored(held.get(key))
            or fresh_metrics.get(key, {}) != held_metrics.get(key, {})]


def _stamp(session: Session, shops: Mapping[int, int | None], keys: Iterable[Key],
           add: int) -> None:
    """Add `add` to the stamps of these workers' workshops on these days, in one order."""
    stamps = sorted({(shops[worker], day) for worker, day in keys
                     if shops.get(worker) is not None})
    for start in range(0, len(stamps), 10_000):
        _upsert(session, _STAMP_TABLE,
                [{"workshop_id": shop, "date": day, "stamp": add}
                 for shop, day in stamps[start:start + 10_000]],
                ["workshop_id", "date"], "stamp")


def _row(key: Key, sums: list[Any]) -> dict[str, Any]:
    return {"worker_id": key[0], "date": key[1], **dict(zip(FIELDS, sums, strict=True))}


# --- rebuilding ---------------------------------------------------------------------------


def rebuild(session: Session, *, check: bool = False, zone: ZoneInfo | None = None
            ) -> list[str]:
    """Recompute every sum from the records (in the stored zone, or `zone`); with `check`,
    change nothing and return each difference found (empty when all are right)."""
    zone = zone or zone_of(session)
    if zone is None:
        return [] if not check else ["the day sums are not built yet (no zone stored)"]
    settle(session)
    sums = {key: value for key, value in _day_sums(session, None, None, None, zone).items()
            if any(value)}
    metrics = _metric_sums(session, None, None, None)
    if check:
        return _differences(session, sums, metrics)
    connection = session.connection()
    connection.execute(delete(_DAY_TABLE))
    connection.execute(delete(_METRIC_TABLE))
    rows = [_row(key, value) for key, value in sorted(sums.items())]
    for start in range(0, len(rows), 10_000):
        connection.execute(core_insert(_DAY_TABLE), rows[start:start + 10_000])
    metric_rows = [{"worker_id": w, "date": d, "metric_id": m, "total": t, "count": c}
                   for (w, d, m), (t, c) in sorted(metrics.items())]
    for start in range(0, len(metric_rows), 10_000):
        connection.execute(core_insert(_METRIC_TABLE),
                           metric_rows[start:start + 10_000])
    connection.execute(delete(period_rollups.PERIODS))
    connection.execute(delete(period_rollups.PERIOD_METRICS))
    period_rollups.write(session, *period_rollups.rollup(sums, metrics))
    # Every cached standing is stale now: stamp each workshop's days that have sums.
    shops = dict(connection.execute(select(Worker.id, Worker.workshop_id)).all())
    _stamp(session, shops, sums, 1)
    return []


def _same(a: Any, b: Any) -> bool:
    return round(float(a), _CHECK_DIGITS) == round(float(b), _CHECK_DIGITS)


def _differences(session: Session, sums: dict[Key, list[Any]],
                 metrics: dict[tuple[int, date, int], list[Any]]) -> list[str]:
    connection = session.connection()
    codes = dict(connection.execute(select(Worker.id, Worker.code)).all())
    stored = {(row[0], _as_date(row[1])): list(row[2:]) for row in connection.execute(
        select(_DAY_TABLE))}
    found = []
    for key in sorted(set(sums) | set(stored)):
        want, have = sums.get(key, list(_EMPTY)), stored.get(key, list(_EMPTY))
        for name, expected, actual in zip(FIELDS, want, have, strict=True):
            if not _same(expected, actual):
                found.append(f"{codes.get(key[0], key[0])} {key[1].isoformat()} {name}: "
                             f"stored {actual}, records say {expected}")
    found += _period_differences(session, sums, metrics, codes)
    kept = {(row[0], _as_date(row[1]), row[2]): list(row[3:]) for row in connection.execute(
        select(_METRIC_TABLE))}
    for place in sorted(set(metrics) | set(kept)):
        want, have = metrics.get(place, [0.0, 0]), kept.get(place, [0.0, 0])
        if not (_same(want[0], have[0]) and want[1] == have[1]):
            found.append(f"{codes.get(place[0], place[0])} {place[1].isoformat()} metric "
                         f"{place[2]}: stored {have[0]} ({have[1]} values), records say "
                         f"{want[0]} ({want[1]} values)")
    return found


def _period_differences(session: Session, sums: dict[Key, list[Any]],
                        metrics: dict[tuple[int, date, int], list[Any]],
                        codes: dict[int, str]) -> list[str]:
    """The week and month sums that differ from a roll-up of the recomputed day sums."""
    want, want_metrics = period_rollups.rollup(sums, metrics)
    have, have_metrics = period_rollups.stored(session)
    found = []
    empty = [0] * len(period_rollups.FIELDS)
    for key in sorted(set(want) | set(have)):
        for name, expected, actual in zip(period_rollups.FIELDS, want.get(key, empty),
                                          have.get(key, empty), strict=True):
            if not _same(expected, actual):
                found.append(f"{codes.get(key[0], key[0])} {key[1]} of {key[2].isoformat()} "
                             f"{name}: stored {actual}, records say {expected}")
    for place in sorted(set(want_metrics) | set(have_metrics)):
        expected_m, actual_m = want_metrics.get(place), have_metrics.get(place)
        if expected_m is None or actual_m is None or not (
                _same(expected_m[0], actual_m[0]) and expected_m[1:3] == actual_m[1:3]
                and _same(expected_m[3], actual_m[3]) and expected_m[4] == actual_m[4]):
            found.append(f"{codes.get(place[0], place[0])} {place[1]} of "
                         f"{place[2].isoformat()} metric {place[3]}: stored {actual_m}, "
                         f"records say {expected_m}")
    return found


def stored_rows(session: Session) -> int:
    """How many worker-days have sums."""
    return int(session.execute(select(func.count()).select_from(_DAY_TABLE)).scalar_one())


# --- reading ------------------------------------------------------------------------------


def span_stamp(session: Session, workshop_id: int, first: date, last: date
               ) -> tuple[int, int]:
    """(sum, number) of the workshop's stamps from `first` to `last`: moves whenever a
    sum of those days changes (stamps only grow)."""
    total, count = session.execute(
        _SPAN_STAMP, {"shop": workshop_id, "first": first, "last": last}).one()
    return int(total), int(count)


_SPAN_STAMP = (select(func.coalesce(func.sum(ScoreStamp.stamp), 0), func.count())
               .where(ScoreStamp.workshop_id == bindparam("shop"),
                      ScoreStamp.date.between(bindparam("first"), bindparam("last"))))


def period_sums_query(ids: Any, first: date, last: date) -> Any:
    """Per worker, the sums of `first`..`last` from the day sums: planned, run, output,
    defects, records, scheduled days, attended days, points, entries, adjustment points,
    adjustment lines (one index range per worker)."""
    day = WorkerDaySums
    scheduled = day.planned_minutes > 0
    return (select(day.worker_id, func.sum(day.planned_minutes), func.sum(day.run_minutes),
                   func.sum(day.output), func.sum(day.defects),
                   func.sum(day.production_records),
                   func.sum(case((scheduled, 1), else_=0)),
                   func.sum(case((and_(scheduled, day.badge_ins > 0), 1), else_=0)),
                   func.sum(day.points), func.sum(day.point_entries),
                   func.sum(day.adjustment_points), func.sum(day.adjustment_lines))
            .where(day.worker_id.in_(ids), day.date.between(first, last))
            .group_by(day.worker_id))
