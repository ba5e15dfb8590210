"""Fair numbers (issue 13): only workers with data are ranked, and a period in progress
judges its sums against the target pro-rated to the days elapsed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.scoring import (
    AdjustmentRow,
    Dim,
    DimensionSpec,
    Mode,
    Period,
    PeriodTotals,
    PointRow,
    ProductionRow,
    Scheme,
    TierSpec,
    TrainingItem,
    WorkerInputs,
    period_span,
    place,
    rank,
    score,
    score_totals,
    totals_and_projections,
)

MARCH = period_span(Period.MONTH, date(2026, 3, 1))  # 31 days
TIERS = (TierSpec("excellent", "优秀", top_percent=10),
         TierSpec("good", "良好", top_percent=20),
         TierSpec("improved", "进步之星", most_improved_percent=10))
SCHEME = Scheme(
    name="fair", version=1, period=Period.MONTH, mode=Mode.THRESHOLD,
    dimensions=(DimensionSpec(Dim.UPTIME, 0.75, points=60),
                DimensionSpec(Dim.OUTPUT, 3100, points=40)),
    tiers=TIERS,
)


def working(code: str, day: int, run: float = 400, output: int = 100) -> WorkerInputs:
    return WorkerInputs(code, production=(ProductionRow(day, date(2026, 3, day), 480, run,
                                                        output, 0),))


def line(card, key: Dim):  # type: ignore[no-untyped-def]
    return next(d for d in card.dimensions if d.key is key)


# --- who has data -----------------------------------------------------------------------


@pytest.mark.parametrize(("inputs", "has_data"), [
    (WorkerInputs("W1"), False),
    # Required training is asked of everyone, there or not: it is no trace of work.
    (WorkerInputs("W1", training=(TrainingItem(1), TrainingItem(2, date(2026, 3, 5)))), False),
    (WorkerInputs("W1", production=(ProductionRow(1, date(2026, 2, 28), 480, 400, 1, 0),)),
     False),  # outside the period
    (working("W1", 3), True),
    (WorkerInputs("W1", production=(ProductionRow(1, date(2026, 3, 3), 0, 0, 25, 0),)), True),
    (WorkerInputs("W1", point_entries=(PointRow(1, date(2026, 3, 3), 0.0),)), True),
    (WorkerInputs("W1", adjustments=(AdjustmentRow(1, date(2026, 3, 3), -2.0),)), True),
])
def test_a_card_has_data_with_a_record_an_entry_or_an_adjustment(inputs: WorkerInputs,
                                                                   has_data: bool) -> None:
    assert score(SCHEME, inputs, MARCH).has_data is has_data


def test_workers_without_data_are_unranked_last_and_not_counted_in_the_cuts() -> None:
    cards = [score(SCHEME, WorkerInputs(f"W{i:02d}", production=working("", 2).production,
                                        point_entries=(PointRow(i, MARCH.start, 11.0 - i),)),
                   MARCH)
             for i in range(1, 11)]
    new_hires = [score(SCHEME, WorkerInputs(f"N{i:02d}", training=(TrainingItem(1),)), MARCH)
                 for i in range(1, 11)]
    ranked = rank(cards + new_hires)
    assert [c.worker_code for c in ranked] == [
        *(f"W{i:02d}" for i in range(1, 11)), *(f"N{i:02d}" for i in range(1, 11))]
    # 10 ranked, not 20: top 10 % is one worker and top 20 % two, as before the hires.
    assert [(c.rank, c.rank_of, c.tier.key if c.tier else None) for c in ranked[:3]] == [
        (1, 10, "excellent"), (2, 10, "good"), (3, 10, None)]
    for hire in ranked[10:]:
        assert (hire.rank, hire.rank_of, hire.tier, hire.next_tier, hire.awards,
                hire.projected_tier, hire.improvement) == (None, None, None, None, (), None,
                                                           None)


def test_most_improved_only_among_workers_with_data_in_both_periods() -> None:
    results = {"A": (80.0, 80.0), "B": (60.0, 60.0), "C": (0.0, 0.0)}
    previous = {"A": 70.0, "B": 10.0}  # "C" had data before, none now; callers leave out
    placed = {p.worker_code: p for p in place(TIERS, results, previous | {"C": 50.0},
                                              without_data={"C"})}
    assert placed["B"].awards == ("improved",) and placed["B"].improvement == 50
    assert placed["C"].improvement is None and placed["C"].awards == ()


def test_a_workshop_where_nobody_has_data_ranks_nobody() -> None:
    placed = place(TIERS, {"A": (0.0, 0.0), "B": (0.0, 0.0)}, without_data={"A", "B"})
    assert [(p.worker_code, p.rank, p.tier) for p in placed] == [("A", None, None),
                                                                 ("B", None, None)]


def test_a_day_without_data_shows_no_rank_and_no_tier() -> None:
    day = period_span(Period.DAY, date(2026, 3, 9))
    present = score(SCHEME, working("W01", 9), day)
    absent = score(SCHEME, working("W02", 10), day)  # worked the next day only
    ranked = {c.worker_code: c for c in rank([present, absent])}
    assert (ranked["W01"].rank, ranked["W01"].tier is not None) == (1, True)
    assert (ranked["W02"].has_data, ranked["W02"].rank, ranked["W02"].tier) == (
        False, None, None)


# --- a period in progress ---------------------------------------------------------------


def test_a_sum_is_judged_against_the_target_pro_rated_to_the_days_elapsed() -> None:
    inputs = WorkerInputs("W01", production=tuple(
        ProductionRow(i, date(2026, 3, i), 480, 400, 100, 0) for i in range(1, 11)))
    # 10 of 31 days: 1,000 pieces against 3,100 × 10 / 31 = 1,000 so far.
    card = score(SCHEME, inputs, MARCH, as_of=date(2026, 3, 10))
    output, uptime = line(card, Dim.OUTPUT), line(card, Dim.UPTIME)
    assert (output.target, output.target_full, output.pro_rated) == (1000.0, 3100.0, True)
    assert output.met and output.points == 40
    assert (uptime.target, uptime.target_full, uptime.pro_rated) == (0.75, 0.75, False)
    # The same 10 days seen after the month: judged against the whole 3,100, missed.
    done = score(SCHEME, inputs, MARCH)
    assert (line(done, Dim.OUTPUT).target, line(done, Dim.OUTPUT).pro_rated) == (3100.0, False)
    assert not line(done, Dim.OUTPUT).met and done.total == card.total - 40
    # One more day: the target so far grows by a day's share (3,100 / 31).
    later = score(SCHEME, inputs, MARCH, as_of=date(2026, 3, 10) + timedelta(days=1))
    assert line(later, Dim.OUTPUT).target == 1100.0


def test_the_projection_still_judges_the_pace_against_the_whole_target() -> None:
    inputs = working("W01", 1, output=99)
    card = score(SCHEME, inputs, MARCH, as_of=date(2026, 3, 1))
    # 99 against 100 so far: missed; 99 × 31 = 3,069 against 3,100 at this pace: missed.
    assert not line(card, Dim.OUTPUT).met
    assert card.total == 60 and card.projected_total == 60
    more = score(SCHEME, working("W01", 1, output=100), MARCH, as_of=date(2026, 3, 1))
    assert (more.total, more.projected_total) == (100, 100)


def test_weighted_achievement_uses_the_pro_rated_target() -> None:
    scheme = Scheme("w", 1, Period.MONTH, Mode.WEIGHTED,
                    (DimensionSpec(Dim.OUTPUT, 3100, weight=100, cap=1.2),))
    card = score(scheme, working("W01", 1, output=110), MARCH, as_of=date(2026, 3, 1))
    assert line(card, Dim.OUTPUT).points == 110  # 100 × 110 / 100 so far


def test_points_dimension_is_pro_rated_and_sums_agree_with_rows() -> None:
    scheme = Scheme("p", 1, Period.WEEK, Mode.THRESHOLD,
                    (DimensionSpec(Dim.POINTS, 14, points=10),))
    week = period_span(Period.WEEK, date(2026, 3, 2))
    inputs = WorkerInputs("W01", point_entries=(PointRow(1, date(2026, 3, 3), 4.0),))
    tuesday = date(2026, 3, 3)
    card = score(scheme, inputs, week, tuesday)
    assert (line(card, Dim.POINTS).target, line(card, Dim.POINTS).met) == (4.0, True)
    light = score_totals(scheme, "W01", PeriodTotals(points=4.0, point_entries=1), week,
                         tuesday)
    assert (light.total, light.projected_total) == (card.total, card.projected_total)
    assert totals_and_projections(scheme, {"W01": PeriodTotals(points=4.0, point_entries=1)},
                                  week, tuesday) == {"W01": (card.total,
                                                             card.projected_total)}
