"""Metrics in a scheme, scored from an imported file, checked against a hand calculation
(docs/scoring.md, "Metrics" and "Tracks"), on both engines (the `session` fixture)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import MetricValue, RecordSource
from server.services import InvalidInput
from server.services.imports import import_metrics
from server.services.metrics.definitions import MetricFields, add_metric
from server.services.production.records import ProductionRow, upsert_production
from server.services.scores.schemes import import_scheme
from server.services.scores.scorecards import worker_scorecard
from support.factory import Factory

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 9)
AFTER = date(2026, 3, 20)  # the week is over: whole targets, nothing pro-rated

THRESHOLD = """\
name: 双轨 threshold
workshops: [W1]
period: week
mode: threshold
effective_from: 2026-03-02
tracks: {process: 40, result: 60}
dimensions:
  - {key: first_pass_rate, metric: first_pass, target: 0.95, points: 20, track: process}
  - {key: response, metric: response_minutes, target: 30, points: 20, track: process}
  - {key: rework, metric: rework_hours, target: 2, points: 10, track: result}
"""

WEIGHTED = """\
name: 双轨 weighted
workshops: [W1]
period: week
mode: weighted
effective_from: 2026-03-02
tracks: {process: 50, result: 50}
dimensions:
  - {key: first_pass_rate, metric: first_pass, target: 0.95, weight: 50, track: process}
  - {key: response, metric: response_minutes, target: 30, weight: 20, track: process}
  - {key: rework, metric: rework_hours, target: 2, weight: 30, track: result}
"""

# W001 sits on every boundary: first-pass mean (0.97 + 0.93) / 2 = 0.95, response 30
# minutes (lower is better: met at 30), rework 1.5 + 0.5 = 2 hours (lower: met at 2).
# W002: first pass 0.96, no response time at all ("no data"), rework 3 hours.
CSV = """\
date,shift,worker_code,metric,value
2026-03-09,day,W001,first_pass,0.97
2026-03-10,day,W001,first_pass,93%
2026-03-09,day,W001,response_minutes,30
2026-03-09,day,W001,rework_hours,1.5
2026-03-11,night,W001,rework_hours,0.5
2026-03-09,day,W002,first_pass,0.96
2026-03-12,day,W002,rework_hours,3
"""


def _metrics(session: Session) -> None:
    for code, name, better, combine, unit in (
        ("first_pass", "首检合格率", "higher", "mean", "%"),
        ("response_minutes", "巡检异常响应", "lower", "mean", "min"),
        ("rework_hours", "返修闭环时效", "lower", "sum", "h"),
    ):
        add_metric(session, code, MetricFields(name, better, combine, unit=unit), actor="test")


def _card(session: Session, code: str) -> dict[str, Any]:
    return worker_scorecard(session, code, "week", MONDAY, ZONE, today=AFTER)


def _line(card: dict[str, Any], key: str) -> dict[str, Any]:
    return next(d for d in card["dimensions"] if d["key"] == key)


def _tracks(card: dict[str, Any]) -> dict[str, float]:
    return {t["key"]: t["points"] for t in card["tracks"]}


@pytest.fixture
def scored(session: Session, factory: Factory) -> Session:
    _metrics(session)
    session.commit()
    report = import_metrics(session, CSV.encode(), "metrics.csv", actor="test")
    assert report.imported and not report.errors, report.to_text()
    assert report.created == 7
    session.commit()
    return session


def test_threshold_tracks_score_as_calculated_by_hand(scored: Session) -> None:
    import_scheme(scored, THRESHOLD, actor="test")
    scored.commit()
    one = _card(scored, "W001")
    # Every dimension met on its boundary: process 40/40 points -> 40 x 1; result 10/10 ->
    # 60 x 1; total 100 (the tracks' weights are the card's maximum).
    assert _line(one, "first_pass_rate")["value"] == pytest.approx(0.95)
    assert [(_line(one, k)["met"], _line(one, k)["points"])
            for k in ("first_pass_rate", "response", "rework")] == [
        (True, 20), (True, 20), (True, 10)]
    assert _tracks(one) == {"process": 40.0, "result": 60.0}
    assert (one["total"], one["max_total"], one["complete"]) == (100.0, 100.0, True)
    assert _line(one, "rework")["better"] == "lower"
    assert _line(one, "first_pass_rate")["unit"] == "percent"
    assert _line(one, "first_pass_rate")["metric"]["name"] == "首检合格率"
    assert _line(one, "first_pass_rate")["track"] == "process"
    # The card lists the values behind each line, day by day.
    assert _line(one, "rework")["daily"] == [{"date": "2026-03-09", "value": 1.5},
                                             {"date": "2026-03-11", "value": 0.5}]
    assert len(_line(one, "rework")["record_ids"]) == 2
    two = _card(scored, "W002")
    # first pass 0.96 met (20), response no data (0 of 20), so process 20/40 -> 40 x 0.5;
    # rework 3 > 2 not met: result 0. Total 20; the card is incomplete.
    response = _line(two, "response")
    assert (response["value"], response["met"], response["no_data"]) == (None, None, True)
    assert _tracks(two) == {"process": 20.0, "result": 0.0}
    assert (two["total"], two["complete"]) == (20.0, False)
    # The kiosk's lines: the last weeks of each track, a share of its maximum.
    weeks = one["track_weeks"]
    assert len(weeks["weeks"]) == 8 and weeks["weeks"][-1] == "2026-W11"
    assert (weeks["process"][-1], weeks["result"][-1]) == (1.0, 1.0)
    assert weeks["process"][0] is None  # before the scheme with tracks was in force


def test_weighted_tracks_score_as_calculated_by_hand(scored: Session) -> None:
    import_scheme(scored, WEIGHTED, actor="test")
    scored.commit()
    one = _card(scored, "W001")
    assert [_line(one, k)["points"] for k in ("first_pass_rate", "response", "rework")] == [
        50, 20, 30]
    assert _tracks(one) == {"process": 50.0, "result": 50.0}
    assert one["total"] == 100.0
    two = _card(scored, "W002")
    # first pass min(0.96 / 0.95, cap 1) x 50 = 50; response no data: 0 of 20; process
    # 50 / 70 x 50 = 35.71. Rework, lower is better: 2 / 3 x 30 = 20.0; result 20 / 30 x
    # 50 = 33.33. Total 35.71 + 33.33 = 69.04.
    assert [_line(two, k)["points"] for k in ("first_pass_rate", "response", "rework")] == [
        50, 0, 20]
    assert _tracks(two) == {"process": 35.71, "result": 33.33}
    assert two["total"] == 69.04


def test_reimporting_changes_nothing(scored: Session) -> None:
    import_scheme(scored, THRESHOLD, actor="test")
    scored.commit()
    before = _card(scored, "W001")
    again = import_metrics(scored, CSV.encode(), "metrics.csv", actor="test")
    scored.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert scored.scalar(select(func.count()).select_from(MetricValue)) == 7
    assert _card(scored, "W001")["total"] == before["total"]


def test_chinese_headers_and_shift_words(session: Session, factory: Factory) -> None:
    _metrics(session)
    text = "日期,班次,工号,指标,数值\n2026-03-09,白班,W001,rework_hours,2\n"
    report = import_metrics(session, text.encode("gb18030"), "指标.csv", actor="test")
    assert report.imported, report.to_text()
    value = session.scalars(select(MetricValue)).one()
    assert (value.shift, value.value, value.source) == ("day", 2.0, RecordSource.IMPORT)


def test_bad_rows_import_nothing_and_name_the_line(session: Session, factory: Factory) -> None:
    _metrics(session)
    add_metric(session, "fpy", MetricFields("合格率", "higher", "ratio", numerator="first_pass",
                                            denominator="rework_hours"), actor="test")
    text = ("date,shift,worker_code,metric,value\n"
            "2026-03-09,day,W001,nope,1\n"
            "2026-03-09,day,NOBODY,first_pass,1\n"
            "2026-03-09,day,W001,first_pass,abc\n"
            "2026-03-09,day,W001,fpy,0.5\n"
            "2026-03-10,day,W001,first_pass,0.9\n"
            "2026-03-10,day,W001,first_pass,0.8\n")
    report = import_metrics(session, text.encode(), "bad.csv", actor="test")
    assert not report.imported
    assert [e.row for e in report.errors] == [2, 3, 4, 5, 7]
    assert "no metric 'nope'" in str(report.errors[0].reason)
    assert "no worker 'NOBODY'" in str(report.errors[1].reason)
    assert "not a number" in str(report.errors[2].reason)
    assert "ratio" in str(report.errors[3].reason)
    assert "repeats" in str(report.errors[4].reason)
    assert session.scalar(select(func.count()).select_from(MetricValue)) == 0
    skipped = import_metrics(session, text.encode(), "bad.csv", actor="test", skip_bad=True)
    assert skipped.imported and skipped.created == 1


def test_a_machine_file_is_shared_by_run_minutes(session: Session, factory: Factory) -> None:
    _metrics(session)
    day = date(2026, 3, 11)
    upsert_production(session, [
        ProductionRow(day, "day", "W001", "M1", 480, 300, 100, 0),
        ProductionRow(day, "day", "W002", "M1", 480, 100, 40, 0),
        ProductionRow(day, "day", "W002", "M2", 480, 200, 40, 0),
    ], RecordSource.MES, "test")
    text = ("日期,班次,设备,指标,数值\n"
            "2026-03-11,白班,M1,rework_hours,4\n"   # a sum: 300:100 -> 3 and 1
            "2026-03-11,白班,M2,rework_hours,2\n"   # W002 alone: +2 -> 3 in all
            "2026-03-11,白班,M1,first_pass,0.9\n"   # a mean: each its own value...
            "2026-03-11,白班,M2,first_pass,0.6\n")  # W002: (0.9 x 100 + 0.6 x 200) / 300
    report = import_metrics(session, text.encode(), "machines.csv", actor="test")
    assert report.imported, report.to_text()
    stored = {(v.worker.code, v.metric.code): v.value
              for v in session.scalars(select(MetricValue))}
    assert stored == {("W001", "rework_hours"): 3.0, ("W002", "rework_hours"): 3.0,
                      ("W001", "first_pass"): 0.9, ("W002", "first_pass"): 0.7}
    nobody = import_metrics(session, b"date,shift,machine_code,metric,value\n"
                            b"2026-03-12,day,M1,rework_hours,1\n", "m.csv", actor="test")
    assert not nobody.imported and "nobody has a production record" in str(
        nobody.errors[0].reason)


def test_a_scheme_naming_an_unknown_metric_is_refused(session: Session,
                                                      factory: Factory) -> None:
    with pytest.raises(InvalidInput, match=r"dimensions\[0\]\.metric: no metric first_pass"):
        import_scheme(session, THRESHOLD, actor="test")
