"""Reading a workshop's records for the scoring engine, in a fixed number of queries.

Two shapes, for two needs:

- `load_inputs`: every row, for the cards someone will read line by line (record ids,
  per-day values, "today").
- `load_totals`: the sums per worker, computed by the database (`GROUP BY`), for the
  cards that only take part in a ranking. They are the same sums the engine makes from
  rows (`server.scoring.period_totals`; a test holds the two together), so a leaderboard
  of 200 workers costs a handful of aggregate queries and few row objects.

Badge-ins are `badge_in` events; their day is the factory's calendar day. For rows, it is
found by comparing the UTC instant with the UTC instants at which the factory's days
begin (a bisection, cheaper than converting each timestamp to the zone); for sums, the
database dates them when it can (`_local_day`) and lists each worker's days, so that
attendance costs two index passes and a set intersection per worker.

What counts for training: a required, active video assigned to the worker's workshop (a
video assigned to no workshop is for everyone), limited to the roles it names, that
existed by the end of the period and was due by then (no `required_by` means due at
once) or that the worker had already finished by then.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    EntryStatus,
    Event,
    Metric,
    MetricValue,
    PointEntry,
    ProductionRecord,
    TrainingProgress,
    TrainingVideo,
    Worker,
    video_workshops,
)
from server.scoring import (
    SUM_DIGITS,
    AdjustmentRow,
    BadgeIn,
    Dim,
    MetricRow,
    PeriodSpan,
    PeriodTotals,
    PointRow,
    ProductionRow,
    TrainingItem,
    WorkerInputs,
    day_starts,
    metric_sums,
)
from server.services.events.kinds import EventKind
from server.services.scores import aggregates
from server.services.scores.period_sums import totals_from_day_sums

BADGE_IN = EventKind.BADGE_IN.value
DIMS = frozenset(d.value for d in Dim)
# The workers to read: a list of ids, or a subquery selecting a workshop's workers (for a
# whole workshop; cheaper to build and send than two hundred bound ids).
Among = Sequence[int] | Select[Any]


def workshop_workers(workshop_id: int) -> Select[Any]:
    """Every worker of the workshop, active or not, as a subquery for `Among`."""
    return select(Worker.id).where(Worker.workshop_id == workshop_id)


@dataclass(frozen=True)
class Person:
    id: int
    code: str
    name: str
    language: str
    role: str


_PEOPLE = (
    select(Worker.id, Worker.code, Worker.name, Worker.language, Worker.role)
    .where(Worker.workshop_id == bindparam("shop"),
           or_(Worker.active.is_(True), Worker.id == bindparam("include")))
    .order_by(Worker.code)
)


def people(session: Session, workshop_id: int, include: int | None = None) -> list[Person]:
    """The workshop's active workers (and `include`, active or not), by code."""
    return [Person(i, c, n, str(lang), str(role))
            for i, c, n, lang, role in session.execute(
                _PEOPLE, {"shop": workshop_id, "include": include}).all()]


# --- training ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Video:
    id: int
    required_by: date | None
    roles: tuple[str, ...]
    created_on: date


# The required, active videos asked in a workshop: assigned to it, or to no workshop.
_VIDEOS = select(
    TrainingVideo.id, TrainingVideo.required_by, TrainingVideo.roles, TrainingVideo.created_at,
).where(
    TrainingVideo.required.is_(True), TrainingVideo.active.is_(True),
    or_(TrainingVideo.id.in_(select(video_workshops.c.video_id)
                             .where(video_workshops.c.workshop_id == bindparam("shop"))),
        TrainingVideo.id.not_in(select(video_workshops.c.video_id))))


class Training:
    """The workshop's required videos and who finished which, read once for all periods.

    What a ranking needs (`counts`) is read per period end as the set of videos each
    worker had finished by then (the database compares the instants: no timestamp is
    read); the days they were finished on (`items`, for the cards scored in detail) only
    for the workers asked about (`read_dates`).
    """

    def __init__(self, session: Session, workshop_id: int, worker_ids: Sequence[int] | None,
                 zone: ZoneInfo) -> None:
        """`worker_ids` None reads the progress of the whole workshop."""
        self._session, self._zone = session, zone
        self.videos = [_Video(i, by, tuple(roles or ()), created.astimezone(zone).date())
                       for i, by, roles, created in session.connection().execute(
                           _VIDEOS, {"shop": workshop_id}).all()]
        self._video_ids = [v.id for v in self.videos]
        self._workshop: int | None = workshop_id if worker_ids is None else None
        self._allowed = None if worker_ids is None else frozenset(worker_ids)
        self._finished: dict[date, dict[int, set[int]]] = {}  # by period end
        self._dates: dict[int, dict[int, date]] = {}  # worker -> video -> finished on

    def _progress(self, columns: tuple[Any, ...], *where: Any) -> Any:
        """Rows of `columns` of the finished progress on these videos (of the workshop's
        workers when reading the whole workshop), with `where`."""
        query = select(TrainingProgress.worker_id, TrainingProgress.video_id, *columns).where(
            TrainingProgress.completed_at.is_not(None),
            TrainingProgress.video_id.in_(self._video_ids), *where)
        if self._workshop is not None:
            query = query.where(TrainingProgress.worker_id.in_(workshop_workers(self._workshop)))
        # All at once: a workshop's progress is hundreds of rows, and fetching them one by
        # one costs more than the query.
        return self._session.connection().execute(query).all()

    def _finished_by(self, end: date) -> dict[int, set[int]]:
        """Per worker, the videos finished by the end of the day `end`."""
        found = self._finished.get(end)
        if found is not None:
            return found
        found = defaultdict(set)
        if self._video_ids and (self._allowed is None or self._allowed):
            cut = day_starts(end, end, self._zone)[1][-1]  # when the day after `end` begins
            where: list[Any] = [TrainingProgress.completed_at < cut]
            if self._allowed is not None:
                where.append(TrainingProgress.worker_id.in_(sorted(self._allowed)))
            for worker_id, video_id in self._progress((), *where):
                found[worker_id].add(video_id)
        self._finished[end] = found
        return found

    def read_dates(self, worker_ids: Sequence[int]) -> None:
        """Read the days these workers finished their videos on (what `items` lists)."""
        wanted = [i for i in worker_ids if i not in self._dates
                  and (self._allowed is None or i in self._allowed)]
        if not wanted:
            return
        for worker_id in wanted:
            self._dates[worker_id] = {}
        if not self._video_ids:
            return
        zone = self._zone
        for worker_id, video_id, completed_at in self._progress(
                (TrainingProgress.completed_at,), TrainingProgress.worker_id.in_(wanted)):
            if completed_at is not None:  # filtered in SQL; this tells the type checker
                self._dates[worker_id][video_id] = completed_at.astimezone(zone).date()

    def _asked(self, person: Person, end: date) -> Iterator[tuple[int, date | None]]:
        """(video, finished on) for each video the period ending on `end` asks of them."""
        self.read_dates([person.id])
        done = self._dates.get(person.id, {})
        for video in self.videos:
            if video.created_on > end or (video.roles and person.role not in video.roles):
                continue
            finished = done.get(video.id)
            due = video.required_by is None or video.required_by <= end
            if due or (finished is not None and finished <= end):
                yield video.id, finished

    def items(self, person: Person, end: date) -> tuple[TrainingItem, ...]:
        """What the period ending on `end` asks of the worker."""
        return tuple(TrainingItem(video, finished) for video, finished in self._asked(person, end))

    def counts(self, person: Person, end: date) -> tuple[int, int]:
        """(required, completed by `end`): the sums of `items`."""
        finished = self._finished_by(end).get(person.id, _NONE)
        required = completed = 0
        role = person.role
        for video in self.videos:
            if video.created_on > end or (video.roles and role not in video.roles):
                continue
            done = video.id in finished
            if done or video.required_by is None or video.required_by <= end:
                required += 1
                completed += done
        return required, completed


_NONE: frozenset[int] = frozenset()


# --- rows -------------------------------------------------------------------------------


# What `load_inputs` reads, built once (building a statement costs more than running it
# for one worker's month): the workers as an expanding list `ids`, the days `first` to
# `last`, badge-ins from the instant `since` to before `until`.
_IDS: Any = bindparam("ids", expanding=True)
_FIRST: Any = bindparam("first")
_LAST: Any = bindparam("last")
_PRODUCTION_ROWS = select(
    ProductionRecord.worker_id, ProductionRecord.id, ProductionRecord.date,
    ProductionRecord.planned_minutes, ProductionRecord.run_minutes, ProductionRecord.output,
    ProductionRecord.defects,
).where(ProductionRecord.worker_id.in_(_IDS), ProductionRecord.date.between(_FIRST, _LAST))
_POINT_ROWS = select(
    PointEntry.worker_id, PointEntry.id, PointEntry.date, PointEntry.points,
).where(PointEntry.worker_id.in_(_IDS), PointEntry.status == EntryStatus.APPROVED,
        PointEntry.date.between(_FIRST, _LAST))
_BADGE_ROWS = select(Event.worker_id, Event.id, Event.occurred_at).where(
    Event.worker_id.in_(_IDS), Event.kind == BADGE_IN,
    Event.occurred_at >= bindparam("since"), Event.occurred_at < bindparam("until"))
_ADJUSTMENT_ROWS = select(
    Adjustment.worker_id, Adjustment.id, Adjustment.booked_on, Adjustment.points,
).where(Adjustment.worker_id.in_(_IDS), Adjustment.cancelled_at.is_(None),
        Adjustment.booked_on.between(_FIRST, _LAST))


def _metric_rows_query(ids: Any) -> Any:
    return (select(MetricValue.worker_id, MetricValue.id, MetricValue.date, Metric.code,
                   MetricValue.value)
            .join(Metric, Metric.id == MetricValue.metric_id)
            .where(MetricValue.worker_id.in_(ids), MetricValue.date.between(_FIRST, _LAST)))


_METRIC_ROWS = _metric_rows_query(_IDS)


def metric_rows(session: Session, ids: Among, span: PeriodSpan
                ) -> dict[int, list[MetricRow]]:
    """Each worker's metric values in `span`, as plain rows named by metric code."""
    found: dict[int, list[MetricRow]] = defaultdict(list)
    params: dict[str, Any] = {"first": span.start, "last": span.end}
    if isinstance(ids, Select):
        query = _metric_rows_query(ids)
    else:
        query, params["ids"] = _METRIC_ROWS, list(ids)
    for worker_id, row_id, day, code, value in session.connection().execute(query, params):
        found[worker_id].append(MetricRow(row_id, day, code, value))
    return found


def load_inputs(
    session: Session, persons: Sequence[Person], span: PeriodSpan, training: Training,
    zone: ZoneInfo,
) -> dict[int, WorkerInputs]:
    """Every row of `span` for the given workers: three queries, whatever their number."""
    ids = [p.id for p in persons]
    if not ids:
        return {}
    production: dict[int, list[ProductionRow]] = defaultdict(list)
    connection = session.connection()
    params = {"ids": ids, "first": span.start, "last": span.end}
    for worker_id, row_id, day, planned, run, output, defects in connection.execute(
            _PRODUCTION_ROWS, params):
        production[worker_id].append(ProductionRow(row_id, day, planned, run, output, defects))
    points: dict[int, list[PointRow]] = defaultdict(list)
    for worker_id, entry_id, day, value in connection.execute(_POINT_ROWS, params):
        points[worker_id].append(PointRow(entry_id, day, value))
    days, starts = day_starts(span.start, span.end, zone)
    badges: dict[int | None, list[BadgeIn]] = defaultdict(list)
    for holder, event_id, occurred_at in connection.execute(
            _BADGE_ROWS, {"ids": ids, "since": starts[0], "until": starts[-1]}):
        badges[holder].append(BadgeIn(event_id, days[bisect_right(starts, occurred_at) - 1]))
    adjustments: dict[int, list[AdjustmentRow]] = defaultdict(list)
    for worker_id, line_id, day, value in connection.execute(_ADJUSTMENT_ROWS, params):
        adjustments[worker_id].append(AdjustmentRow(line_id, day, value))
    metrics = metric_rows(session, ids, span)
    training.read_dates(ids)
    return {
        p.id: WorkerInputs(
            worker_code=p.code,
            production=tuple(production.get(p.id, ())),
            point_entries=tuple(points.get(p.id, ())),
            training=training.items(p, span.end),
            badge_ins=tuple(badges.get(p.id, ())),
            adjustments=tuple(adjustments.get(p.id, ())),
            metrics=tuple(metrics.get(p.id, ())),
        )
        for p in persons
    }


def workshop_inputs(
    session: Session, workshop_id: int, persons: Sequence[Person], span: PeriodSpan,
    zone: ZoneInfo,
) -> dict[int, WorkerInputs]:
    """Every row of `span` for the given workers of one workshop, training included."""
    training = Training(session, workshop_id, [p.id for p in persons], zone)
    return load_inputs(session, persons, span, training, zone)


# --- sums -------------------------------------------------------------------------------


def _badge_days(
    session: Session, ids: Among, span: PeriodSpan, zone: ZoneInfo
) -> dict[int | None, set[date]]:
    """The factory days each worker badged in on during `span`."""
    days, starts = day_starts(span.start, span.end, zone)
    found: dict[int | None, set[date]] = defaultdict(set)
    for worker_id, occurred_at in session.connection().execute(
        select(Event.worker_id, Event.occurred_at)
        .where(Event.worker_id.in_(ids), Event.kind == BADGE_IN,
               Event.occurred_at >= starts[0], Event.occurred_at < starts[-1])
    ):
        found[worker_id].add(days[bisect_right(starts, occurred_at) - 1])
    return found


def _local_day(session: Session, span: PeriodSpan, zone: ZoneInfo) -> Any:
    """SQL for the factory day of `Event.occurred_at` during `span`, or None.

    PostgreSQL knows the zones. SQLite does not, but while the zone's offset is the same
    all through the period (no daylight-saving change in it), shifting by that offset is
    exact. Otherwise (None) the caller reads the timestamps and bisects.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return cast(func.timezone(zone.key, func.timezone("UTC", Event.occurred_at)), Date)
    if dialect == "sqlite":
        _, starts = day_starts(span.start, span.end, zone)
        offsets = {start.astimezone(zone).utcoffset() for start in starts}
        if len(offsets) == 1:
            offset = offsets.pop()
            seconds = int(offset.total_seconds()) if offset is not None else 0
            return func.date(Event.occurred_at, f"{seconds:+d} seconds")
    return None


def _listed_days(text: str | None) -> set[str]:
    return set(text.split(",")) if text else set()


def _badge_day_sets(
    session: Session, ids: Among, span: PeriodSpan, zone: ZoneInfo
) -> dict[int | None, set[str]]:
    """The factory days (ISO text) each worker badged in on during `span`: dated and
    listed by the database in one pass over the badge-in index when it can date them,
    else from the timestamps."""
    local_day = _local_day(session, span, zone)
    if local_day is None:
        return {worker_id: {day.isoformat() for day in days}
                for worker_id, days in _badge_days(session, ids, span, zone).items()}
    _, starts = day_starts(span.start, span.end, zone)
    return {worker_id: _listed_days(days) for worker_id, days in session.connection().execute(
        select(Event.worker_id, func.aggregate_strings(cast(local_day, String), ","))
        .where(Event.worker_id.in_(ids), Event.kind == BADGE_IN,
               Event.occurred_at >= starts[0], Event.occurred_at < starts[-1])
        .group_by(Event.worker_id))}


def _production_sums(
    session: Session, ids: Among, span: PeriodSpan, attendance: bool,
) -> dict[int, tuple[Any, ...]]:
    """Per worker: planned, run, output, defects, number of records, and with `attendance`
    the scheduled days (ISO text, comma-separated, repeats possible).

    One pass over the covering index `ix_production_worker_date_sums`; a scheduled day is
    a day with a record planned > 0, which is the same as a day whose planned sum is > 0.
    """
    record = ProductionRecord
    columns: list[Any] = [
        record.worker_id, func.sum(record.planned_minutes), func.sum(record.run_minutes),
        func.sum(record.output), func.sum(record.defects), func.count()]
    if attendance:
        scheduled = case((record.planned_minutes > 0, cast(record.date, String)))
        columns.append(func.aggregate_strings(scheduled, ","))
    return {row[0]: tuple(row[1:]) for row in session.connection().execute(
        select(*columns)
        .where(record.worker_id.in_(ids), record.date.between(span.start, span.end))
        .group_by(record.worker_id)).all()}


def load_totals(
    session: Session, persons: Sequence[Person], span: PeriodSpan, training: Training,
    zone: ZoneInfo, needs: frozenset[str] = frozenset(DIMS), workshop_id: int | None = None,
) -> dict[int, PeriodTotals]:
    """Per worker, the sums of `span` the engine would make from the rows.

    `needs` names the dimensions the scheme scores; sums nothing reads are left at 0
    (attendance makes the pass over the records costlier, training reads progress).
    `workshop_id`, when all `persons` belong to it, selects them with a subquery; the
    sums of its other workers, if any, are made and left out.
    """
    if not persons:
        return {}
    ids: Among = ([p.id for p in persons] if workshop_id is None
                  else workshop_workers(workshop_id))
    aggregates.settle(session)
    # Read from the sums once they are built in this zone (the server builds them at its
    # start, `aggregates.establish`); until then, from the records.
    if aggregates.zone_of(session) == zone:
        return totals_from_day_sums(session, persons, ids, span, training, needs,
                                    workshop_id)
    attendance = Dim.ATTENDANCE in needs
    metrics = metric_rows(session, ids, span)
    production = _production_sums(session, ids, span, attendance)
    badged = _badge_day_sets(session, ids, span, zone) if attendance else {}
    entry = PointEntry
    points = {
        worker_id: (float(total or 0), int(count))
        for worker_id, total, count in session.connection().execute(
            select(entry.worker_id, func.sum(entry.points), func.count())
            .where(entry.worker_id.in_(ids), entry.date.between(span.start, span.end),
                   entry.status == EntryStatus.APPROVED)
            .group_by(entry.worker_id)
        ).all()
    }
    booked = {
        worker_id: (float(total or 0), int(count))
        for worker_id, total, count in session.connection().execute(
            select(Adjustment.worker_id, func.sum(Adjustment.points), func.count())
            .where(Adjustment.worker_id.in_(ids), Adjustment.cancelled_at.is_(None),
                   Adjustment.booked_on.between(span.start, span.end))
            .group_by(Adjustment.worker_id)
        ).all()
    }
    empty: tuple[Any, ...] = (0.0, 0.0, 0.0, 0.0, 0, None)
    result = {}
    for person in persons:
        sums = production.get(person.id, empty)
        planned, run, output, defects, count = sums[:5]
        scheduled = _listed_days(sums[5]) if attendance else set()
        required, completed = (training.counts(person, span.end) if Dim.TRAINING in needs
                               else (0, 0))
        entries = points.get(person.id, (0.0, 0))
        lines = booked.get(person.id, (0.0, 0))
        result[person.id] = PeriodTotals(
            planned_minutes=round(float(planned or 0), SUM_DIGITS),
            run_minutes=round(float(run or 0), SUM_DIGITS),
            output=float(output or 0), defects=float(defects or 0), production_records=count,
            scheduled_days=len(scheduled),
            attended_days=len(scheduled & badged[person.id]) if person.id in badged else 0,
            points=round(entries[0], SUM_DIGITS), point_entries=entries[1],
            required_videos=required, completed_videos=completed,
            adjustment_points=round(lines[0], SUM_DIGITS), adjustment_lines=lines[1],
            metrics=metric_sums(metrics.get(person.id, ()), span),
        )
    return result

