"""Fair numbers from the database, on both engines: workers without data in a period are
not ranked, so a new hire moves nobody's tier in a month they were not there for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from server.models import (
    Machine,
    ProductionRecord,
    RecordSource,
    TrainingVideo,
    Worker,
    Workshop,
)
from server.services.scores.schemes import import_scheme
from server.services.scores.scorecards import (
    StandingsCache,
    all_scorecards,
    leaderboard,
    worker_scorecard,
)

ZONE = ZoneInfo("Asia/Shanghai")
SCHEME = """\
name: 月度
workshops: [W1]
period: month
mode: threshold
effective_from: 2026-01-01
dimensions:
  - {key: uptime, target: 0.75, points: 60}
  - {key: output, target: 3000, points: 40}
  - {key: training, target: 1, points: 0}
hourly_points: 1
tiers:
  - {key: excellent, name: 优秀, top_percent: 10}
  - {key: good, name: 良好, top_percent: 20}
  - {key: improved, name: 进步之星, most_improved_percent: 10}
"""
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)
DECEMBER_5 = date(2026, 12, 5)


@pytest.fixture
def shop(session: Session) -> Workshop:
    """Ten workers with records in October and November (W01 best in November and most
    improved), a video required of everyone, and W11 who worked in October only."""
    shop = Workshop(code="W1", name="机加工车间")
    machine = Machine(code="M1", name="CNC-1", workshop=shop)
    session.add_all([shop, machine])
    workers = [Worker(code=f"W{i:02d}", name=f"工人{i}", workshop=shop) for i in range(1, 12)]
    session.add_all(workers)
    session.add(TrainingVideo(title="安全", sha256="0" * 64, size_bytes=1, duration_s=60,
                              file_path="v.mp4", required=True))
    session.flush()
    for i, worker in enumerate(workers[:10]):
        for month, hours in ((OCTOBER, 2.0), (NOVEMBER, 8.0 - 0.3 * i)):
            session.add(ProductionRecord(
                date=month + timedelta(days=2), shift="day", worker_id=worker.id,
                machine_id=machine.id, planned_minutes=480, run_minutes=60 * hours,
                output=100, defects=0, source=RecordSource.IMPORT))
    session.add(ProductionRecord(
        date=OCTOBER + timedelta(days=2), shift="day", worker_id=workers[10].id,
        machine_id=machine.id, planned_minutes=480, run_minutes=480, output=100, defects=0,
        source=RecordSource.IMPORT))
    import_scheme(session, SCHEME, actor="hr")
    session.commit()
    return shop


def _places(board: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    return [(s["code"], s["rank"], s["tier"]["key"] if s["tier"] else None)
            for s in board["standings"]]


def test_a_new_hire_without_data_does_not_move_last_months_tiers(session: Session,
                                                                  shop: Workshop) -> None:
    def november(cache: StandingsCache | None = None) -> dict[str, Any]:
        return leaderboard(session, "W1", "month", NOVEMBER, ZONE, today=DECEMBER_5,
                           cache=cache)

    before = november()
    ranked = [(f"W{i:02d}", i, "excellent" if i == 1 else "good" if i == 2 else None)
              for i in range(1, 11)]
    # W11 worked in October only: not ranked in November, listed last.
    assert _places(before) == [*ranked, ("W11", None, None)]
    # December: HR imports ten new hires. Counted in November's headcount, they would make
    # top 10 % two workers and top 20 % four.
    session.add_all([Worker(code=f"N{i:02d}", name=f"新人{i}", workshop=shop)
                     for i in range(1, 11)])
    session.commit()
    after = november()
    assert _places(after)[:10] == ranked
    assert [s["rank"] for s in after["standings"][10:]] == [None] * 11
    assert _places(november(StandingsCache())) == _places(after)
    assert [m["code"] for m in after["most_improved"]] == ["W01"]
    w11 = next(s for s in after["standings"] if s["code"] == "W11")
    assert (w11["tier"], w11["awards"]) == (None, [])

    card = worker_scorecard(session, "N01", "month", NOVEMBER, ZONE, today=DECEMBER_5)
    assert (card["rank"], card["rank_of"], card["tier"], card["next_tier"],
            card["projected_tier"], card["total"]) == (None, None, None, None, None, 0)
    cached = worker_scorecard(session, "N01", "month", NOVEMBER, ZONE, today=DECEMBER_5,
                              cache=StandingsCache())
    assert (cached["rank"], cached["tier"]) == (None, None)
    w01 = worker_scorecard(session, "W01", "month", NOVEMBER, ZONE, today=DECEMBER_5,
                           cache=StandingsCache())
    assert (w01["rank"], w01["rank_of"], w01["tier"]["key"]) == (1, 10, "excellent")
    every = {c["worker"]["code"]: c for c in all_scorecards(session, "month", NOVEMBER, ZONE,
                                                            today=DECEMBER_5)["scorecards"]}
    assert every["N05"]["rank"] is None and every["W02"]["tier"]["key"] == "good"


def test_a_day_without_data_has_no_rank_and_no_tier(session: Session, shop: Workshop) -> None:
    worked = NOVEMBER + timedelta(days=2)
    card = worker_scorecard(session, "W01", "day", worked, ZONE, today=DECEMBER_5)
    assert (card["rank"], card["tier"]["key"]) == (1, "excellent")
    idle = worker_scorecard(session, "W01", "day", worked + timedelta(days=1), ZONE,
                            today=DECEMBER_5)
    assert (idle["rank"], idle["rank_of"], idle["tier"], idle["next_tier"]) == (
        None, None, None, None)


def test_a_month_in_progress_pro_rates_output_and_says_so(session: Session,
                                                          shop: Workshop) -> None:
    # On 10 November (10 of 30 days) 100 pieces are judged against 3,000 × 10 / 30.
    card = worker_scorecard(session, "W01", "month", NOVEMBER, ZONE,
                            today=NOVEMBER + timedelta(days=9))
    output = next(d for d in card["dimensions"] if d["key"] == "output")
    uptime = next(d for d in card["dimensions"] if d["key"] == "uptime")
    assert (output["target"], output["target_full"], output["pro_rated"]) == (1000, 3000, True)
    assert output["met"] is False
    assert (uptime["target"], uptime["target_full"], uptime["pro_rated"]) == (0.75, 0.75, False)
    finished = worker_scorecard(session, "W01", "month", NOVEMBER, ZONE, today=DECEMBER_5)
    output = next(d for d in finished["dimensions"] if d["key"] == "output")
    assert (output["target"], output["target_full"], output["pro_rated"]) == (3000, 3000, False)
