"""Reading a workshop's records for the scoring engine, in a fixed number of queries.

Two shapes, for two needs:

- `load_inputs`: every row, for the cards someone will read line by line (record ids,
  per-day values, "today").
- `load_totals`: the sums per worker, computed by the database (`GROUP BY`), for the
  cards that only take part in a ranking. They are the same sums the engine makes from
  rows (`server.scoring.period_totals`; a test holds the two together), so a leaderboard
  of 200 workers costs a handful of aggregate queries and few row objects.

Badge-ins are `badge_in` events; their day is the factory's calendar day, found by
comparing the UTC instant with the UTC instants at which the factory's days begin (a
bisection, cheaper than converting each timestamp to the zone).

What counts for training: a required, active video assigned to the worker's workshop (a
video assigned to no workshop is for everyone), limited to the roles it names, that
existed by the end of the period and was due by then (no `required_by` means due at
once) or that the worker had already finished by then.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, distinct, func, or_, select, tuple_
from sqlalchemy.orm import Session

from server.models import (
    EntryStatus,
    Event,
    PointEntry,
    ProductionRecord,
    TrainingProgress,
    TrainingVideo,
    Worker,
    video_workshops,
)
from server.scoring import (
    BadgeIn,
    Dim,
    PeriodSpan,
    PeriodTotals,
    PointRow,
    ProductionRow,
    TrainingItem,
    WorkerInputs,
)

BADGE_IN = "badge_in"


@dataclass(frozen=True)
class Person:
    id: int
    code: str
    name: str
    language: str
    role: str


def people(session: Session, workshop_id: int, include: int | None = None) -> list[Person]:
    """The workshop's active workers (and `include`, active or not), by code."""
    query = (
        select(Worker.id, Worker.code, Worker.name, Worker.language, Worker.role)
        .where(Worker.workshop_id == workshop_id,
               or_(Worker.active.is_(True), Worker.id == include))
        .order_by(Worker.code)
    )
    return [Person(i, c, n, str(lang), str(role))
            for i, c, n, lang, role in session.execute(query)]


def _day_starts(first: date, last: date, zone: ZoneInfo) -> tuple[list[date], list[datetime]]:
    """Each factory day from `first` to the day after `last`, and the UTC instant it begins.

    The instants are in UTC like the stored timestamps: comparing datetimes that share a
    tzinfo skips a zone lookup per comparison.
    """
    days = [first + timedelta(days=i) for i in range((last - first).days + 2)]
    return days, [datetime.combine(d, time(), zone).astimezone(UTC) for d in days]


# --- training ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Video:
    id: int
    required_by: date | None
    roles: tuple[str, ...]
    created_on: date


class Training:
    """The workshop's required videos and who finished which, read once for all periods."""

    def __init__(self, session: Session, workshop_id: int, worker_ids: Sequence[int],
                 zone: ZoneInfo) -> None:
        assigned = select(video_workshops.c.video_id).where(
            video_workshops.c.workshop_id == workshop_id)
        rows = session.execute(
            select(TrainingVideo.id, TrainingVideo.required_by, TrainingVideo.roles,
                   TrainingVideo.created_at)
            .where(TrainingVideo.required.is_(True), TrainingVideo.active.is_(True),
                   or_(TrainingVideo.id.in_(assigned),
                       TrainingVideo.id.not_in(select(video_workshops.c.video_id))))
        )
        self.videos = [_Video(i, by, tuple(roles or ()), created.astimezone(zone).date())
                       for i, by, roles, created in rows]
        self.done: dict[tuple[int, int], date] = {}
        if self.videos and worker_ids:
            for worker_id, video_id, completed_at in session.execute(
                select(TrainingProgress.worker_id, TrainingProgress.video_id,
                       TrainingProgress.completed_at)
                .where(TrainingProgress.worker_id.in_(worker_ids),
                       TrainingProgress.completed_at.is_not(None),
                       TrainingProgress.video_id.in_([v.id for v in self.videos]))
            ):
                if completed_at is not None:  # filtered above; this tells the type checker
                    self.done[(worker_id, video_id)] = completed_at.astimezone(zone).date()

    def items(self, person: Person, end: date) -> tuple[TrainingItem, ...]:
        """What the period ending on `end` asks of the worker."""
        mine = []
        for video in self.videos:
            if video.created_on > end or (video.roles and person.role not in video.roles):
                continue
            finished = self.done.get((person.id, video.id))
            due = video.required_by is None or video.required_by <= end
            if due or (finished is not None and finished <= end):
                mine.append(TrainingItem(video.id, finished))
        return tuple(mine)


# --- rows -------------------------------------------------------------------------------


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
    for worker_id, row_id, day, planned, run, output, defects in connection.execute(
        select(ProductionRecord.worker_id, ProductionRecord.id, ProductionRecord.date,
               ProductionRecord.planned_minutes, ProductionRecord.run_minutes,
               ProductionRecord.output, ProductionRecord.defects)
        .where(ProductionRecord.worker_id.in_(ids),
               ProductionRecord.date.between(span.start, span.end))
    ):
        production[worker_id].append(ProductionRow(row_id, day, planned, run, output, defects))
    points: dict[int, list[PointRow]] = defaultdict(list)
    for worker_id, entry_id, day, value in connection.execute(
        select(PointEntry.worker_id, PointEntry.id, PointEntry.date, PointEntry.points)
        .where(PointEntry.worker_id.in_(ids), PointEntry.status == EntryStatus.APPROVED,
               PointEntry.date.between(span.start, span.end))
    ):
        points[worker_id].append(PointRow(entry_id, day, value))
    days, starts = _day_starts(span.start, span.end, zone)
    badges: dict[int | None, list[BadgeIn]] = defaultdict(list)
    for holder, event_id, occurred_at in connection.execute(
        select(Event.worker_id, Event.id, Event.occurred_at)
        .where(Event.worker_id.in_(ids), Event.kind == BADGE_IN,
               Event.occurred_at >= starts[0], Event.occurred_at < starts[-1])
    ):
        badges[holder].append(BadgeIn(event_id, days[bisect_right(starts, occurred_at) - 1]))
    return {
        p.id: WorkerInputs(
            worker_code=p.code,
            production=tuple(production.get(p.id, ())),
            point_entries=tuple(points.get(p.id, ())),
            training=training.items(p, span.end),
            badge_ins=tuple(badges.get(p.id, ())),
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
    session: Session, ids: Sequence[int], span: PeriodSpan, zone: ZoneInfo
) -> dict[int | None, set[date]]:
    """The factory days each worker badged in on during `span`."""
    days, starts = _day_starts(span.start, span.end, zone)
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
        _, starts = _day_starts(span.start, span.end, zone)
        offsets = {start.astimezone(zone).utcoffset() for start in starts}
        if len(offsets) == 1:
            offset = offsets.pop()
            seconds = int(offset.total_seconds()) if offset is not None else 0
            return func.date(Event.occurred_at, f"{seconds:+d} seconds")
    return None


def _attendance(
    session: Session, ids: Sequence[int], span: PeriodSpan, zone: ZoneInfo
) -> tuple[dict[int, int], dict[int, int]]:
    """Per worker, (scheduled days, scheduled days with a badge-in), counted by the
    database when it can date a timestamp in the factory's zone."""
    record = ProductionRecord
    scheduled_rows = (record.worker_id.in_(ids), record.date.between(span.start, span.end),
                      record.planned_minutes > 0)
    connection = session.connection()
    local_day = _local_day(session, span, zone)
    if local_day is None:
        days: dict[int, set[date]] = defaultdict(set)
        for worker_id, day in connection.execute(
                select(record.worker_id, record.date).distinct().where(*scheduled_rows)):
            days[worker_id].add(day)
        badged = _badge_days(session, ids, span, zone)
        return ({w: len(d) for w, d in days.items()},
                {w: len(d & badged.get(w, set())) for w, d in days.items()})
    _, starts = _day_starts(span.start, span.end, zone)
    badge_days = select(Event.worker_id, local_day).where(
        Event.worker_id.in_(ids), Event.kind == BADGE_IN,
        Event.occurred_at >= starts[0], Event.occurred_at < starts[-1])
    count_days = func.count(distinct(record.date))
    scheduled = dict(connection.execute(
        select(record.worker_id, count_days).where(*scheduled_rows)
        .group_by(record.worker_id)).all())
    attended = dict(connection.execute(
        select(record.worker_id, count_days)
        .where(*scheduled_rows, tuple_(record.worker_id, record.date).in_(badge_days))
        .group_by(record.worker_id)).all())
    return scheduled, attended


def load_totals(
    session: Session, persons: Sequence[Person], span: PeriodSpan, training: Training,
    zone: ZoneInfo, needs: frozenset[Dim] = frozenset(Dim),
) -> dict[int, PeriodTotals]:
    """Per worker, the sums of `span` the engine would make from the rows.

    `needs` names the dimensions the scheme scores; sums nothing reads are left at 0
    (attendance costs two extra reads, training one).
    """
    ids = [p.id for p in persons]
    if not ids:
        return {}
    record = ProductionRecord
    in_span = (record.worker_id.in_(ids), record.date.between(span.start, span.end))
    production = {
        worker_id: (float(planned or 0), float(run or 0), float(output or 0),
                    float(defects or 0), int(count))
        for worker_id, planned, run, output, defects, count in session.connection().execute(
            select(record.worker_id, func.sum(record.planned_minutes),
                   func.sum(record.run_minutes), func.sum(record.output),
                   func.sum(record.defects), func.count())
            .where(*in_span).group_by(record.worker_id)
        )
    }
    scheduled, attended = (_attendance(session, ids, span, zone)
                           if Dim.ATTENDANCE in needs else ({}, {}))
    entry = PointEntry
    points = {
        worker_id: (float(total or 0), int(count))
        for worker_id, total, count in session.connection().execute(
            select(entry.worker_id, func.sum(entry.points), func.count())
            .where(entry.worker_id.in_(ids), entry.date.between(span.start, span.end),
                   entry.status == EntryStatus.APPROVED)
            .group_by(entry.worker_id)
        )
    }
    result = {}
    for person in persons:
        planned, run, output, defects, count = production.get(person.id, (0.0,) * 4 + (0,))
        items = training.items(person, span.end) if Dim.TRAINING in needs else ()
        result[person.id] = PeriodTotals(
            planned_minutes=planned, run_minutes=run, output=output, defects=defects,
            production_records=count, scheduled_days=scheduled.get(person.id, 0),
            attended_days=attended.get(person.id, 0),
            points=points.get(person.id, (0.0, 0))[0],
            point_entries=points.get(person.id, (0.0, 0))[1],
            required_videos=len(items),
            completed_videos=sum(1 for i in items
                                 if i.completed_on is not None and i.completed_on <= span.end),
        )
    return result
