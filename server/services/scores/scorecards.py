"""Scorecards and leaderboards from the database, as JSON-ready dicts.

A worker's card carries their rank in the workshop, so every card is computed with the
whole workshop and the previous period (for "most improved"); `standings` does that in a
fixed number of queries, never one per worker. Pass the app's `StandingsCache` on busy
paths: it is keyed by the data version, so its answers are the fresh ones, only sooner.
Without one, every answer is computed afresh.

A closed week or month is read from its snapshot (services/periods/snapshots.py): what
was paid from never moves. Day cards are always live; late data cannot reach a closed
period's days, so they agree with the snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Worker, Workshop
from server.scoring import (
    Dim,
    DimensionScore,
    Period,
    PeriodSpan,
    Placing,
    Scheme,
    Scorecard,
    improvers,
    period_span,
)
from server.scoring.ranking import tier_stars
from server.services import InvalidInput, NotFound
from server.services.alerts.reads import fault_minutes_of
from server.services.periods.snapshots import settled_board, settled_card
from server.services.points import ledger
from server.services.scores.card_lines import (
    adjustment_lines,
    adjustment_rows,
    entry_lines,
    point_entry_rows,
)
from server.services.scores.inputs import Person
from server.services.scores.schemes import scheme_for
from server.services.scores.standings import (
    Standing,
    StandingsCache,
    build_standing,
    cached_standing,
    refresh_worker,
)
from server.services.scores.tracks import metric_names, track_weeks

__all__ = ["StandingsCache", "all_scorecards", "card_dict", "card_dicts", "leaderboard",
           "standing_board", "worker_scorecard"]


def _span(period: str, on: date) -> PeriodSpan:
    try:
        return period_span(period, on)
    except ValueError:
        raise InvalidInput(f"period: must be day, week or month, not {period!r}") from None


def _tier_named(scheme: Scheme, key: str | None) -> dict[str, Any] | None:
    """A tier as kiosk, wall and admin show it: the scheme's name and its stars."""
    spec = next((t for t in scheme.tiers if t.key == key), None)
    if spec is None:
        return None
    return {"key": spec.key, "name": spec.name, "stars": tier_stars(scheme.tiers, spec.key)}


def _tier(card: Scorecard | Placing, scheme: Scheme) -> dict[str, Any] | None:
    return None if card.tier is None else _tier_named(scheme, card.tier.key)


def _header(span: PeriodSpan, scheme: Scheme) -> dict[str, Any]:
    return {
        "period": span.kind.value,
        "period_label": span.label,
        "period_start": span.start.isoformat(),
        "period_end": span.end.isoformat(),
        "scheme": {"name": scheme.name, "version": scheme.version, "mode": scheme.mode.value},
        "tiers": [_tier_named(scheme, t.key) for t in scheme.tiers],
    }


@dataclass(frozen=True)
class _Lines:
    """What the cards of some workers list beside their dimensions, read for all of them
    at once: point entries and fault minutes by worker id, adjustments by id, metric names
    by code."""

    entries: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    adjustments: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: dict[int, dict[str, float]] = field(default_factory=dict)
    names: dict[str, dict[str, Any]] = field(default_factory=dict)


def _has_uptime(card: Scorecard) -> bool:
    return any(d.key is Dim.UPTIME for d in card.dimensions)


def _read_lines(session: Session, pairs: Sequence[tuple[Scorecard, Person]],
                zone: ZoneInfo | None) -> _Lines:
    """The lines of these cards (all of one period) in a few queries, not a few per card."""
    if not pairs:
        return _Lines()
    span = pairs[0][0].span
    ids = [person.id for _, person in pairs]
    uptime = [person.id for card, person in pairs if _has_uptime(card)]
    return _Lines(
        entries=point_entry_rows(session, ids, span.start, span.end),
        adjustments=adjustment_rows(
            session, [i for card, _ in pairs for i in card.adjustment_ids]),
        faults=(fault_minutes_of(session, uptime, span.start, span.end, zone)
                if zone is not None and uptime else {}),
        names=metric_names(session, tuple(d for card, _ in pairs for d in card.dimensions)),
    )


def card_dict(card: Scorecard, person: Person, workshop: Workshop,
              session: Session | None = None, *, zone: ZoneInfo | None = None
              ) -> dict[str, Any]:
    """The worker card the kiosk and the CLI show (docs/scoring.md: every number explained).

    With a `session`, the adjustment lines the total counts are listed whole (what they
    are for, the day and the closed period they belong to); without one, only their ids.
    With a `session`, `point_entries` lists each point entry of the period (card_lines.py):
    the dimensions' points, `hourly_points`, the counted entries and the adjustments then
    add up to `total`, so the kiosk can show and say the sum without scoring rules of its
    own (each dimension says `lower_is_better` and its `unit`). With a `session` and the
    site's `zone`, each uptime dimension says on which days its machines stood still for
    faults (`fault_minutes`: {"YYYY-MM-DD": minutes}, days with fault downtime only).
    """
    lines = None if session is None else _read_lines(session, [(card, person)], zone)
    return _card_json(card, person, workshop, lines, with_faults=zone is not None)


def card_dicts(session: Session, standing: Standing, workshop: Workshop,
               codes: Sequence[str], *, zone: ZoneInfo | None = None
               ) -> list[dict[str, Any]]:
    """`card_dict` of these workers of a standing (scored in detail), in this order, their
    lines read in a few queries for all of them: what a whole workshop's cards need."""
    pairs = [(standing.card(code), standing.people[code]) for code in codes]
    lines = _read_lines(session, pairs, zone)
    return [_card_json(card, person, workshop, lines, with_faults=zone is not None)
            for card, person in pairs]


def _dimension(d: DimensionScore, faults: dict[str, float],
               names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    daily: list[dict[str, Any]] = []
    daily_met: dict[str, Any] = {}
    for v in d.daily:
        day = v.date.isoformat()
        daily.append({"date": day, "value": v.value})
        daily_met[day] = v.met
    return {
        "key": str(d.key), "value": d.value, "target": d.target, "met": d.met,
        "points": d.points, "max_points": d.max_points, "no_data": d.no_data,
        "record_ids": list(d.record_ids),
        "daily": daily,
        "better": d.better, "lower_is_better": d.better == "lower",
        "unit": d.unit.value,
        "daily_met": daily_met,
        "target_full": d.target_full, "pro_rated": d.pro_rated,
        **({"fault_minutes": faults} if d.key is Dim.UPTIME else {}),
        **({"metric": {**names.get(d.metric.code, {"code": d.metric.code})}}
           if d.metric is not None else {}),
        **({"track": d.track.value} if d.track is not None else {}),
    }


def _card_json(card: Scorecard, person: Person, workshop: Workshop, read: _Lines | None,
               *, with_faults: bool) -> dict[str, Any]:
    next_tier = card.next_tier
    if read is None:
        lines: list[dict[str, Any]] = [{"id": i} for i in card.adjustment_ids]
        entries: list[dict[str, Any]] = []
        names: dict[str, dict[str, Any]] = {}
        faults: dict[str, float] = {}
    else:
        lines = adjustment_lines(read.adjustments, card.adjustment_ids)
        entries = entry_lines(read.entries.get(person.id, []), card)
        names = read.names
        faults = read.faults.get(person.id, {}) if with_faults else {}
    return {
        "worker": {"code": person.code, "name": person.name, "language": person.language,
                   "workshop": workshop.code},
        **_header(card.span, card.scheme),
        "total": card.total,
        "max_total": card.max_total,
        "complete": card.complete,
        "dimensions": [_dimension(d, faults, names) for d in card.dimensions],
        **({"tracks": [
            {"key": t.key.value, "weight": t.weight, "points": t.points, "percent": t.percent,
             "complete": t.complete, "dimension_points": t.dimension_points,
             "dimension_max": t.dimension_max}
            for t in card.tracks]} if card.tracks else {}),
        "hourly_points": card.hourly_points,
        "point_entries_total": card.point_entries_total,
        "point_entry_ids": list(card.point_entry_ids),
        "point_entries": entries,
        "rank": card.rank,
        "rank_of": card.rank_of,
        "tier": _tier(card, card.scheme),
        "next_tier": None if next_tier is None else {
            **(_tier_named(card.scheme, next_tier.key) or {"key": next_tier.key}),
            "points_needed": next_tier.points_needed},
        "awards": list(card.awards),
        "today_points": card.today_points,
        "projected_total": card.projected_total,
        "projected_tier": card.projected_tier,
        "as_of": card.as_of.isoformat(),
        "adjustment_points": card.adjustment_points,
        "adjustments": lines,
    }


def worker_scorecard(
    session: Session, worker_code: str, period: str, on: date, zone: ZoneInfo,
    *, today: date | None = None, cache: StandingsCache | None = None,
) -> dict[str, Any]:
    """One worker's card for the period containing `on`.

    `today` (default: the current date in `zone`) drives "today" and "at this pace".
    Raises NotFound for an unknown code, ServiceError when the workshop has no scheme in
    force, InvalidInput for a bad period.
    """
    worker = session.scalars(select(Worker).where(Worker.code == worker_code)).first()
    if worker is None:
        raise NotFound(f"no worker with code {worker_code!r}")
    span = _span(period, on)
    if span.kind is not Period.DAY:
        settled = settled_card(session, worker, span)
        if settled is not None:
            return _with_balance(session, worker, settled)
    as_of = today or datetime.now(zone).date()
    workshop = worker.workshop
    if cache is not None:
        # An active worker's card is scored with the standing when it is built now (the
        # ranking is the same with or without their detail); an inactive one is ranked
        # only on the path below.
        standing = cached_standing(session, cache, workshop, span, zone, as_of,
                                   detail_for=worker.id if worker.active else None)
        person = standing.people.get(worker.code)
        if person is not None:
            card = (standing.cards[worker.code] if worker.code in standing.cards
                    else refresh_worker(session, standing, workshop, person, zone))
            return _with_weeks(session, worker, person, as_of, zone, _with_balance(
                session, worker, card_dict(card, person, workshop, session, zone=zone)))
    standing = build_standing(session, workshop, span, zone, as_of, detail_for=worker.id)
    person = standing.people[worker.code]
    return _with_weeks(session, worker, person, as_of, zone, _with_balance(
        session, worker, card_dict(standing.card(worker.code), person, workshop, session,
                                   zone=zone)))


def _with_weeks(session: Session, worker: Worker, person: Person, as_of: date,
                zone: ZoneInfo, card: dict[str, Any]) -> dict[str, Any]:
    """The card and, when the scheme has tracks, the last weeks of each line
    (`track_weeks`: the kiosk's blue and red lines)."""
    if "tracks" not in card:
        return card
    seen = min(as_of, date.fromisoformat(card["as_of"]))  # up to the card's own day
    return {**card, "track_weeks": track_weeks(session, worker, person, seen, zone)}


def _with_balance(session: Session, worker: Worker, card: dict[str, Any]) -> dict[str, Any]:
    """The card and the worker's points balance now (the ledger's, never a period's)."""
    return {**card, "balance": ledger.balance(session, worker.id)}


def _workshop(session: Session, code: str) -> Workshop:
    workshop = session.scalars(select(Workshop).where(Workshop.code == code)).first()
    if workshop is None:
        raise NotFound(f"no workshop with code {code!r}")
    return workshop


def leaderboard(
    session: Session, workshop_code: str, period: str, on: date, zone: ZoneInfo,
    *, today: date | None = None, cache: StandingsCache | None = None,
) -> dict[str, Any]:
    """Standings of a workshop (best first, ties by worker code) and its most improved.

    Raises NotFound for an unknown workshop, ServiceError when it has no scheme in force.
    """
    workshop = _workshop(session, workshop_code)
    span = _span(period, on)
    settled = settled_board(session, workshop, span)
    if settled is not None:
        return settled
    as_of = today or datetime.now(zone).date()
    standing = (build_standing(session, workshop, span, zone, as_of) if cache is None
                else cached_standing(session, cache, workshop, span, zone, as_of))
    return standing_board(standing, workshop)


def standing_board(standing: Standing, workshop: Workshop) -> dict[str, Any]:
    """The leaderboard of a ranked workshop, as kiosk, wall and reports show it."""
    persons = standing.people

    def entry(placing: Placing) -> dict[str, Any]:
        return {"rank": placing.rank, "code": placing.worker_code,
                "name": persons[placing.worker_code].name, "total": placing.total,
                "tier": _tier(placing, standing.scheme), "awards": list(placing.awards)}

    return {
        "workshop": {"code": workshop.code, "name": workshop.name},
        **_header(standing.span, standing.scheme),
        "standings": [entry(p) for p in standing.placings],
        "most_improved": [
            {**entry(p), "improvement": p.improvement}
            for p in improvers(standing.placings, standing.scheme.tiers)
        ],
        "as_of": standing.as_of.isoformat(),
    }


def all_scorecards(
    session: Session, period: str, on: date, zone: ZoneInfo, *, today: date | None = None,
) -> dict[str, Any]:
    """Every active worker's card, workshop by workshop. Workshops without a scheme in
    force are listed under `workshops_without_scheme` rather than failing the lot."""
    span = _span(period, on)
    as_of = today or datetime.now(zone).date()
    cards: list[dict[str, Any]] = []
    skipped: list[str] = []
    workshops = session.scalars(select(Workshop).order_by(Workshop.code))
    for workshop in workshops:
        if scheme_for(session, workshop.id, span.start) is None:
            skipped.append(workshop.code)
            continue
        standing = build_standing(session, workshop, span, zone, as_of, detail_all=True)
        cards.extend(card_dicts(session, standing, workshop,
                                [p.worker_code for p in standing.placings], zone=zone))
    return {
        "period": span.kind.value,
        "period_label": span.label,
        "period_start": span.start.isoformat(),
        "period_end": span.end.isoformat(),
        "scorecards": cards,
        "workshops_without_scheme": skipped,
    }
