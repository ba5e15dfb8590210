"""Scorecards and leaderboards loaded from the database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from server.models import (
    EntryStatus,
    Event,
    Language,
    Machine,
    PointEntry,
    ProductionRecord,
    RecordSource,
    TrainingProgress,
    TrainingVideo,
    Worker,
    Workshop,
)
from server.scoring import PeriodTotals, period_span, period_totals
from server.services import InvalidInput, NotFound, ServiceError
from server.services.audit import record
from server.services.scores.aggregates import settle
from server.services.scores.inputs import Training, load_inputs, load_totals, people
from server.services.scores.schemes import import_scheme
from server.services.scores.scorecards import (
    StandingsCache,
    all_scorecards,
    leaderboard,
    worker_scorecard,
)
from server.services.scores.standings import build_standing, cached_standing

ZONE = ZoneInfo("Asia/Shanghai")
SCHEME = """\
name: 机加工车间
workshops: [W1]
period: week
mode: threshold
effective_from: 2026-01-01
dimensions:
  - {key: uptime,      target: 0.75, points: 60}
  - {key: defect_rate, target: 0.03, points: 30}
  - {key: training,    target: 1,    points: 10}
  - {key: attendance,  target: 1,    points: 0}
hourly_points: 1
tiers:
  - {key: excellent, name: 优秀, top_percent: 10}
  - {key: good, name: 良好, top_percent: 20}
  - {key: improved, name: 进步之星, most_improved_percent: 10}
"""
MONDAY = date(2026, 3, 9)  # ISO week 2026-W11


@pytest.fixture
def factory(session: Session) -> Workshop:
    """Ten workers in W1; W001 best this week, W010 most improved on last week."""
    shop = Workshop(code="W1", name="机加工车间")
    empty = Workshop(code="W2", name="装配车间")
    machine = Machine(code="M1", name="CNC-1", workshop=shop)
    session.add_all([shop, empty, machine])
    workers = [Worker(code=f"W{i:03d}", name=f"工人{i}", workshop=shop,
                      language=Language.EN if i == 2 else Language.ZH_CN)
               for i in range(1, 11)]
    session.add_all(workers)
    session.flush()
    for i, worker in enumerate(workers):
        this_week = 0.95 - 0.05 * i if i < 9 else 0.8   # W001 0.95, W002 0.90, ...
        last_week = this_week if i < 9 else 0.1        # W010 jumps from 0.1 to 0.8
        for day, uptime in ((MONDAY - timedelta(days=7), last_week), (MONDAY, this_week)):
            session.add(ProductionRecord(
                date=day, shift="A", worker_id=worker.id, machine_id=machine.id,
                planned_minutes=480, run_minutes=480 * uptime, output=100, defects=i,
                source=RecordSource.IMPORT))
    session.add(ProductionRecord(  # a second record on one day, with nothing planned
        date=MONDAY, shift="B", worker_id=workers[1].id, machine_id=machine.id,
        planned_minutes=0, run_minutes=0, output=5, defects=0, source=RecordSource.IMPORT))
    w001 = workers[0]
    session.add_all([
        PointEntry(worker_id=w001.id, points=10, date=MONDAY, status=EntryStatus.APPROVED,
                   reason="handled a machine fault"),
        PointEntry(worker_id=w001.id, points=5, date=MONDAY, status=EntryStatus.PENDING),
        # 23:30 UTC on Sunday is Monday 07:30 in Shanghai: a badge-in for Monday.
        Event(uuid="e1", kind="badge_in", worker_id=w001.id, body_hash="x",
              occurred_at=datetime(2026, 3, 8, 23, 30, tzinfo=UTC)),
    ])
    video = TrainingVideo(title="安全", sha256="0" * 64, size_bytes=1, duration_s=60,
                          file_path="v.mp4", required=True, workshops=[shop],
                          created_at=datetime(2026, 1, 5, tzinfo=UTC))
    session.add(video)
    session.flush()
    session.add(TrainingProgress(worker_id=w001.id, video_id=video.id, seconds_watched=60,
                                 completed_at=datetime(2026, 3, 1, 2, tzinfo=UTC)))
    import_scheme(session, SCHEME, actor="hr")
    session.flush()
    return shop


def test_each_dimension_says_which_way_is_better_its_unit_and_each_days_met(
        session: Session, factory: Workshop) -> None:
    """The kiosk draws these as sent and keeps no copy of its own."""
    card = worker_scorecard(session, "W005", "week", MONDAY, ZONE, today=MONDAY)
    uptime, defects, training, attendance = card["dimensions"]
    assert (uptime["better"], uptime["unit"]) == ("higher", "percent")
    assert (defects["better"], defects["unit"]) == ("lower", "percent")
    assert {training["unit"], attendance["unit"]} == {"percent"}
    # W005's Monday: uptime 0.75 on a 0.75 target is met; 4 defects in 100 on 0.03 is not.
    assert uptime["daily"] == [{"date": "2026-03-09", "value": 0.75}]
    assert uptime["daily_met"] == {"2026-03-09": True}
    assert defects["daily_met"] == {"2026-03-09": False}
    assert list(attendance["daily_met"]) == [d["date"] for d in attendance["daily"]]


def test_worker_card_has_the_shape_the_kiosk_expects(session: Session,
                                                     factory: Workshop) -> None:
    card = worker_scorecard(session, "W001", "week", MONDAY, ZONE, today=MONDAY)
    assert card["worker"] == {"code": "W001", "name": "工人1", "language": "zh_CN",
                              "workshop": "W1"}
    assert (card["period"], card["period_start"], card["period_end"]) == (
        "week", "2026-03-09", "2026-03-15")
    assert card["scheme"] == {"name": "机加工车间", "version": 1, "mode": "threshold"}
    uptime, defects, training, attendance = card["dimensions"]
    assert uptime["met"] and uptime["points"] == 60 and len(uptime["record_ids"]) == 1
    assert uptime["daily"] == [{"date": "2026-03-09", "value": 0.95}]
    assert defects["value"] == 0 and defects["met"]
    assert training["value"] == 1 and training["points"] == 10
    assert attendance["value"] == 1 and attendance["record_ids"]  # the Shanghai-dated tap
    assert card["hourly_points"] == pytest.approx(7.6)
    assert card["point_entries_total"] == 10  # the pending claim does not count
    assert card["total"] == pytest.approx(60 + 30 + 10 + 7.6 + 10)
    assert card["max_total"] == 100 and card["complete"]
    assert (card["rank"], card["rank_of"]) == (1, 10)
    assert card["tier"] == {"key": "excellent", "name": "优秀", "stars": 3}
    assert card["next_tier"] is None
    assert card["awards"] == ["excellent"]
    # Everything but the training (finished on 1 March) came from Monday's records.
    assert card["today_points"] == pytest.approx(card["total"] - 10)
    assert card["as_of"] == "2026-03-09"
    assert card["projected_tier"] == "excellent"
    assert card["projected_total"] > card["total"]


def test_worker_without_data_is_incomplete_not_zero_percent(session: Session,
                                                            factory: Workshop) -> None:
    card = worker_scorecard(session, "W005", "week", MONDAY + timedelta(days=7), ZONE,
                            today=MONDAY + timedelta(days=7))
    assert not card["complete"] and card["total"] == 0
    assert all(d["no_data"] and d["value"] is None for d in card["dimensions"]
               if d["key"] != "training")


def test_leaderboard_standings_and_most_improved(session: Session, factory: Workshop) -> None:
    board = leaderboard(session, "W1", "week", MONDAY, ZONE, today=MONDAY + timedelta(days=6))
    assert board["workshop"] == {"code": "W1", "name": "机加工车间"}
    assert [s["code"] for s in board["standings"]][:3] == ["W001", "W002", "W003"]
    assert board["standings"][0]["tier"] == {"key": "excellent", "name": "优秀", "stars": 3}
    assert board["standings"][1]["tier"]["key"] == "good"
    assert [m["code"] for m in board["most_improved"]] == ["W010"]
    assert board["most_improved"][0]["improvement"] > 0
    w010 = next(s for s in board["standings"] if s["code"] == "W010")
    assert "improved" in w010["awards"]


def test_all_scorecards_lists_workshops_without_a_scheme(session: Session,
                                                         factory: Workshop) -> None:
    result = all_scorecards(session, "week", MONDAY, ZONE, today=MONDAY)
    assert len(result["scorecards"]) == 10
    assert result["workshops_without_scheme"] == ["W2"]
    assert {c["worker"]["code"] for c in result["scorecards"]} == {
        f"W{i:03d}" for i in range(1, 11)}


def _statements(session: Session, call: Callable[[], object]) -> int:
    statements: list[str] = []
    engine = session.get_bind()

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_queries_do_not_grow_with_the_workshop(session: Session, factory: Workshop) -> None:
    def board() -> object:
        return leaderboard(session, "W1", "week", MONDAY, ZONE, today=MONDAY)

    def card() -> object:
        return worker_scorecard(session, "W003", "week", MONDAY, ZONE, today=MONDAY)

    board()  # the first read builds the day sums
    before = _statements(session, board), _statements(session, card)
    machine = session.scalars(select(Machine)).one()
    for i in range(11, 41):
        worker = Worker(code=f"W{i:03d}", name=f"工人{i}", workshop=factory)
        session.add(worker)
        session.flush()
        session.add(ProductionRecord(
            date=MONDAY, shift="A", worker_id=worker.id, machine_id=machine.id,
            planned_minutes=480, run_minutes=400, output=100, defects=1,
            source=RecordSource.IMPORT))
    session.flush()
    settle(session)  # the new records' day sums, summed as their transaction commits
    assert (_statements(session, board), _statements(session, card)) == before
    assert len(board()["standings"]) == 40  # type: ignore[index]


def test_unknown_codes_and_missing_scheme(session: Session, factory: Workshop) -> None:
    with pytest.raises(NotFound, match="W999"):
        worker_scorecard(session, "W999", "week", MONDAY, ZONE)
    with pytest.raises(NotFound, match="W9"):
        leaderboard(session, "W9", "week", MONDAY, ZONE)
    with pytest.raises(ServiceError, match="no scoring scheme in force"):
        leaderboard(session, "W2", "week", MONDAY, ZONE)
    with pytest.raises(ServiceError, match="no scoring scheme in force on 2025"):
        worker_scorecard(session, "W001", "month", date(2025, 12, 5), ZONE)
    with pytest.raises(InvalidInput, match="period"):
        worker_scorecard(session, "W001", "year", MONDAY, ZONE)


@pytest.mark.parametrize("zone", [
    ZONE,
    ZoneInfo("Europe/Berlin"),  # summer time starts on 29 March 2026, inside the month
    ZoneInfo("America/Los_Angeles"),  # and on 8 March 2026, inside the week
])
def test_database_sums_agree_with_the_engines_sums(session: Session, factory: Workshop,
                                                   zone: ZoneInfo) -> None:
    persons = people(session, factory.id)
    training = Training(session, factory.id, [p.id for p in persons], zone)
    session.add_all([  # taps near midnight, whose day depends on the zone
        Event(uuid=f"late-{i}", kind="badge_in", worker_id=p.id, body_hash="x",
              occurred_at=datetime(2026, 3, 8 + i % 2, i * 5 % 24, 30, tzinfo=UTC))
        for i, p in enumerate(persons)])
    session.flush()
    for span in (period_span("week", MONDAY), period_span("month", MONDAY),
                 period_span("week", MONDAY - timedelta(days=7)),
                 period_span("day", MONDAY - timedelta(days=7))):
        rows = load_inputs(session, persons, span, training, zone)
        sums = load_totals(session, persons, span, training, zone)
        for person in persons:
            expected = period_totals(rows[person.id], span)
            assert _fields(sums[person.id]) == pytest.approx(_fields(expected)), person.code
            assert sums[person.id].metrics == expected.metrics, person.code
    attended = [load_totals(session, persons, period_span("week", MONDAY), training,
                            zone)[p.id].attended_days for p in persons]
    assert 0 < sum(attended) < len(persons)  # the zone decides which taps fall on Monday


def _fields(totals: PeriodTotals) -> dict[str, float]:
    return {f.name: getattr(totals, f.name) for f in fields(totals) if f.name != "metrics"}


def test_a_cached_card_equals_a_fresh_one(session: Session, factory: Workshop) -> None:
    cache = StandingsCache()
    for code in ("W001", "W004", "W010"):
        fresh = worker_scorecard(session, code, "week", MONDAY, ZONE, today=MONDAY)
        assert worker_scorecard(session, code, "week", MONDAY, ZONE, today=MONDAY,
                                cache=cache) == fresh
    board = leaderboard(session, "W1", "week", MONDAY, ZONE, today=MONDAY)
    assert leaderboard(session, "W1", "week", MONDAY, ZONE, today=MONDAY, cache=cache) == board


def _total_of(board: dict[str, Any], code: str) -> float:
    return next(s["total"] for s in board["standings"] if s["code"] == code)


def test_every_change_shows_at_once_through_the_cache(session: Session,
                                                      factory: Workshop) -> None:
    cache = StandingsCache()

    def board() -> dict[str, Any]:
        return leaderboard(session, "W1", "week", MONDAY, ZONE, today=MONDAY, cache=cache)

    before = board()
    assert board() == before and len(cache) == 1
    w005 = session.scalars(select(Worker).where(Worker.code == "W005")).one()
    entry = PointEntry(worker_id=w005.id, points=20, date=MONDAY,
                       status=EntryStatus.APPROVED, reason="helped a colleague")
    session.add(entry)
    session.flush()
    record(session, "test", "point.remark", "point_entry", entry.id)  # as every writer does
    after = board()
    assert _total_of(after, "W005") == _total_of(before, "W005") + 20
    assert after == leaderboard(session, "W1", "week", MONDAY, ZONE, today=MONDAY)
    card = worker_scorecard(session, "W005", "week", MONDAY, ZONE, today=MONDAY, cache=cache)
    assert card == worker_scorecard(session, "W005", "week", MONDAY, ZONE, today=MONDAY)
    # A badge-in is not audited; its day's sums move the workshop's score stamp.
    week = period_span("week", MONDAY)
    held = cached_standing(session, cache, factory, week, ZONE, MONDAY)
    assert cached_standing(session, cache, factory, week, ZONE, MONDAY) is held
    w003 = session.scalars(select(Worker).where(Worker.code == "W003")).one()
    session.add(Event(uuid="tap-w003", kind="badge_in", worker_id=w003.id, body_hash="x",
                      occurred_at=datetime(2026, 3, 9, 0, 5, tzinfo=UTC)))
    session.flush()
    assert cached_standing(session, cache, factory, week, ZONE, MONDAY) is not held


def test_a_tap_elsewhere_or_outside_the_period_leaves_the_standing_cached(
        session: Session, factory: Workshop) -> None:
    """Standings are invalidated by changes to their workshop and period only: a tap in
    another workshop, or in this one long before, keeps the cached standing."""
    cache = StandingsCache()
    week = period_span("week", MONDAY)
    held = cached_standing(session, cache, factory, week, ZONE, MONDAY)
    other = Workshop(code="W9", name="装配")
    stranger = Worker(code="Z001", name="外人", workshop=other)
    session.add_all([other, stranger])
    session.flush()
    session.add(Event(uuid="tap-elsewhere", kind="badge_in", worker_id=stranger.id,
                      body_hash="x", occurred_at=datetime(2026, 3, 10, 0, 5, tzinfo=UTC)))
    w001 = session.scalars(select(Worker).where(Worker.code == "W001")).one()
    session.add(Event(uuid="tap-long-ago", kind="badge_in", worker_id=w001.id,
                      body_hash="x", occurred_at=datetime(2025, 3, 10, 0, 5, tzinfo=UTC)))
    session.flush()
    assert cached_standing(session, cache, factory, week, ZONE, MONDAY) is held
    # The week before counts (most improved): a tap in it moves this week's standing.
    session.add(Event(uuid="tap-last-week", kind="badge_in", worker_id=w001.id,
                      body_hash="x", occurred_at=datetime(2026, 3, 4, 0, 5, tzinfo=UTC)))
    session.flush()
    assert cached_standing(session, cache, factory, week, ZONE, MONDAY) is not held


def test_cache_is_bounded_and_forgets_older_versions(session: Session,
                                                     factory: Workshop) -> None:
    cache = StandingsCache(max_entries=2)
    for day in range(4):
        leaderboard(session, "W1", "day", MONDAY + timedelta(days=day), ZONE,
                    today=MONDAY + timedelta(days=day), cache=cache)
    assert len(cache) == 2
    day = period_span("day", MONDAY + timedelta(days=3))
    held = cached_standing(session, cache, factory, day, ZONE, day.start)
    record(session, "test", "worker.update", "worker", "W001")
    assert cached_standing(session, cache, factory, day, ZONE, day.start) is not held
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0


def test_cache_is_safe_across_threads(session: Session, factory: Workshop) -> None:
    standing = build_standing(session, factory, period_span("week", MONDAY), ZONE, MONDAY)
    cache = StandingsCache(max_entries=8)
    errors: list[BaseException] = []

    def hammer(offset: int) -> None:
        try:
            for i in range(2000):
                version = (i // 100, 0, 0)
                cache.put(version, (offset + i) % 16, standing)
                found = cache.get(version, (offset + i) % 16)
                assert found is None or found is standing
                assert len(cache) <= 8
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
