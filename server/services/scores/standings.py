"""A workshop ranked for one period, and a cache of such rankings by data version.

Every card carries the worker's rank, so every card needs the whole workshop: this
module scores it. The worker(s) someone is looking at are scored from their rows, with
every detail (`score`); the others only to a total and a projection, from sums the
database makes (`scores.inputs.load_totals`, `totals_and_projections`), and placed
(`place`) without building their cards. Workers without data in the period
(`PeriodTotals.has_data`) are placed unranked, after the others.

`StandingsCache` (one per app) keeps each standing with the version of what it was built
from (`standing_version`): the newest audit entry (schemes, people, training, decisions:
every audited change) and the workshop's score stamps over the period and the one before
(every change to a day sum of theirs, badge-ins included, moves one in the same
transaction; scores/aggregates.py). A tap in one workshop leaves every other workshop's
standings, and its own for other periods, cached; a cached standing is never older than
its data. The worker's own card is still scored from their own rows. The previous
period's totals ("most improved") are cached beside the standings by the stamps of that
period alone, so a tap today, which makes the current standing cold, leaves them warm;
once that period is closed they are the totals its snapshot settled, never scored again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server.models import ScoringScheme, Workshop
from server.scoring import (
    PeriodSpan,
    Placing,
    Scheme,
    Scorecard,
    place,
    previous_span,
    score,
    totals_and_projections,
    totals_of,
    with_placing,
)
from server.services import ServiceError
from server.services.periods.snapshots import settled_totals
from server.services.scores.aggregates import settle, span_stamp, zone_of
from server.services.scores.data_version import newest_audit
from server.services.scores.inputs import Person, Training, load_inputs, load_totals, people
from server.services.scores.schemes import scheme_for, to_scheme


@dataclass(frozen=True)
class Standing:
    """A workshop scored for one period: everyone's place, best first, and the full cards
    of the workers scored in detail."""

    workshop_id: int
    scheme_id: int
    span: PeriodSpan
    as_of: date
    scheme: Scheme
    people: dict[str, Person]
    placings: list[Placing]
    cards: dict[str, Scorecard]
    previous_totals: dict[str, float]

    def card(self, code: str) -> Scorecard:
        return self.cards[code]

    def placing(self, code: str) -> Placing:
        return next(p for p in self.placings if p.worker_code == code)


def _within(span: PeriodSpan, day: date) -> date:
    """"Today" as the period sees it: a past period is seen from its last day."""
    return min(max(day, span.start), span.end)


def _needs(scheme: Scheme) -> frozenset[str]:
    return frozenset(spec.key for spec in scheme.dimensions)


def _scheme_row(session: Session, workshop: Workshop, span: PeriodSpan) -> ScoringScheme:
    row = scheme_for(session, workshop.id, span.start)
    if row is None:
        raise ServiceError(f"workshop {workshop.code} has no scoring scheme in force on "
                           f"{span.start.isoformat()}; import one with `scheme import`")
    return row


def build_standing(
    session: Session, workshop: Workshop, span: PeriodSpan, zone: ZoneInfo, as_of: date,
    *, detail_for: int | None = None, detail_all: bool = False,
    cache: StandingsCache | None = None,
) -> Standing:
    """Rank the workshop; the cards of `detail_for` (or of everyone) carry every detail.

    With a `cache` (only while the sums are dated in `zone`), the previous period's totals
    are taken from it when their data has not changed (`_cached_previous`).
    Raises ServiceError when no scheme is in force for the workshop at the period's start.
    """
    as_of = _within(span, as_of)
    row = _scheme_row(session, workshop, span)
    scheme = to_scheme(row)
    persons = people(session, workshop.id, include=detail_for)
    training = Training(session, workshop.id, None, zone)
    detailed = [p for p in persons if detail_all or p.id == detail_for]
    inputs = load_inputs(session, detailed, span, training, zone)
    others = [p for p in persons if p.id not in inputs]
    sums = load_totals(session, others, span, training, zone, _needs(scheme), workshop.id)
    full = {p.code: score(scheme, inputs[p.id], span, as_of) for p in detailed}
    results = totals_and_projections(scheme, {p.code: sums[p.id] for p in others}, span,
                                     as_of)
    results.update((code, (card.total, card.projected_total)) for code, card in full.items())
    without = {p.code for p in others if not sums[p.id].has_data}
    without.update(code for code, card in full.items() if not card.has_data)
    previous = (_previous_totals(session, workshop, span, scheme, persons, training, zone)
                if cache is None else
                _cached_previous(session, cache, workshop, span, scheme, persons, training, zone))
    placings = place(scheme.tiers, results, previous, without_data=without)
    cards = {p.worker_code: with_placing(full[p.worker_code], p)
             for p in placings if p.worker_code in full}
    return Standing(workshop.id, row.id, span, as_of, scheme,
                    {p.code: p for p in persons}, placings, cards, previous)


def _previous_totals(
    session: Session, workshop: Workshop, span: PeriodSpan, scheme: Scheme,
    persons: list[Person], training: Training, zone: ZoneInfo,
) -> dict[str, float]:
    """Totals of the period before, of the workers who had data in it; read only when the
    scheme rewards the most improved. A worker a closed period settled keeps the total
    they were settled with (`settled_totals`: what they were paid from, read from the
    snapshot and never scored again); the others are scored with the version in force
    then, from the sums."""
    if not any(t.most_improved_percent is not None for t in scheme.tiers):
        return {}
    previous = previous_span(span)
    row = scheme_for(session, workshop.id, previous.start)
    if row is None:
        return {}
    settled = settled_totals(session, [p.id for p in persons], previous)
    found = {p.code: total for p in persons
             if (total := settled.get(p.id)) is not None}
    live = [p for p in persons if p.id not in settled]
    if live:
        earlier = to_scheme(row)
        # The workshop's statement when no one was settled (all its workers are read).
        sums = load_totals(session, live, previous, training, zone, _needs(earlier),
                           None if settled else workshop.id)
        found.update(totals_of(earlier, {p.code: sums[p.id] for p in live
                                         if sums[p.id].has_data}, previous))
    return found


def _cached_previous(
    session: Session, cache: StandingsCache, workshop: Workshop, span: PeriodSpan,
    scheme: Scheme, persons: list[Person], training: Training, zone: ZoneInfo,
) -> dict[str, float]:
    """`_previous_totals` through the cache, kept by the version of the previous period
    alone (the newest audit entry and the workshop's stamps over that period): a tap
    today moves the current period's stamps, not these, so a standing built again after
    it does not score the previous period again."""
    if not any(t.most_improved_percent is not None for t in scheme.tiers):
        return {}
    previous = previous_span(span)
    version = (newest_audit(session), *span_stamp(session, workshop.id, previous.start,
                                                 previous.end))
    key = ("previous", workshop.id, previous, tuple(p.id for p in persons), zone.key)
    held = cache.previous(version, key)
    if held is None:
        held = _previous_totals(session, workshop, span, scheme, persons, training, zone)
        cache.put_previous(version, key, held)
    return held


Version = tuple[int, int, int]


def standing_version(session: Session, workshop: Workshop, span: PeriodSpan) -> Version:
    """What a standing of `workshop` over `span` was built from, as a number that moves
    with any change to it: (newest audit id, the stamps of the period and the one before)."""
    stamp = span_stamp(session, workshop.id, previous_span(span).start, span.end)
    return newest_audit(session), *stamp


class _Entries:
    """Values by key, each with the version it was built at; the least recently used
    dropped beyond `max_entries`. The caller holds the lock."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.held: OrderedDict[Hashable, tuple[Version, Any]] = OrderedDict()

    def get(self, version: Version, key: Hashable) -> Any:
        found = self.held.get(key)
        if found is None or found[0] != version:
            return None
        self.held.move_to_end(key)
        return found[1]

    def put(self, version: Version, key: Hashable, value: Any) -> None:
        held = self.held.get(key)
        if held is not None and version < held[0]:
            return
        self.held[key] = (version, value)
        self.held.move_to_end(key)
        while len(self.held) > self.max_entries:
            self.held.popitem(last=False)


class StandingsCache:
    """Standings by workshop, scheme version, period and day, each with the version it was
    built at (`standing_version`); the least recently used dropped beyond `max_entries`.
    One per app (database). Beside them, as many previous periods' totals (what "most
    improved" compares with: `previous`, `put_previous`), each by its own version.

    A read at another version than the entry's misses, so nothing cached outlives a
    change to what it was built from. Thread-safe: a server answers kiosks from several
    threads. Two threads missing the same key may both build it; either answer is right.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._standings = _Entries(max_entries)
        self._previous = _Entries(max_entries)

    def get(self, version: Version, key: Hashable) -> Standing | None:
        with self._lock:
            found: Standing | None = self._standings.get(version, key)
            return found

    def put(self, version: Version, key: Hashable, standing: Standing) -> None:
        """Store a standing built from the data at `version`; one built from older data
        than the entry already held is not kept (versions only grow)."""
        with self._lock:
            self._standings.put(version, key, standing)

    def previous(self, version: Version, key: Hashable) -> dict[str, float] | None:
        with self._lock:
            found: dict[str, float] | None = self._previous.get(version, key)
            return found

    def put_previous(self, version: Version, key: Hashable, totals: dict[str, float]) -> None:
        with self._lock:
            self._previous.put(version, key, totals)

    def __len__(self) -> int:
        """How many standings are held."""
        with self._lock:
            return len(self._standings.held)

    def clear(self) -> None:
        with self._lock:
            self._standings.held.clear()
            self._previous.held.clear()


def cached_standing(
    session: Session, cache: StandingsCache, workshop: Workshop, span: PeriodSpan,
    zone: ZoneInfo, as_of: date, *, detail_for: int | None = None,
) -> Standing:
    """The workshop's standing from the cache, built (without detail) when missing.

    `detail_for`, an active worker of the workshop (so that the ranking is the one built
    without them), is scored in detail when the standing is built now: the standing
    returned then holds their card, the one kept does not. A standing from the cache
    holds no cards (`refresh_worker` scores the worker from their rows).
    """
    settle(session)
    if zone_of(session) != zone:
        # The stamps count changes to the sums, which are not built in this zone: no
        # version to keep a standing by.
        return build_standing(session, workshop, span, zone, as_of, detail_for=detail_for)
    version = standing_version(session, workshop, span)
    scheme_id = _scheme_row(session, workshop, span).id  # a stored version never changes
    key = (workshop.id, scheme_id, span, _within(span, as_of), zone.key)
    standing = cache.get(version, key)
    if standing is None:
        standing = build_standing(session, workshop, span, zone, as_of, cache=cache,
                                  detail_for=detail_for)
        cache.put(version, key, standing if not standing.cards
                  else replace(standing, cards={}))
    return standing


def refresh_worker(
    session: Session, standing: Standing, workshop: Workshop, person: Person, zone: ZoneInfo,
) -> Scorecard:
    """The worker's card in full from their own rows, placed in `standing`.

    When their total, projection and whether they have data are what the standing holds,
    their place stands as it is; otherwise (rows written without moving the data version)
    the workshop is placed again with their fresh numbers.
    """
    training = Training(session, workshop.id, [person.id], zone)
    inputs = load_inputs(session, [person], standing.span, training, zone)
    live = score(standing.scheme, inputs[person.id], standing.span, standing.as_of)
    held = standing.placing(person.code)
    if ((live.total, live.projected_total, live.has_data)
            != (held.total, held.projected_total, held.rank is not None)):
        results = {p.worker_code: (p.total, p.projected_total) for p in standing.placings}
        results[person.code] = (live.total, live.projected_total)
        without = {p.worker_code for p in standing.placings if p.rank is None}
        if live.has_data:
            without.discard(person.code)
        else:
            without.add(person.code)
        held = next(p for p in place(standing.scheme.tiers, results, standing.previous_totals,
                                     without_data=without)
                    if p.worker_code == person.code)
    return with_placing(live, held)
