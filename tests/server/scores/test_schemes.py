"""Parsing, validating and exporting schemes as HR writes them (docs/scoring.md, "A scheme")."""

from __future__ import annotations

from datetime import date

import pytest

from server.scoring import Dim, Mode, Period
from server.scoring.schemes import SchemeError, from_definition, parse_yaml, to_definition, to_yaml

DESIGN_EXAMPLE = """\
name: 机加工车间 2026
workshops: [W1]            # workshop codes
period: month              # day | week | month (ISO weeks; the factory's time zone)
mode: threshold            # threshold | weighted
effective_from: 2026-01-01 # earlier periods keep the version that was in force then
dimensions:
  - {key: uptime,      target: 0.75, points: 60}
  - {key: defect_rate, target: 0.03, points: 30}
  - {key: output,      target: 900,  points: 10}
hourly_points: 0           # extra points per machine run hour
tiers:
  - {key: excellent, top_percent: 10}
  - {key: good,      top_percent: 20}
  - {key: improved,  most_improved_percent: 10}
"""

WEIGHTED = """\
name: 装配车间
workshops: [W2, W3]
period: week
mode: weighted
effective_from: 2026-02-02
dimensions:
  - {key: uptime,      target: 0.8,  weight: 40}
  - {key: defect_rate, target: 0.02, weight: 30, cap: 1.2}
  - {key: output,      target: 200,  weight: 20}
  - {key: training,    target: 1,    weight: 10}
hourly_points: 1
points_cap: 30
tiers:
  - {key: excellent, name: 优秀, top_percent: 10}
"""


def test_the_design_example_parses() -> None:
    scheme = parse_yaml(DESIGN_EXAMPLE)
    assert scheme.name == "机加工车间 2026" and scheme.workshops == ("W1",)
    assert scheme.period is Period.MONTH and scheme.mode is Mode.THRESHOLD
    assert scheme.effective_from == date(2026, 1, 1)
    assert [(d.key, d.target, d.points) for d in scheme.dimensions] == [
        (Dim.UPTIME, 0.75, 60), (Dim.DEFECT_RATE, 0.03, 30), (Dim.OUTPUT, 900, 10)]
    assert scheme.points_cap == 20  # the default
    assert [t.key for t in scheme.tiers] == ["excellent", "good", "improved"]
    assert scheme.tiers[0].name == "excellent"  # the key when no name is given


@pytest.mark.parametrize("text", [DESIGN_EXAMPLE, WEIGHTED])
def test_export_reads_back_to_the_same_scheme(text: str) -> None:
    scheme = parse_yaml(text)
    exported = to_yaml(scheme)
    assert parse_yaml(exported) == scheme
    assert "version: 1" in exported and scheme.name in exported
    assert from_definition(to_definition(scheme)) == scheme


def test_weighted_scheme_keeps_weights_caps_and_tier_names() -> None:
    scheme = parse_yaml(WEIGHTED)
    assert [d.weight for d in scheme.dimensions] == [40, 30, 20, 10]
    assert scheme.dimensions[1].cap == 1.2 and scheme.hourly_points == 1
    assert scheme.tiers[0].name == "优秀"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("weight: 40", "weight: 45"), "weights must sum to 100 in weighted mode, not 105"),
        (("{key: uptime,      target: 0.8,  weight: 40}", "{key: uptime, target: 0.8}"),
         "dimensions[0].weight: required in weighted mode"),
        (("uptime", "speed"), "dimensions[0].key"),
        (("period: week", "period: year"), "period: Input should be 'day', 'week' or 'month'"),
        (("mode: weighted", "mode: ranked"), "mode:"),
        (("points_cap: 30", "points_cap: 30\nbonus: 5"), "bonus: Extra inputs"),
        (("target: 200", "target: lots"), "dimensions[2].target"),
        (("target: 200", "target: 0"), "dimensions[2].target: must be above 0 for output"),
        (("workshops: [W2, W3]", "workshops: []"), "workshops:"),
        (("top_percent: 10", "top_percent: 120"), "tiers[0].top_percent"),
        (("top_percent: 10", "top_percent: 10, most_improved_percent: 5"),
         "tiers[0]: Value error, give exactly one"),
        (("effective_from: 2026-02-02", "effective_from: soon"), "effective_from"),
    ],
)
def test_bad_schemes_are_refused_naming_the_field(change: tuple[str, str],
                                                  message: str) -> None:
    text = WEIGHTED.replace(*change, 1)
    assert text != WEIGHTED
    with pytest.raises(SchemeError) as caught:
        parse_yaml(text)
    assert message in str(caught.value)


def test_unknown_dimension_names_the_value() -> None:
    with pytest.raises(SchemeError, match="got 'speed'"):
        parse_yaml(WEIGHTED.replace("uptime", "speed"))


def test_threshold_mode_requires_points() -> None:
    text = DESIGN_EXAMPLE.replace("target: 0.03, points: 30", "target: 0.03")
    with pytest.raises(SchemeError, match=r"dimensions\[1\]\.points: required in threshold"):
        parse_yaml(text)


def test_a_dimension_listed_twice_is_refused() -> None:
    text = DESIGN_EXAMPLE.replace("key: output", "key: uptime")
    with pytest.raises(SchemeError, match=r"dimensions\[2\]\.key: uptime is listed twice"):
        parse_yaml(text)


@pytest.mark.parametrize("text", ["name: [unclosed", "- just\n- a list\n", ""])
def test_not_a_scheme_at_all(text: str) -> None:
    with pytest.raises(SchemeError, match="^scheme: "):
        parse_yaml(text)
