"""Charts say what they show: ECharts' aria and decal patterns on in every option, and a text
description beside each chart (server/admin/charts.py `facts`, templates/admin/_chart.html)
in the reader's language."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask.testing import FlaskClient

from server.admin import charts as ch
from support.factory import Plant


def test_every_kind_of_chart_has_aria_and_decals() -> None:
    options = [ch.lines("t", ["a"], {"s": [1]}), ch.bars("t", ["a"], {"s": [1]}),
               ch.heatmap("t", ["a"], ["r"], [[0, 0, 50]], "s"),
               ch.radar("t", [("x", 10)], [5], "s")]
    for option in options:
        assert option["aria"] == {"enabled": True, "decal": {"show": True}}


def test_lines_differ_by_marker_and_dash_not_only_colour() -> None:
    option = ch.lines("t", ["a"], {"one": [1], "two": [2], "three": [3]})
    marks = {(s["symbol"], s["lineStyle"]["type"]) for s in option["series"]}
    assert len(marks) == 3


def test_facts_of_a_line_chart_name_lowest_highest_and_latest() -> None:
    option = ch.lines("Uptime", ["12-01", "12-02", "12-03", "12-04"],
                      {"W1": [80.5, None, 62.25, 71], "W2": [None, None, None, None]}, "%")
    assert ch.facts(option) == [
        {"kind": "trend", "name": "W1", "low": "62.25%", "low_at": "12-03",
         "high": "80.5%", "high_at": "12-01", "last": "71%", "last_at": "12-04"},
        {"kind": "empty", "name": "W2"},
    ]


def test_facts_of_bars_heat_and_radar() -> None:
    bars = ch.bars("Workshops", ["W1", "W2"], {"Uptime %": [83.3, 90]})
    assert ch.facts(bars) == [{"kind": "values", "name": "Uptime %",
                               "pairs": "W1 83.3, W2 90"}]
    heat = ch.heatmap("Heat", ["12-01", "12-02"], ["W1", "W2"],
                      [[0, 0, 70.0], [1, 0, 95.5], [0, 1, 40]], "Uptime")
    assert ch.facts(heat) == [{"kind": "range", "name": "Uptime", "low": "40%",
                               "low_at": "W2 12-01", "high": "95.5%", "high_at": "W1 12-02"}]
    radar = ch.radar("Points", [("Safety", 20), ("Quality", 10)], [15, 0], "A001")
    assert ch.facts(radar) == [{"kind": "pairs", "name": "A001",
                                "pairs": "Safety 15, Quality 0"}]


def _described(page: str, chart: str) -> str:
    found = re.search(rf'id="{chart}-text">(.*?)</figcaption>', page, re.S)
    assert found, f"{chart} has no description"
    return " ".join(found.group(1).split())


def test_the_dashboard_describes_its_charts_in_both_languages(
        login_as: Callable[[str | None], FlaskClient], plant: Plant) -> None:
    client = login_as("admin")
    day = plant.last_month.isoformat()
    english = client.get(f"/admin/?week={day}", headers={"Accept-Language": "en"}
                         ).get_data(as_text=True)
    assert 'aria-describedby="chart-uptime-text"' in english
    text = _described(english, "chart-uptime")
    assert text.startswith("Uptime by day.") and "W1: lowest " in text and "latest" in text
    assert "W1 " in _described(english, "chart-heat") and "highest" in _described(
        english, "chart-heat")
    option = json.loads(english.split('id="chart-uptime-data">', 1)[1].split("</script>")[0])
    assert option["aria"]["enabled"] is True
    chinese = login_as("admin").get(f"/admin/?week={day}",
                                    headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    text = _described(chinese, "chart-uptime")
    assert text.startswith("每日开机率。") and "W1：最低 " in text, text
    assert "最高" in text and "最近" in text, text
