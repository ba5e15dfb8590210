"""Ranks, reward tiers and "most improved" across the scorecards of one workshop.

The rules, so that every standing can be explained:

- **Who is ranked**: only workers with data in the period (a production record, an
  approved point entry or an adjustment line in it: `PeriodTotals.has_data`). A worker
  without data gets no rank, tier, next tier, projected tier or improvement, is not
  counted in n, and is listed after the ranked workers, by code. So a new hire, or a
  worker away all month, moves nobody's tier.
- **Rank** is standard competition ranking on the total: equal totals share a rank and the
  next rank skips (1, 2, 2, 4). Within a shared rank, cards are listed by worker code.
- **Top tiers**: a tier with `top_percent` p covers ranks 1..k where k = ceil(n × p / 100),
  at least 1 (n = workers ranked). Because ties share a rank, a cut that falls inside a tie
  takes in the whole tie. A worker holds the best (smallest p) tier they qualify for, and
  only with a total above 0: nobody is "top 10 %" of a week in which nobody scored.
- **Most improved**: only workers with a previous-period total take part (the caller
  passes totals only of workers who had data in the previous period) and with data in
  this one; improvement is the projected total ("at this pace") − the previous total and
  must be above 0. For a finished period the projected total is the total; while the
  period runs, comparing a few days' total with a whole previous period would let nobody
  improve until its last day. They are ranked by improvement the same way, and the first
  k = ceil(n × p / 100) ranks (n = all workers ranked, at least 1) win.
- **Next tier**: the tier just better than the worker's (the lowest top tier for a worker
  without one) and the points that reach its lowest current total; when nobody holds that
  tier yet, the points that bring the worker to a total of 1.
- **Projected tier**: the same top-tier rule applied to everyone's projected totals.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from server.scoring.model import NextTier, Placing, Scorecard, TierSpec


def competition_ranks(values: Sequence[float]) -> list[int]:
    """Ranks for values sorted best first: equal values share a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for position, value in enumerate(values):
        if position and value == values[position - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(position + 1)
    return ranks


def tier_cut(n: int, percent: float) -> int:
    """How many ranks a tier of `percent` covers among `n` workers."""
    if n <= 0:
        return 0
    return max(1, min(n, math.ceil(n * percent / 100 - 1e-9)))


def _ordered(values: Mapping[str, float]) -> list[str]:
    """The codes best first, equal values by code: sorted by code, then (a stable sort)
    by value, highest first; two sorts in C rather than a key tuple per code."""
    ordered = sorted(values)
    ordered.sort(key=values.__getitem__, reverse=True)
    return ordered


def _rank_by(values: Mapping[str, float], ordered: list[str] | None = None
             ) -> dict[str, int]:
    """Each code's competition rank; `ordered`: the codes as `_ordered` lists them."""
    if ordered is None:
        ordered = _ordered(values)
    ranks = competition_ranks([values[code] for code in ordered])
    return dict(zip(ordered, ranks, strict=True))


def _top_tier(
    rank: int, total: float, top: Sequence[TierSpec], cuts: Mapping[str, int]
) -> TierSpec | None:
    if total <= 0:
        return None
    for tier in top:
        if rank <= cuts[tier.key]:
            return tier
    return None


def _next_tier(
    tier: TierSpec | None,
    total: float,
    top: Sequence[TierSpec],
    floors: Mapping[str, float],
) -> NextTier | None:
    if not top or (tier is not None and tier.key == top[0].key):
        return None
    target = top[-1] if tier is None else top[top.index(tier) - 1]
    floor = floors[target.key]
    needed = floor - total if floor > 0 else 1 - total
    return NextTier(target.key, round(max(needed, 0.01), 2))


def place(
    tiers: Sequence[TierSpec],
    results: Mapping[str, tuple[float, float]],
    previous_totals: Mapping[str, float] | None = None,
    *,
    without_data: Collection[str] = (),
) -> list[Placing]:
    """Every worker's place, best first: `results` maps worker code to (total, projected
    total) and `previous_totals` to the previous period's total. The workers named in
    `without_data` are placed unranked, after the others, by code."""
    if not results:
        return []
    previous_totals = previous_totals or {}
    top = sorted((t for t in tiers if t.top_percent is not None),
                 key=lambda t: (t.top_percent, t.key))
    improved_tiers = [t for t in tiers if t.most_improved_percent is not None]
    unranked = sorted(code for code in results if code in without_data)
    ranked = {code: result for code, result in results.items() if code not in without_data}
    n = len(ranked)
    totals = {code: total for code, (total, _) in ranked.items()}
    projected = {code: projection for code, (_, projection) in ranked.items()}
    best_first = _ordered(totals)  # by rank, then code
    ranks = _rank_by(totals, best_first)
    projected_ranks = _rank_by(projected)
    cuts = {t.key: tier_cut(n, t.top_percent or 0) for t in top}
    by_rank = sorted(totals.values(), reverse=True)
    floors = {t.key: by_rank[cuts[t.key] - 1] for t in top if cuts[t.key]}

    improvements = {code: round(projected[code] - previous_totals[code], 2)
                    for code in ranked if code in previous_totals}
    winners: dict[str, list[str]] = {}
    if improved_tiers:
        gain_ranks = _rank_by({code: gain for code, gain in improvements.items() if gain > 0})
        for tier in improved_tiers:
            cut = tier_cut(n, tier.most_improved_percent or 0)
            for code, r in gain_ranks.items():
                if r <= cut:
                    winners.setdefault(code, []).append(tier.key)

    placed = []
    for code in best_first:
        total, projection = ranked[code]
        held = _top_tier(ranks[code], total, top, cuts)
        projected_tier = _top_tier(projected_ranks[code], projection, top, cuts)
        placed.append(Placing(
            worker_code=code, total=total, projected_total=projection, rank=ranks[code],
            rank_of=n, tier=held, next_tier=_next_tier(held, total, top, floors),
            awards=((held.key,) if held else ()) + tuple(winners.get(code, ())),
            projected_tier=projected_tier.key if projected_tier else None,
            improvement=improvements.get(code),
        ))
    placed.extend(Placing(worker_code=code, total=results[code][0],
                          projected_total=results[code][1], rank=None, rank_of=None,
                          tier=None, next_tier=None, awards=(), projected_tier=None,
                          improvement=None)
                  for code in unranked)
    return placed


def rank(
    scorecards: Sequence[Scorecard], previous_totals: Mapping[str, float] | None = None
) -> list[Scorecard]:
    """The workshop's cards with rank, tier, awards and projection, best first (`place`);
    cards without data come last, unranked.

    All cards must come from one scheme (its tiers are read from the first card).
    `previous_totals` maps worker code to the previous period's total (give only workers
    who had data then).
    """
    if not scorecards:
        return []
    by_code = {c.worker_code: c for c in scorecards}
    placed = place(scorecards[0].scheme.tiers,
                   {c.worker_code: (c.total, c.projected_total) for c in scorecards},
                   previous_totals,
                   without_data={c.worker_code for c in scorecards if not c.has_data})
    return [with_placing(by_code[p.worker_code], p) for p in placed]


def with_placing(card: Scorecard, placing: Placing) -> Scorecard:
    """The card with its rank, tier, awards and projection filled in."""
    return replace(card, rank=placing.rank, rank_of=placing.rank_of, tier=placing.tier,
                   next_tier=placing.next_tier, awards=placing.awards,
                   projected_tier=placing.projected_tier, improvement=placing.improvement)


class _Ranked(Protocol):
    @property
    def worker_code(self) -> str: ...
    @property
    def awards(self) -> tuple[str, ...]: ...
    @property
    def improvement(self) -> float | None: ...


R = TypeVar("R", bound=_Ranked)


def improvers(ranked: Sequence[R], tiers: Sequence[TierSpec]) -> list[R]:
    """Cards or placings that won a most-improved tier, biggest improvement first (then
    worker code)."""
    improved_keys = {t.key for t in tiers if t.most_improved_percent is not None}
    winners = [c for c in ranked if improved_keys.intersection(c.awards)]
    return sorted(winners, key=lambda c: (-(c.improvement or 0), c.worker_code))


def most_improved(ranked: Sequence[Scorecard]) -> list[Scorecard]:
    """`improvers` among ranked cards, with the tiers of their scheme."""
    return improvers(ranked, ranked[0].scheme.tiers if ranked else ())


def tier_stars(tiers: Sequence[TierSpec], key: str | None) -> int:
    """How many stars a tier is drawn with, from the scheme rather than from its key.

    Rank tiers by their share, smallest first: the narrowest earns 3 stars, the next 2, any
    wider 1; a most-improved tier earns 1. A key the scheme does not know earns none.
    """
    ranked = sorted((t for t in tiers if t.top_percent is not None),
                    key=lambda t: t.top_percent or 0)
    for place, tier in enumerate(ranked):
        if tier.key == key:
            return max(3 - place, 1)
    return 1 if any(t.key == key for t in tiers) else 0
