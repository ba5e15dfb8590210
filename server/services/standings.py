"""A workshop ranked for one period, and a short-lived cache of such rankings.

Every card carries the worker's rank, so every card needs the whole workshop: this
module scores it. The worker(s) someone is looking at are scored from their rows, with
every detail; the others from sums the database makes (`scoring_data.load_totals`).

`StandingsCache` is for the server's busy paths (a kiosk tap, the wall display): it keeps
a workshop's ranking for a few seconds. What can be stale is only the colleagues' side:
`refresh_worker` always scores the worker who is looking from their own rows and ranks
again when that changes their total, so a remark given a moment ago shows at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server.models import Workshop
from server.scoring import (
    Dim,
    PeriodSpan,
    Scheme,
    Scorecard,
    previous_span,
    rank,
    score,
    score_totals,
    total_of,
)
from server.services import ServiceError
from server.services.schemes import scheme_for, to_scheme
from server.services.scoring_data import Person, Training, load_inputs, load_totals, people


@dataclass(frozen=True)
class Standing:
    """A workshop scored for one period: its scheme and its ranked cards, best first."""

    workshop_id: int
    scheme_id: int
    span: PeriodSpan
    as_of: date
    scheme: Scheme
    people: dict[str, Person]
    cards: list[Scorecard]
    previous_totals: dict[str, float]

    def card(self, code: str) -> Scorecard:
        return next(c for c in self.cards if c.worker_code == code)


def _within(span: PeriodSpan, day: date) -> date:
    """"Today" as the period sees it: a past period is seen from its last day."""
    return min(max(day, span.start), span.end)


def _needs(scheme: Scheme) -> frozenset[Dim]:
    return frozenset(spec.key for spec in scheme.dimensions)


def _scheme_row_id(session: Session, workshop: Workshop, span: PeriodSpan) -> tuple[int, Scheme]:
    row = scheme_for(session, workshop.id, span.start)
    if row is None:
        raise ServiceError(f"workshop {workshop.code} has no scoring scheme in force on "
                           f"{span.start.isoformat()}; import one with `scheme import`")
    return row.id, to_scheme(row)


def build_standing(
    session: Session, workshop: Workshop, span: PeriodSpan, zone: ZoneInfo, as_of: date,
    *, detail_for: int | None = None, detail_all: bool = False,
) -> Standing:
    """Rank the workshop; the cards of `detail_for` (or of everyone) carry every detail.

    Raises ServiceError when no scheme is in force for the workshop at the period's start.
    """
    as_of = _within(span, as_of)
    scheme_id, scheme = _scheme_row_id(session, workshop, span)
    persons = people(session, workshop.id, include=detail_for)
    training = Training(session, workshop.id, [p.id for p in persons], zone)
    detailed = [p for p in persons if detail_all or p.id == detail_for]
    inputs = load_inputs(session, detailed, span, training, zone)
    others = [p for p in persons if p.id not in inputs]
    current = load_totals(session, others, span, training, zone, _needs(scheme))
    cards = [
        score(scheme, inputs[p.id], span, as_of) if p.id in inputs
        else score_totals(scheme, p.code, current[p.id], span, as_of)
        for p in persons
    ]
    previous = _previous_totals(session, workshop, span, scheme, persons, training, zone)
    return Standing(workshop.id, scheme_id, span, as_of, scheme,
                    {p.code: p for p in persons}, rank(cards, previous), previous)


def _previous_totals(
    session: Session, workshop: Workshop, span: PeriodSpan, scheme: Scheme,
    persons: list[Person], training: Training, zone: ZoneInfo,
) -> dict[str, float]:
    """Totals of the period before, scored with the version in force then; read only when
    the scheme rewards the most improved."""
    if not any(t.most_improved_percent is not None for t in scheme.tiers):
        return {}
    previous = previous_span(span)
    row = scheme_for(session, workshop.id, previous.start)
    if row is None:
        return {}
    earlier = to_scheme(row)
    sums = load_totals(session, persons, previous, training, zone, _needs(earlier))
    return {p.code: total_of(earlier, sums[p.id], previous) for p in persons}


class StandingsCache:
    """Standings kept `ttl_seconds` per workshop, scheme version, period and day.

    Belongs to one database (one app). A new scheme version is a new key, so importing
    one takes effect at once; other changes reach colleagues' ranks within the TTL.
    Thread-safe: a server answers kiosks from several threads.
    """

    def __init__(self, ttl_seconds: float = 30.0, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, Standing]] = OrderedDict()

    def get(self, key: Hashable) -> Standing | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            stored_at, standing = found
            if self._clock() - stored_at > self.ttl_seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return standing

    def put(self, key: Hashable, standing: Standing) -> None:
        with self._lock:
            self._entries[key] = (self._clock(), standing)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cached_standing(
    session: Session, cache: StandingsCache, workshop: Workshop, span: PeriodSpan,
    zone: ZoneInfo, as_of: date,
) -> Standing:
    """The workshop's standing from the cache, built (without detail) when missing."""
    scheme_id, _ = _scheme_row_id(session, workshop, span)
    key = (workshop.id, scheme_id, span, _within(span, as_of))
    standing = cache.get(key)
    if standing is None:
        standing = build_standing(session, workshop, span, zone, as_of)
        cache.put(key, standing)
    return standing


def refresh_worker(
    session: Session, standing: Standing, workshop: Workshop, person: Person, zone: ZoneInfo,
) -> Scorecard:
    """The worker's card in full from their own rows, placed in `standing`.

    When their total is what the standing holds, rank and tier stand as they are;
    otherwise the workshop is ranked again with their fresh card.
    """
    training = Training(session, workshop.id, [person.id], zone)
    inputs = load_inputs(session, [person], standing.span, training, zone)
    live = score(standing.scheme, inputs[person.id], standing.span, standing.as_of)
    held = standing.card(person.code)
    if (live.total, live.projected_total) != (held.total, held.projected_total):
        cards = [live if c.worker_code == person.code else c for c in standing.cards]
        held = next(c for c in rank(cards, standing.previous_totals)
                    if c.worker_code == person.code)
    return replace(live, rank=held.rank, rank_of=held.rank_of, tier=held.tier,
                   next_tier=held.next_tier, awards=held.awards,
                   projected_tier=held.projected_tier, improvement=held.improvement)
