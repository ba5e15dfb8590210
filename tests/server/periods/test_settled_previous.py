""""Most improved" compares this period with the one before as it was settled: once the
period before is closed, each worker's total there is the one in its snapshot (what they
were paid from), read without scoring the period again, whatever its rows say later.
Workers no closed period settled are still scored from the sums. Both engines."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import Machine, ProductionRecord, RecordSource, Worker, Workshop
from server.scoring import Period, period_span
from server.services.periods.closing import close_period
from server.services.periods.snapshots import settled_totals
from server.services.scores.aggregates import settle
from server.services.scores.schemes import import_scheme
from server.services.scores.scorecards import leaderboard
from server.services.scores.standings import build_standing

ZONE = ZoneInfo("Asia/Shanghai")
SCHEME = """\
name: 机加工车间
workshops: [W1, W2]
period: week
mode: weighted
effective_from: 2026-01-01
dimensions:
  - {key: uptime, target: 0.9, weight: 100}
tiers:
  - {key: excellent, name: 优秀, top_percent: 10}
  - {key: improved, name: 进步之星, most_improved_percent: 20}
"""
MONDAY = date(2026, 3, 9)  # ISO week 2026-W11
LAST_WEEK = period_span(Period.WEEK, MONDAY - timedelta(days=7))  # 2026-W10
SUNDAY_AFTER = MONDAY + timedelta(days=6)


@pytest.fixture
def shops(session: Session) -> tuple[Workshop, Workshop]:
    """W1: W001..W005, W005 from 0.1 uptime last week to 0.8 this week; W2: W101."""
    w1, w2 = Workshop(code="W1", name="机加工车间"), Workshop(code="W2", name="装配车间")
    m1, m2 = Machine(code="M1", name="CNC-1", workshop=w1), Machine(code="M2", name="P-2",
                                                                     workshop=w2)
    session.add_all([w1, w2, m1, m2])
    workers = [Worker(code=f"W00{i}", name=f"工人{i}", workshop=w1) for i in range(1, 6)]
    mover = Worker(code="W101", name="调动", workshop=w2)
    session.add_all([*workers, mover])
    session.flush()
    for i, worker in enumerate(workers):
        this_week = 0.9 - 0.05 * i
        last_week = this_week if i < 4 else 0.1
        _record(session, worker, m1, LAST_WEEK.start, last_week)
        _record(session, worker, m1, MONDAY, this_week)
    _record(session, mover, m2, LAST_WEEK.start, 0.3)
    _record(session, mover, m2, MONDAY, 0.7)
    import_scheme(session, SCHEME, actor="hr")
    session.commit()
    return w1, w2


def _record(session: Session, worker: Worker, machine: Machine, day: date,
            uptime: float) -> None:
    session.add(ProductionRecord(date=day, shift="A", worker_id=worker.id,
                                 machine_id=machine.id, planned_minutes=480,
                                 run_minutes=480 * uptime, output=100, defects=0,
                                 source=RecordSource.IMPORT))


def _improved(session: Session) -> dict[str, float]:
    """W1's most improved this week, with their improvement."""
    board = leaderboard(session, "W1", "week", MONDAY, ZONE, today=SUNDAY_AFTER)
    return {m["code"]: m["improvement"] for m in board["most_improved"]}


def _improvements(session: Session) -> dict[str, float | None]:
    """Every W1 worker's improvement on last week (None: no total there)."""
    shop = session.scalars(select(Workshop).where(Workshop.code == "W1")).one()
    standing = build_standing(session, shop, period_span(Period.WEEK, MONDAY), ZONE,
                              SUNDAY_AFTER)
    return {p.worker_code: p.improvement for p in standing.placings}


def _close_last_week(session: Session, workshop: str) -> None:
    close_period(session, workshop, "week", LAST_WEEK.label, "hr", ZONE,
                 today=SUNDAY_AFTER, force=True, reason="test")
    session.commit()


def _tamper(session: Session, code: str, uptime: float) -> None:
    """Rewrite a worker's record of last week behind the services' backs, as a copy of
    the database edited by hand would, and sum the day again."""
    worker = session.scalars(select(Worker).where(Worker.code == code)).one()
    session.execute(update(ProductionRecord)
                    .where(ProductionRecord.worker_id == worker.id,
                           ProductionRecord.date == LAST_WEEK.start)
                    .values(run_minutes=480 * uptime))
    settle(session)
    session.commit()


def test_a_settled_week_keeps_its_totals_for_most_improved(
        session: Session, shops: tuple[Workshop, Workshop]) -> None:
    live, every = _improved(session), _improvements(session)
    assert list(live) == ["W005"]
    _close_last_week(session, "W1")
    # The snapshot holds the totals the sums gave: nothing changes with the close.
    assert (_improved(session), _improvements(session)) == (live, every)
    _tamper(session, "W005", 0.8)  # last week rewritten as good as this one
    assert (_improved(session), _improvements(session)) == (live, every), \
        "the settled week moved"


def test_an_open_week_is_still_scored_from_its_sums(
        session: Session, shops: tuple[Workshop, Workshop]) -> None:
    _tamper(session, "W005", 0.8)
    assert _improved(session) == {}  # nobody improved: the sums count


def test_a_worker_who_moved_keeps_the_total_their_old_workshop_settled(
        session: Session, shops: tuple[Workshop, Workshop]) -> None:
    """W101 was settled in W2 last week with 0.3 and moves to W1: W1's most improved
    compares them with that, while W1's own week is still open."""
    _close_last_week(session, "W2")
    mover = session.scalars(select(Worker).where(Worker.code == "W101")).one()
    settled = settled_totals(session, [mover.id], LAST_WEEK)
    assert list(settled) == [mover.id] and settled[mover.id] is not None
    mover.workshop_id = shops[0].id
    session.commit()
    _tamper(session, "W101", 0.7)  # their record of last week now says as good as this
    board = leaderboard(session, "W1", "week", MONDAY, ZONE, today=SUNDAY_AFTER)
    total = next(s["total"] for s in board["standings"] if s["code"] == "W101")
    previous = settled[mover.id]
    assert previous is not None and total > previous
    # Improved on what was settled (0.3 uptime), not on the rewritten rows (0.7, none).
    assert _improvements(session)["W101"] == round(total - previous, 2)


def test_a_worker_settled_without_data_has_no_total_to_improve_on(
        session: Session, shops: tuple[Workshop, Workshop]) -> None:
    newcomer = Worker(code="W006", name="新人", workshop=shops[0])
    session.add(newcomer)
    session.commit()
    _close_last_week(session, "W1")
    assert settled_totals(session, [newcomer.id], LAST_WEEK) == {newcomer.id: None}
    machine = session.scalars(select(Machine).where(Machine.code == "M1")).one()
    _record(session, newcomer, machine, MONDAY, 0.9)
    session.commit()
    assert _improvements(session)["W006"] is None
