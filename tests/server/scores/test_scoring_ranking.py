"""Ranks, tiers (top 10 %, top 20 %, most improved) and ties."""

from __future__ import annotations

from datetime import date, timedelta

from server.scoring import (
    Dim,
    DimensionSpec,
    Mode,
    Period,
    PointRow,
    Scheme,
    TierSpec,
    WorkerInputs,
    competition_ranks,
    improvers,
    most_improved,
    period_span,
    place,
    rank,
    score,
    tier_cut,
)

MARCH = period_span(Period.MONTH, date(2026, 3, 1))
SCHEME = Scheme(
    name="tiers", version=1, period=Period.MONTH, mode=Mode.THRESHOLD,
    dimensions=(DimensionSpec(Dim.OUTPUT, 1000, points=0),),
    points_cap=10_000,
    tiers=(TierSpec("good", "Good", top_percent=20),
           TierSpec("excellent", "Excellent", top_percent=10),
           TierSpec("improved", "Most improved", most_improved_percent=10)),
)


def cards(totals: dict[str, float], as_of: date = MARCH.end):  # type: ignore[no-untyped-def]
    """One card per worker whose total is exactly the given points (one approved entry)."""
    return [
        score(SCHEME, WorkerInputs(code, point_entries=(PointRow(1, MARCH.start, total),)),
              MARCH, as_of)
        for code, total in totals.items()
    ]


def by_code(ranked):  # type: ignore[no-untyped-def]
    return {c.worker_code: c for c in ranked}


def test_competition_ranking_and_cuts() -> None:
    assert competition_ranks([9, 7, 7, 5]) == [1, 2, 2, 4]
    assert [tier_cut(n, 10) for n in (0, 1, 9, 10, 11, 20)] == [0, 1, 1, 1, 2, 2]
    assert tier_cut(30, 10) == 3 and tier_cut(200, 20) == 40


def test_top_10_and_top_20_percent_of_twenty_workers() -> None:
    totals = {f"W{i:03d}": float(100 - i) for i in range(20)}
    ranked = rank(cards(totals))
    assert [c.rank for c in ranked] == list(range(1, 21))
    tiers = [c.tier.key if c.tier else None for c in ranked]
    assert tiers[:2] == ["excellent", "excellent"]
    assert tiers[2:4] == ["good", "good"]
    assert set(tiers[4:]) == {None}
    assert all(c.rank_of == 20 for c in ranked)
    assert ranked[0].awards == ("excellent",) and ranked[0].next_tier is None
    fifth = ranked[4]
    assert fifth.next_tier is not None
    assert (fifth.next_tier.key, fifth.next_tier.points_needed) == ("good", 1)
    third = ranked[2]
    assert third.next_tier is not None
    assert (third.next_tier.key, third.next_tier.points_needed) == ("excellent", 1)


def test_ties_share_a_rank_and_a_cut_inside_a_tie_takes_the_whole_tie() -> None:
    totals = {"W005": 90.0, "W002": 80.0, "W001": 80.0, "W003": 80.0, "W004": 10.0,
              "W006": 5.0, "W007": 5.0, "W008": 4.0, "W009": 3.0, "W010": 2.0}
    ranked = rank(cards(totals))
    assert [(c.worker_code, c.rank) for c in ranked[:5]] == [
        ("W005", 1), ("W001", 2), ("W002", 2), ("W003", 2), ("W004", 5)]
    # top 20 % of 10 is 2 ranks; rank 2 is shared by three, so all three are "good".
    held = {c.worker_code: c.tier.key for c in ranked if c.tier}
    assert held == {"W005": "excellent", "W001": "good", "W002": "good", "W003": "good"}


def test_order_of_cards_does_not_change_the_standing() -> None:
    totals = {"A": 5.0, "B": 9.0, "C": 5.0, "D": 1.0}
    forward = [(c.worker_code, c.rank, c.awards) for c in rank(cards(totals))]
    backward = [(c.worker_code, c.rank, c.awards) for c in rank(cards(totals)[::-1])]
    assert forward == backward


def test_nobody_earns_a_tier_with_a_total_of_zero() -> None:
    ranked = rank(cards({"A": 0.0, "B": 0.0, "C": 0.0}))
    assert all(c.tier is None and c.rank == 1 for c in ranked)
    assert ranked[0].next_tier is not None and ranked[0].next_tier.points_needed == 1


def test_most_improved_against_the_previous_period() -> None:
    totals = {f"W{i:02d}": 50.0 for i in range(20)}
    totals["W07"] = 60.0
    previous = {code: 50.0 for code in totals}
    previous["W07"] = 20.0   # +40, the most improved
    previous["W03"] = 30.0   # +20, the second
    previous["W05"] = 70.0   # slipped
    del previous["W09"]      # new: no previous total, takes no part
    ranked = rank(cards(totals), previous)
    winners = most_improved(ranked)
    assert [c.worker_code for c in winners] == ["W07", "W03"]  # 10 % of 20 = 2
    assert by_code(ranked)["W07"].awards == ("excellent", "improved")
    assert by_code(ranked)["W07"].improvement == 40
    assert by_code(ranked)["W05"].improvement == -20
    assert by_code(ranked)["W09"].improvement is None


def test_most_improved_mid_period_compares_the_pace_with_the_previous_total() -> None:
    """On 2 March (2 of 31 days), W01's 10 points are 155 at this pace: better than
    February's 100. Against the bare total nobody could improve before the month ends."""
    today = MARCH.start + timedelta(days=1)
    ranked = rank(cards({"W01": 10.0, "W02": 5.0}, as_of=today), {"W01": 100.0, "W02": 100.0})
    w01, w02 = by_code(ranked)["W01"], by_code(ranked)["W02"]
    assert (w01.projected_total, w01.improvement) == (155.0, 55.0)
    assert w02.improvement == -22.5  # 77.5 at this pace
    assert [c.worker_code for c in most_improved(ranked)] == ["W01"]


def test_a_finished_period_compares_its_total() -> None:
    ranked = rank(cards({"W01": 120.0, "W02": 90.0}), {"W01": 100.0, "W02": 100.0})
    assert [(c.worker_code, c.improvement) for c in ranked] == [("W01", 20.0), ("W02", -10.0)]
    assert [c.worker_code for c in most_improved(ranked)] == ["W01"]


def test_placings_are_what_rank_puts_on_the_cards() -> None:
    totals = {f"W{i:02d}": float(i * 7 % 13) for i in range(20)}
    previous = {code: 6.0 for code in totals}
    ranked = rank(cards(totals, as_of=MARCH.start + timedelta(days=9)), previous)
    placed = place(SCHEME.tiers, {c.worker_code: (c.total, c.projected_total) for c in ranked},
                   previous)
    assert [(p.worker_code, p.rank, p.tier, p.next_tier, p.awards, p.projected_tier,
             p.improvement) for p in placed] == [
        (c.worker_code, c.rank, c.tier, c.next_tier, c.awards, c.projected_tier,
         c.improvement) for c in ranked]
    assert improvers(placed, SCHEME.tiers) == [
        p for c in most_improved(ranked) for p in placed if p.worker_code == c.worker_code]


def test_no_improvement_means_no_most_improved() -> None:
    ranked = rank(cards({"A": 10.0, "B": 5.0}), {"A": 10.0, "B": 6.0})
    assert most_improved(ranked) == []


def test_projected_tier_uses_everyones_projection() -> None:
    ranked = rank(cards({f"W{i}": float(i + 1) for i in range(10)}, as_of=MARCH.start))
    assert by_code(ranked)["W9"].projected_tier == "excellent"
    assert by_code(ranked)["W0"].projected_tier is None


def test_empty_workshop() -> None:
    assert rank([]) == [] and most_improved([]) == []
