"""The pure engine with metric dimensions and tracks: parse, validate, export, score
(records in, cards out; no database)."""

from __future__ import annotations

from datetime import date

import pytest

from server.scoring import (
    MetricRow,
    MetricRule,
    WorkerInputs,
    period_span,
    period_totals,
    score,
    score_totals,
)
from server.scoring.schemes import (
    SchemeError,
    from_definition,
    parse_yaml,
    to_definition,
    to_yaml,
)

RULES = {
    "fp": MetricRule("fp", "higher", "mean", unit="%"),
    "good": MetricRule("good", "higher", "sum"),
    "made": MetricRule("made", "higher", "sum"),
    "fpy": MetricRule("fpy", "higher", "ratio", "good", "made", "%"),
    "level": MetricRule("level", "higher", "last"),
    "late": MetricRule("late", "lower", "sum"),
}
SCHEME = """\
name: m
workshops: [W1]
period: week
mode: threshold
effective_from: 2026-01-05
tracks: {process: 50, result: 50}
dimensions:
  - {key: first_pass, metric: fp, target: 0.9, points: 10, track: process}
  - {key: yield, metric: fpy, target: 0.98, points: 10, track: result}
  - {key: skill, metric: level, target: 3, points: 10, track: process}
  - {key: late_minutes, metric: late, target: 70, points: 10, track: result}
"""
WEEK = period_span("week", date(2026, 3, 9))


def test_a_scheme_round_trips_with_its_metrics_and_tracks() -> None:
    scheme = parse_yaml(SCHEME, metrics=RULES)
    stored = from_definition(to_definition(scheme))  # a stored version needs no lookup
    assert stored.dimensions == scheme.dimensions and stored.tracks == scheme.tracks
    again = parse_yaml(to_yaml(scheme), metrics=RULES)  # the export imports again
    assert again.dimensions == scheme.dimensions
    changed = {**RULES, "late": MetricRule("late", "lower", "mean")}
    with pytest.raises(SchemeError, match=r"dimensions\[3\]\.combine: metric late has 'mean'"):
        parse_yaml(to_yaml(scheme), metrics=changed)


@pytest.mark.parametrize(("change", "needle"), [
    (("tracks: {process: 50, result: 50}", "tracks: {process: 50, result: 40}"),
     "tracks: weights must sum to 100"),
    ((", track: process}", "}"), "track: required when the scheme has tracks"),
    (("metric: fp,", "metric: nope,"), "dimensions[0].metric: no metric nope"),
    (("key: first_pass,", "key: uptime,"), "uptime is a built-in dimension"),
    (("tracks: {process: 50, result: 50}\n", ""), "the scheme has no tracks"),
])
def test_bad_schemes_name_the_field(change: tuple[str, str], needle: str) -> None:
    with pytest.raises(SchemeError) as caught:
        parse_yaml(SCHEME.replace(*change), metrics=RULES)
    assert needle in str(caught.value)


def rows(*values: tuple[str, int, float]) -> tuple[MetricRow, ...]:
    return tuple(MetricRow(i, date(2026, 3, day), code, value)
                 for i, (code, day, value) in enumerate(values, 1))


def test_ratio_last_and_a_lower_sum_on_their_boundaries() -> None:
    scheme = parse_yaml(SCHEME, metrics=RULES)
    inputs = WorkerInputs("W001", metrics=rows(
        ("fp", 9, 0.9), ("good", 9, 49), ("made", 9, 50), ("good", 10, 49), ("made", 10, 50),
        ("level", 9, 2), ("level", 12, 3), ("level", 12, 3), ("late", 10, 40), ("late", 11, 30)))
    card = score(scheme, inputs, WEEK)
    lines = {d.key: d for d in card.dimensions}
    assert lines["yield"].value == pytest.approx(0.98) and lines["yield"].met
    assert lines["skill"].value == 3 and lines["skill"].met  # the latest day's values
    assert lines["late_minutes"].value == 70 and lines["late_minutes"].met  # lower: at 70
    assert [t.points for t in card.tracks] == [50.0, 50.0] and card.total == 100
    totals = score_totals(scheme, "W001", period_totals(inputs, WEEK), WEEK)
    assert (totals.total, [t.points for t in totals.tracks]) == (100, [50.0, 50.0])
    # While the week runs, a sum is judged pro-rated: 70 minutes late seen on Tuesday
    # against 70 x 2 / 7 = 20 so far is missed; rates are judged as they are.
    tuesday = score(scheme, inputs, WEEK, date(2026, 3, 10))
    late = {d.key: d for d in tuesday.dimensions}["late_minutes"]
    assert (late.value, late.target, late.met, late.pro_rated) == (70, 20, False, True)


def test_a_ratio_without_denominator_is_no_data() -> None:
    scheme = parse_yaml(SCHEME, metrics=RULES)
    card = score(scheme, WorkerInputs("W001", metrics=rows(("good", 9, 5))), WEEK)
    line = {d.key: d for d in card.dimensions}["yield"]
    assert (line.value, line.no_data, line.points) == (None, True, 0.0)
    assert card.has_data and not card.complete
