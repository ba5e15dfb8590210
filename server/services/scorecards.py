"""Scorecards and leaderboards from the database, as JSON-ready dicts.

A worker's card carries their rank in the workshop, so every card is computed with the
whole workshop: one query per kind of record for the workshop and both periods (this one
and the previous, for "most improved"), never one per worker.

What counts for training: a required, active video assigned to the worker's workshop (a
video assigned to no workshop is for everyone), limited to the roles it names, that
existed by the end of the period and was due by then (no `required_by` means due at once)
or that the worker had already finished. Badge-ins are `badge_in` events, dated in the
factory's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.models import (
    EntryStatus,
    Event,
    PointEntry,
    ProductionRecord,
    TrainingProgress,
    TrainingVideo,
    Worker,
    Workshop,
    video_workshops,
)
from server.scoring import (
    BadgeIn,
    PeriodSpan,
    PointRow,
    ProductionRow,
    Scheme,
    Scorecard,
    TrainingItem,
    WorkerInputs,
    most_improved,
    period_span,
    previous_span,
    rank,
    score,
)
from server.services import InvalidInput, NotFound, ServiceError
from server.services.schemes import scheme_for, to_scheme


@dataclass(frozen=True)
class _Person:
    id: int
    code: str
    name: str
    language: str
    role: str


@dataclass(frozen=True)
class _Standing:
    """A workshop scored for one period: its scheme and its ranked cards, best first."""

    workshop: Workshop
    span: PeriodSpan
    scheme: Scheme
    people: dict[str, _Person]
    cards: list[Scorecard]


def _span(period: str, on: date) -> PeriodSpan:
    try:
        return period_span(period, on)
    except ValueError:
        raise InvalidInput(f"period: must be day, week or month, not {period!r}") from None


def _utc_bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the factory's `start` begins and the day after `end` begins."""
    return (datetime.combine(start, time(), zone),
            datetime.combine(end + timedelta(days=1), time(), zone))


def _people(session: Session, workshop_id: int, include: int | None) -> list[_Person]:
    query = select(Worker.id, Worker.code, Worker.name, Worker.language, Worker.role).where(
        Worker.workshop_id == workshop_id,
        or_(Worker.active.is_(True), Worker.id == include),
    )
    return [_Person(i, c, n, str(lang), str(role))
            for i, c, n, lang, role in session.execute(query)]


def _load_inputs(
    session: Session, workshop_id: int, people: list[_Person], start: date, end: date,
    zone: ZoneInfo,
) -> dict[int, WorkerInputs]:
    """Every worker's records between `start` and `end` (inclusive) in a few queries."""
    in_shop = select(Worker.id).where(Worker.workshop_id == workshop_id).scalar_subquery()
    production: dict[int, list[ProductionRow]] = defaultdict(list)
    rows = session.execute(
        select(ProductionRecord.worker_id, ProductionRecord.id, ProductionRecord.date,
               ProductionRecord.planned_minutes, ProductionRecord.run_minutes,
               ProductionRecord.output, ProductionRecord.defects)
        .where(ProductionRecord.worker_id.in_(in_shop),
               ProductionRecord.date.between(start, end))
    )
    for worker_id, *values in rows:
        production[worker_id].append(ProductionRow(*values))
    points: dict[int, list[PointRow]] = defaultdict(list)
    rows = session.execute(
        select(PointEntry.worker_id, PointEntry.id, PointEntry.date, PointEntry.points)
        .where(PointEntry.worker_id.in_(in_shop), PointEntry.date.between(start, end),
               PointEntry.status == EntryStatus.APPROVED)
    )
    for worker_id, *values in rows:
        points[worker_id].append(PointRow(*values))
    badges: dict[int, list[BadgeIn]] = defaultdict(list)
    since, until = _utc_bounds(start, end, zone)
    rows = session.execute(
        select(Event.worker_id, Event.id, Event.occurred_at)
        .where(Event.worker_id.in_(in_shop), Event.kind == "badge_in",
               Event.occurred_at >= since, Event.occurred_at < until)
    )
    for worker_id, event_id, occurred_at in rows:
        badges[worker_id].append(BadgeIn(event_id, occurred_at.astimezone(zone).date()))
    training = _load_training(session, workshop_id, people, in_shop, end, zone)
    return {
        p.id: WorkerInputs(
            worker_code=p.code,
            production=tuple(production.get(p.id, ())),
            point_entries=tuple(points.get(p.id, ())),
            training=training.get(p.id, ()),
            badge_ins=tuple(badges.get(p.id, ())),
        )
        for p in people
    }


def _load_training(
    session: Session, workshop_id: int, people: list[_Person], in_shop: Any, end: date,
    zone: ZoneInfo,
) -> dict[int, tuple[TrainingItem, ...]]:
    assigned = select(video_workshops.c.video_id).where(
        video_workshops.c.workshop_id == workshop_id)
    assigned_anywhere = select(video_workshops.c.video_id)
    videos = session.execute(
        select(TrainingVideo.id, TrainingVideo.required_by, TrainingVideo.roles,
               TrainingVideo.created_at)
        .where(TrainingVideo.required.is_(True), TrainingVideo.active.is_(True),
               or_(TrainingVideo.id.in_(assigned), TrainingVideo.id.not_in(assigned_anywhere)))
    ).all()
    videos = [v for v in videos if v.created_at.astimezone(zone).date() <= end]
    if not videos:
        return {}
    done: dict[tuple[int, int], date] = {
        (worker_id, video_id): completed_at.astimezone(zone).date()
        for worker_id, video_id, completed_at in session.execute(
            select(TrainingProgress.worker_id, TrainingProgress.video_id,
                   TrainingProgress.completed_at)
            .where(TrainingProgress.worker_id.in_(in_shop),
                   TrainingProgress.completed_at.is_not(None),
                   TrainingProgress.video_id.in_([v.id for v in videos]))
        )
    }
    items: dict[int, tuple[TrainingItem, ...]] = {}
    for person in people:
        mine = []
        for video in videos:
            if video.roles and person.role not in video.roles:
                continue
            finished = done.get((person.id, video.id))
            due = video.required_by is None or video.required_by <= end
            if due or (finished is not None and finished <= end):
                mine.append(TrainingItem(video.id, finished))
        items[person.id] = tuple(mine)
    return items


def _standing(
    session: Session, workshop: Workshop, period: str, on: date, zone: ZoneInfo,
    today: date | None, *, detail_for: int | None = None, detail_all: bool = False,
) -> _Standing:
    span = _span(period, on)
    row = scheme_for(session, workshop.id, span.start)
    if row is None:
        raise ServiceError(f"workshop {workshop.code} has no scoring scheme in force on "
                           f"{span.start.isoformat()}; import one with `scheme import`")
    scheme = to_scheme(row)
    previous = previous_span(span)
    previous_row = scheme_for(session, workshop.id, previous.start)
    people = _people(session, workshop.id, detail_for)
    load_from = previous.start if previous_row is not None else span.start
    inputs = _load_inputs(session, workshop.id, people, load_from, span.end, zone)
    as_of = today or datetime.now(zone).date()
    cards = [
        score(scheme, inputs[p.id], span, as_of, detail=detail_all or p.id == detail_for)
        for p in people
    ]
    previous_totals: dict[str, float] = {}
    if previous_row is not None:
        previous_scheme = to_scheme(previous_row)
        previous_totals = {
            p.code: score(previous_scheme, inputs[p.id], previous, previous.end,
                          detail=False).total
            for p in people
        }
    return _Standing(workshop, span, scheme, {p.code: p for p in people},
                     rank(cards, previous_totals))


def _tier(card: Scorecard) -> dict[str, str] | None:
    return None if card.tier is None else {"key": card.tier.key, "name": card.tier.name}


def _header(span: PeriodSpan, scheme: Scheme) -> dict[str, Any]:
    return {
        "period": span.kind.value,
        "period_label": span.label,
        "period_start": span.start.isoformat(),
        "period_end": span.end.isoformat(),
        "scheme": {"name": scheme.name, "version": scheme.version, "mode": scheme.mode.value},
    }


def card_dict(card: Scorecard, person: _Person, workshop: Workshop) -> dict[str, Any]:
    """The worker card the kiosk and the CLI show (DESIGN.md §4: every number explained)."""
    next_tier = card.next_tier
    return {
        "worker": {"code": person.code, "name": person.name, "language": person.language,
                   "workshop": workshop.code},
        **_header(card.span, card.scheme),
        "total": card.total,
        "max_total": card.max_total,
        "complete": card.complete,
        "dimensions": [
            {
                "key": d.key.value, "value": d.value, "target": d.target, "met": d.met,
                "points": d.points, "max_points": d.max_points, "no_data": d.no_data,
                "record_ids": list(d.record_ids),
                "daily": [{"date": v.date.isoformat(), "value": v.value} for v in d.daily],
            }
            for d in card.dimensions
        ],
        "hourly_points": card.hourly_points,
        "point_entries_total": card.point_entries_total,
        "point_entry_ids": list(card.point_entry_ids),
        "rank": card.rank,
        "rank_of": card.rank_of,
        "tier": _tier(card),
        "next_tier": None if next_tier is None else {
            "key": next_tier.key, "points_needed": next_tier.points_needed},
        "awards": list(card.awards),
        "today_points": card.today_points,
        "projected_total": card.projected_total,
        "projected_tier": card.projected_tier,
        "as_of": card.as_of.isoformat(),
    }


def worker_scorecard(
    session: Session, worker_code: str, period: str, on: date, zone: ZoneInfo,
    *, today: date | None = None,
) -> dict[str, Any]:
    """One worker's card for the period containing `on`; `today` defaults to the current
    date in `zone` and drives "today" and "at this pace"."""
    worker = session.scalars(select(Worker).where(Worker.code == worker_code)).first()
    if worker is None:
        raise NotFound(f"no worker with code {worker_code!r}")
    standing = _standing(session, worker.workshop, period, on, zone, today,
                         detail_for=worker.id)
    card = next(c for c in standing.cards if c.worker_code == worker.code)
    return card_dict(card, standing.people[worker.code], worker.workshop)


def _workshop(session: Session, code: str) -> Workshop:
    workshop = session.scalars(select(Workshop).where(Workshop.code == code)).first()
    if workshop is None:
        raise NotFound(f"no workshop with code {code!r}")
    return workshop


def leaderboard(
    session: Session, workshop_code: str, period: str, on: date, zone: ZoneInfo,
    *, today: date | None = None,
) -> dict[str, Any]:
    """Standings of a workshop (best first, ties by worker code) and its most improved."""
    workshop = _workshop(session, workshop_code)
    standing = _standing(session, workshop, period, on, zone, today)
    people = standing.people

    def entry(card: Scorecard) -> dict[str, Any]:
        return {"rank": card.rank, "code": card.worker_code,
                "name": people[card.worker_code].name, "total": card.total,
                "tier": _tier(card), "awards": list(card.awards)}

    return {
        "workshop": {"code": workshop.code, "name": workshop.name},
        **_header(standing.span, standing.scheme),
        "standings": [entry(c) for c in standing.cards],
        "most_improved": [
            {**entry(c), "improvement": c.improvement} for c in most_improved(standing.cards)
        ],
        "as_of": standing.cards[0].as_of.isoformat() if standing.cards else None,
    }


def all_scorecards(
    session: Session, period: str, on: date, zone: ZoneInfo, *, today: date | None = None,
) -> dict[str, Any]:
    """Every active worker's card, workshop by workshop. Workshops without a scheme in
    force are listed under `workshops_without_scheme` rather than failing the lot."""
    span = _span(period, on)
    cards: list[dict[str, Any]] = []
    skipped: list[str] = []
    workshops = session.scalars(select(Workshop).order_by(Workshop.code))
    for workshop in workshops:
        if scheme_for(session, workshop.id, span.start) is None:
            skipped.append(workshop.code)
            continue
        standing = _standing(session, workshop, period, on, zone, today, detail_all=True)
        cards.extend(card_dict(c, standing.people[c.worker_code], workshop)
                     for c in standing.cards)
    return {
        "period": span.kind.value,
        "period_label": span.label,
        "period_start": span.start.isoformat(),
        "period_end": span.end.isoformat(),
        "scorecards": cards,
        "workshops_without_scheme": skipped,
    }
