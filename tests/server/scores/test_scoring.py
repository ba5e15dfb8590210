"""The scoring engine against docs/scoring.md and the seed cases."""

from __future__ import annotations

from datetime import date

import pytest

from server.scoring import (
    BadgeIn,
    Dim,
    DimensionSpec,
    Mode,
    Period,
    PointRow,
    ProductionRow,
    Scheme,
    TrainingItem,
    WorkerInputs,
    period_span,
    previous_span,
    score,
)
from server.scoring.model import Unit

MARCH = period_span(Period.MONTH, date(2026, 3, 10))


def threshold_scheme(**extra: object) -> Scheme:
    """The seed case: uptime met 60, defects met 30, training done 10."""
    return Scheme(
        name="seed threshold", version=1, period=Period.MONTH, mode=Mode.THRESHOLD,
        dimensions=(
            DimensionSpec(Dim.UPTIME, 0.75, points=60),
            DimensionSpec(Dim.DEFECT_RATE, 0.03, points=30),
            DimensionSpec(Dim.TRAINING, 1.0, points=10),
        ),
        **extra,  # type: ignore[arg-type]
    )


def weighted_scheme(**extra: object) -> Scheme:
    """The seed case: weighted 40/30/20/10."""
    return Scheme(
        name="seed weighted", version=1, period=Period.MONTH, mode=Mode.WEIGHTED,
        dimensions=(
            DimensionSpec(Dim.UPTIME, 0.8, weight=40),
            DimensionSpec(Dim.DEFECT_RATE, 0.02, weight=30),
            DimensionSpec(Dim.OUTPUT, 1000, weight=20),
            DimensionSpec(Dim.TRAINING, 1.0, weight=10),
        ),
        **extra,  # type: ignore[arg-type]
    )


def prod(id_: int, day: int, planned: float = 480, run: float = 400, output: int = 100,
         defects: int = 1, month: int = 3) -> ProductionRow:
    return ProductionRow(id_, date(2026, month, day), planned, run, output, defects)


def worker(**fields: object) -> WorkerInputs:
    return WorkerInputs("W001", **fields)  # type: ignore[arg-type]


def dim(card, key: Dim):  # type: ignore[no-untyped-def]
    return next(d for d in card.dimensions if d.key is key)


# --- periods ----------------------------------------------------------------------------


def test_day_week_month_bounds() -> None:
    assert period_span("day", date(2026, 3, 4)).start == date(2026, 3, 4)
    week = period_span("week", date(2026, 3, 4))  # a Wednesday
    assert (week.start, week.end) == (date(2026, 3, 2), date(2026, 3, 8))
    assert week.label == "2026-W10"
    month = period_span("month", date(2024, 2, 10))
    assert (month.start, month.end, month.days) == (date(2024, 2, 1), date(2024, 2, 29), 29)


def test_iso_week_53_and_year_ends() -> None:
    week = period_span("week", date(2027, 1, 1))  # a Friday in ISO week 2026-W53
    assert (week.start, week.end, week.label) == (date(2026, 12, 28), date(2027, 1, 3),
                                                  "2026-W53")
    first = period_span("week", date(2025, 12, 31))  # 2026-W01 starts in 2025
    assert (first.start, first.label) == (date(2025, 12, 29), "2026-W01")
    assert previous_span(period_span("week", date(2027, 1, 4))) == week


def test_previous_periods_cross_year_ends() -> None:
    assert previous_span(period_span("month", date(2026, 1, 15))).start == date(2025, 12, 1)
    assert previous_span(period_span("day", date(2026, 1, 1))).start == date(2025, 12, 31)
    march = period_span("month", date(2024, 3, 31))
    assert previous_span(march).end == date(2024, 2, 29)


def test_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError):
        period_span("year", date(2026, 1, 1))


# --- threshold seed case ----------------------------------------------------------------


def test_threshold_all_met_gives_60_30_10() -> None:
    inputs = worker(
        production=(prod(1, 2, 480, 360, 100, 3),),  # uptime 0.75, defects 0.03: both on target
        training=(TrainingItem(7, date(2026, 3, 1)),),
    )
    card = score(threshold_scheme(), inputs, MARCH)
    assert [d.points for d in card.dimensions] == [60, 30, 10]
    assert all(d.met for d in card.dimensions)
    assert card.total == 100 and card.max_total == 100 and card.complete


def test_threshold_missed_dimension_gives_nothing() -> None:
    inputs = worker(production=(prod(1, 2, 480, 300, 100, 5),),
                    training=(TrainingItem(7, None),))
    card = score(threshold_scheme(), inputs, MARCH)
    assert [d.met for d in card.dimensions] == [False, False, False]
    assert card.total == 0
    assert dim(card, Dim.UPTIME).value == pytest.approx(0.625)


def test_defect_rate_is_lower_is_better_and_boundary_met() -> None:
    card = score(threshold_scheme(), worker(production=(prod(1, 2, 100, 75, 200, 6),)), MARCH)
    defects = dim(card, Dim.DEFECT_RATE)
    assert defects.value == 0.03 and defects.met and defects.points == 30


# --- weighted seed case -----------------------------------------------------------------


def test_weighted_40_30_20_10() -> None:
    inputs = worker(
        production=(prod(1, 2, 500, 300, 500, 20), prod(2, 3, 500, 300, 500, 20)),
        training=(TrainingItem(1, date(2026, 3, 2)), TrainingItem(2, None)),
    )
    card = score(weighted_scheme(), inputs, MARCH)
    uptime, defects, output, training = card.dimensions
    assert uptime.points == pytest.approx(40 * 0.6 / 0.8)      # 30
    assert defects.points == pytest.approx(30 * 0.02 / 0.04)   # 15
    assert output.points == pytest.approx(20 * 1.0)            # 1000 of 1000
    assert training.points == pytest.approx(10 * 0.5)
    assert card.total == pytest.approx(70)
    assert card.max_total == 100


def test_weighted_achievement_is_capped() -> None:
    scheme = Scheme(
        name="capped", version=1, period=Period.MONTH, mode=Mode.WEIGHTED,
        dimensions=(DimensionSpec(Dim.OUTPUT, 100, weight=60, cap=1.2),
                    DimensionSpec(Dim.DEFECT_RATE, 0.02, weight=40)),
    )
    card = score(scheme, worker(production=(prod(1, 2, output=500, defects=0),)), MARCH)
    output, defects = card.dimensions
    assert output.points == pytest.approx(72) and output.max_points == pytest.approx(72)
    assert defects.value == 0 and defects.points == 40  # a value of 0 gives the cap


def test_hourly_points_one_per_run_hour() -> None:
    scheme = threshold_scheme(hourly_points=1)
    inputs = worker(production=(prod(1, 2, 480, 420, 100, 3), prod(2, 3, 480, 60, 10, 0)))
    card = score(scheme, inputs, MARCH)
    assert card.hourly_points == 8  # 480 run minutes
    assert card.total == pytest.approx(30 + 8)  # uptime 0.5 missed, defects 3/110 met


def test_a_plus_10_remark_is_added_as_it_is() -> None:
    inputs = worker(production=(prod(1, 2, 480, 360, 100, 3),),
                    point_entries=(PointRow(31, date(2026, 3, 2), 10),))
    card = score(threshold_scheme(), inputs, MARCH)
    assert card.point_entries_total == 10 and card.point_entry_ids == (31,)
    assert card.total == 60 + 30 + 10


def test_point_entries_are_capped_per_period() -> None:
    entries = tuple(PointRow(i, date(2026, 3, i), 10) for i in range(1, 5))
    card = score(threshold_scheme(), worker(point_entries=entries), MARCH)
    assert card.point_entries_total == 20


def test_points_dimension_counts_entries_instead_of_adding_them() -> None:
    scheme = Scheme(
        name="with points", version=1, period=Period.MONTH, mode=Mode.THRESHOLD,
        dimensions=(DimensionSpec(Dim.UPTIME, 0.75, points=80),
                    DimensionSpec(Dim.POINTS, 25, points=20)),
    )
    inputs = worker(production=(prod(1, 2, 480, 360),),
                    point_entries=(PointRow(1, date(2026, 3, 2), 20),
                                   PointRow(2, date(2026, 3, 9), 5)))
    card = score(scheme, inputs, MARCH)
    points = dim(card, Dim.POINTS)
    assert points.value == 25 and points.met and points.record_ids == (1, 2)
    assert card.point_entries_total == 0 and card.total == 100


# --- no data ----------------------------------------------------------------------------


def test_no_data_is_its_own_state_not_zero_percent() -> None:
    card = score(threshold_scheme(), worker(), MARCH)
    for line in card.dimensions:
        assert line.no_data and line.value is None and line.met is None and line.points == 0
    assert not card.complete and card.total == 0


def test_one_dimension_without_data_marks_the_card_incomplete() -> None:
    inputs = worker(production=(prod(1, 2, 480, 360, 100, 3),))  # no training assigned
    card = score(threshold_scheme(), inputs, MARCH)
    assert dim(card, Dim.TRAINING).no_data and not card.complete
    assert card.total == 90


def test_records_outside_the_period_are_ignored() -> None:
    inputs = worker(production=(prod(1, 28, month=2), prod(2, 1, month=4)))
    assert dim(score(threshold_scheme(), inputs, MARCH), Dim.UPTIME).no_data


# --- attendance, output, training -------------------------------------------------------


def test_attendance_counts_badge_days_on_scheduled_days() -> None:
    scheme = Scheme(name="a", version=1, period=Period.MONTH, mode=Mode.THRESHOLD,
                    dimensions=(DimensionSpec(Dim.ATTENDANCE, 0.9, points=100),))
    inputs = worker(
        production=(prod(1, 2), prod(2, 3), prod(3, 4), prod(4, 5, planned=0, run=0)),
        badge_ins=(BadgeIn(10, date(2026, 3, 2)), BadgeIn(11, date(2026, 3, 2)),
                   BadgeIn(12, date(2026, 3, 3)), BadgeIn(13, date(2026, 3, 7))),
    )
    line = dim(score(scheme, inputs, MARCH), Dim.ATTENDANCE)
    assert line.value == pytest.approx(2 / 3) and not line.met
    # Each scheduled day's first tap (the second tap on the 2nd adds nothing); the
    # Saturday tap was on no scheduled day.
    assert line.record_ids == (10, 12)
    assert [d.value for d in line.daily] == [1.0, 1.0, 0.0]


def test_output_target_scales_to_the_period_asked_for() -> None:
    scheme = Scheme(name="o", version=1, period=Period.MONTH, mode=Mode.THRESHOLD,
                    dimensions=(DimensionSpec(Dim.OUTPUT, 930, points=10),))
    week = period_span("week", date(2026, 3, 2))
    card = score(scheme, worker(production=(prod(1, 2, output=210),)), week)
    assert dim(card, Dim.OUTPUT).target == 210 and dim(card, Dim.OUTPUT).met


def test_training_counts_completions_by_the_end_of_the_period() -> None:
    inputs = worker(training=(TrainingItem(1, date(2026, 3, 5)),
                              TrainingItem(2, date(2026, 4, 2))))
    line = dim(score(threshold_scheme(), inputs, MARCH), Dim.TRAINING)
    assert line.value == 0.5 and line.record_ids == (1,)


def test_scorecard_explains_itself_with_record_ids_and_daily_values() -> None:
    inputs = worker(production=(prod(5, 3, 100, 50), prod(4, 2, 100, 100)))
    line = dim(score(threshold_scheme(), inputs, MARCH), Dim.UPTIME)
    assert line.record_ids == (4, 5)
    assert [(d.date.day, d.value) for d in line.daily] == [(2, 1.0), (3, 0.5)]


def test_each_day_is_judged_against_the_target_as_the_period_is() -> None:
    """A day's `met` is the engine's, on the exact value: 359.998 of 480 minutes is shown
    as 0.75 (four decimals) yet misses a 0.75 target; 360 of 480 meets it."""
    inputs = worker(production=(prod(1, 2, 480, 360, 200, 6), prod(2, 3, 480, 359.998, 200, 7),
                                prod(3, 4, 480, 300, 200, 2)))
    card = score(threshold_scheme(), inputs, MARCH)
    uptime, defects = dim(card, Dim.UPTIME), dim(card, Dim.DEFECT_RATE)
    assert [(d.value, d.met) for d in uptime.daily] == [
        (0.75, True), (0.75, False), (0.625, False)]
    assert [(d.value, d.met) for d in defects.daily] == [
        (0.03, True), (0.035, False), (0.01, True)]
    assert (uptime.better, uptime.unit, defects.better) == ("higher", Unit.PERCENT, "lower")


# --- today and at this pace -------------------------------------------------------------


def test_today_points_are_what_todays_records_added() -> None:
    scheme = threshold_scheme(hourly_points=1)
    inputs = worker(production=(prod(1, 9, 480, 240, 100, 0), prod(2, 10, 480, 480, 100, 0)),
                    point_entries=(PointRow(1, date(2026, 3, 10), 5),))
    card = score(scheme, inputs, MARCH, as_of=date(2026, 3, 10))
    # Today lifted uptime from 0.5 to 0.75 (+60), ran 8 hours (+8) and got a remark (+5).
    assert card.today_points == 73


def test_projection_is_linear_by_elapsed_days() -> None:
    scheme = Scheme(name="p", version=1, period=Period.MONTH, mode=Mode.THRESHOLD,
                    dimensions=(DimensionSpec(Dim.OUTPUT, 900, points=50),
                                DimensionSpec(Dim.UPTIME, 0.75, points=50)),
                    hourly_points=1)
    inputs = worker(production=(prod(1, 1, 480, 480, 300),))
    card = score(scheme, inputs, MARCH, as_of=date(2026, 3, 1))
    # On day 1 of 31 the output target is 900 / 31 so far: 300 meets it.
    assert card.total == 50 + 50 + 8
    # 300 a day over 31 days meets 900; 8 run hours a day is 248 hours.
    assert card.projected_total == 50 + 50 + 248
    finished = score(scheme, inputs, MARCH, as_of=date(2026, 4, 20))
    assert finished.projected_total == finished.total and finished.as_of == MARCH.end
