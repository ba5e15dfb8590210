"""Invariants of the scoring engine, checked with generated records and schemes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.scoring import (
    LOWER_IS_BETTER,
    Dim,
    DimensionSpec,
    Mode,
    Period,
    PointRow,
    ProductionRow,
    Scheme,
    TierSpec,
    TrainingItem,
    WorkerInputs,
    is_met,
    period_span,
    period_totals,
    rank,
    score,
    score_totals,
    total_of,
)

MARCH = period_span(Period.MONTH, date(2026, 3, 1))
KEYS = list(Dim)

days = st.dates(min_value=date(2026, 2, 25), max_value=date(2026, 4, 5))
production = st.builds(
    ProductionRow,
    id=st.integers(1, 10_000),
    date=days,
    planned_minutes=st.floats(0, 720, allow_nan=False),
    run_minutes=st.floats(0, 720, allow_nan=False),
    output=st.integers(0, 2_000),
    defects=st.integers(0, 200),
)
entries = st.builds(PointRow, id=st.integers(1, 10_000), date=days,
                    points=st.floats(0, 50, allow_nan=False))
training = st.builds(TrainingItem, video_id=st.integers(1, 5),
                     completed_on=st.none() | days)
inputs = st.builds(
    WorkerInputs,
    worker_code=st.just("W001"),
    production=st.lists(production, max_size=25).map(tuple),
    point_entries=st.lists(entries, max_size=8).map(tuple),
    training=st.lists(training, max_size=5).map(tuple),
)


@st.composite
def schemes(draw: st.DrawFn) -> Scheme:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True))
    mode = draw(st.sampled_from(list(Mode)))
    if mode is Mode.WEIGHTED:
        cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=len(keys) - 1,
                                    max_size=len(keys) - 1, unique=True)))
        weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    dims = []
    for i, key in enumerate(keys):
        low = 0.0 if key in LOWER_IS_BETTER else 0.01
        target = draw(st.floats(low, 1_000, allow_nan=False))
        if mode is Mode.THRESHOLD:
            dims.append(DimensionSpec(key, target, points=draw(st.integers(0, 100))))
        else:
            dims.append(DimensionSpec(key, target, weight=weights[i],
                                      cap=draw(st.sampled_from([1.0, 1.2, 1.5]))))
    return Scheme(
        name="generated", version=1, period=draw(st.sampled_from(list(Period))), mode=mode,
        dimensions=tuple(dims), hourly_points=draw(st.sampled_from([0.0, 1.0])),
        points_cap=draw(st.sampled_from([0.0, 20.0, 35.5])),
    )


@settings(max_examples=100, deadline=None)
@given(schemes(), inputs)
def test_dimension_part_and_entries_stay_within_the_scheme(scheme: Scheme,
                                                           worker: WorkerInputs) -> None:
    card = score(scheme, worker, MARCH)
    dimension_part = sum(d.points for d in card.dimensions)
    assert dimension_part <= card.max_total + 1e-9
    assert all(0 <= d.points <= d.max_points for d in card.dimensions)
    assert card.point_entries_total <= scheme.points_cap
    assert card.total == round(dimension_part + card.hourly_points
                               + card.point_entries_total, 2)


@settings(max_examples=100, deadline=None)
@given(schemes(), inputs, st.floats(0, 50, allow_nan=False), days)
def test_an_approved_entry_never_lowers_a_score(scheme: Scheme, worker: WorkerInputs,
                                                points: float, day: date) -> None:
    before = score(scheme, worker, MARCH)
    more = replace(worker, point_entries=(*worker.point_entries, PointRow(99_999, day, points)))
    assert score(scheme, more, MARCH).total >= before.total


@settings(max_examples=100, deadline=None)
@given(schemes(), inputs, st.randoms(use_true_random=False))
def test_record_order_does_not_change_the_result(scheme: Scheme, worker: WorkerInputs,
                                                 rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = WorkerInputs(
        worker.worker_code,
        production=tuple(rnd.sample(worker.production, len(worker.production))),
        point_entries=tuple(rnd.sample(worker.point_entries, len(worker.point_entries))),
        training=tuple(rnd.sample(worker.training, len(worker.training))),
    )
    a, b = score(scheme, worker, MARCH), score(scheme, shuffled, MARCH)
    assert (a.total, a.dimensions, a.today_points, a.projected_total) == (
        b.total, b.dimensions, b.today_points, b.projected_total)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(KEYS), st.integers(1, 500), st.integers(1, 500))
def test_value_equal_to_target_is_met(key: Dim, numerator: int, denominator: int) -> None:
    value = numerator / denominator
    assert is_met(key, value, value)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 480), st.integers(1, 480), st.sampled_from(list(Mode)))
def test_uptime_exactly_on_target_is_met_in_a_scorecard(run: int, planned: int,
                                                        mode: Mode) -> None:
    target = run / planned
    spec = (DimensionSpec(Dim.UPTIME, target, points=60) if mode is Mode.THRESHOLD
            else DimensionSpec(Dim.UPTIME, target, weight=100))
    scheme = Scheme("edge", 1, Period.MONTH, mode, (spec,))
    rows = (ProductionRow(1, MARCH.start, planned, run, 1, 0),)
    line = score(scheme, WorkerInputs("W001", production=rows), MARCH).dimensions[0]
    assert line.met and line.points == line.max_points


def test_scaled_targets_keep_the_boundary() -> None:
    scheme = Scheme("edge", 1, Period.MONTH, Mode.THRESHOLD,
                    (DimensionSpec(Dim.OUTPUT, 100, points=10),))
    week = period_span(Period.WEEK, date(2026, 3, 2))
    per_day = 100 / 31
    rows = tuple(ProductionRow(i, week.start + timedelta(days=i), 1, 1, 0, 0)
                 for i in range(7))
    line = score(scheme, WorkerInputs("W001", production=rows), week).dimensions[0]
    assert line.target == round(per_day * 7, 6) and not line.met


@settings(max_examples=100, deadline=None)
@given(schemes(), inputs, days)
def test_scoring_from_sums_agrees_with_scoring_from_rows(scheme: Scheme, worker: WorkerInputs,
                                                         today: date) -> None:
    full = score(scheme, worker, MARCH, today)
    light = score_totals(scheme, worker.worker_code, period_totals(worker, MARCH), MARCH, today)
    assert (light.total, light.projected_total, light.complete) == (
        full.total, full.projected_total, full.complete)
    assert [(d.value, d.met, d.points) for d in light.dimensions] == [
        (d.value, d.met, d.points) for d in full.dimensions]
    assert [(d.target, d.target_full, d.pro_rated) for d in light.dimensions] == [
        (d.target, d.target_full, d.pro_rated) for d in full.dimensions]
    # `total_of` scores a finished period: the card seen from its last day.
    assert total_of(scheme, period_totals(worker, MARCH), MARCH) == score(
        scheme, worker, MARCH).total


TIERS = (TierSpec("excellent", "优秀", top_percent=10), TierSpec("good", "良好", top_percent=20),
         TierSpec("improved", "进步之星", most_improved_percent=10))
outside = st.dates(min_value=date(2026, 2, 1), max_value=date(2026, 2, 28))
# A worker without data in March: nothing, or rows of February, or required training.
idle = st.builds(
    WorkerInputs,
    worker_code=st.just("NEW"),
    production=st.lists(st.builds(ProductionRow, id=st.integers(1, 10_000), date=outside,
                                  planned_minutes=st.just(480.0), run_minutes=st.just(400.0),
                                  output=st.integers(0, 500), defects=st.just(0)),
                        max_size=3).map(tuple),
    training=st.lists(training, max_size=3).map(tuple),
)


def _places(cards: list, previous: dict[str, float]) -> dict:  # type: ignore[type-arg]
    return {c.worker_code: (c.rank, c.rank_of, c.tier, c.next_tier, c.awards, c.projected_tier,
                            c.improvement) for c in rank(cards, previous)}


@settings(max_examples=100, deadline=None)
@given(schemes(), st.lists(inputs, min_size=1, max_size=12), idle, days,
       st.lists(st.floats(0, 200, allow_nan=False), max_size=12))
def test_adding_a_worker_without_data_changes_nobodys_rank_or_tier(
    scheme: Scheme, workers: list[WorkerInputs], new_hire: WorkerInputs, today: date,
    earlier: list[float],
) -> None:
    scheme = replace(scheme, tiers=TIERS)
    cards = [score(scheme, replace(w, worker_code=f"W{i:02d}"), MARCH, today)
             for i, w in enumerate(workers)]
    previous = {f"W{i:02d}": total for i, total in enumerate(earlier)}
    before = _places(cards, previous)
    hire = score(scheme, new_hire, MARCH, today)
    after = _places([*cards, hire], previous)
    assert not hire.has_data
    assert after.pop("NEW") == (None, None, None, None, (), None, None)
    assert after == before
