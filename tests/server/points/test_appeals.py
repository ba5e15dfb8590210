"""An appeal on the seeded plant: its evidence, and its resolution with a correction, in an
open period (counted at once) and in a closed one (booked as an adjustment in the first
open period); every bad correction refused, changing nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    Appeal,
    AppealStatus,
    AuditEntry,
    EntryStatus,
    Notice,
    NoticeKind,
    PointEntry,
    ProductionRecord,
    RecordSource,
    User,
    Worker,
)
from server.scoring import period_span
from server.services import InvalidInput
from server.services.periods.closing import close_period
from server.services.points import appeals, claims, notices
from server.services.points.appeals import ManualAdjustment, PointAward, RecordCorrection
from server.services.scores.scorecards import worker_scorecard
from server.services.scores.tasks import worker_tasks
from support.factory import Plant, last_month_days
from support.factory import plant_zone as _zone


def _user(session: Session, name: str = "admin") -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _record(session: Session, code: str, plant: Plant, index: int = 0) -> ProductionRecord:
    day = last_month_days(plant.today)[index]
    return session.scalars(select(ProductionRecord).join(Worker).where(
        Worker.code == code, ProductionRecord.date == day)).one()


def _total(app: Flask, session: Session, plant: Plant, on: Any = None) -> float:
    card = worker_scorecard(session, "A002", "month", on or plant.last_month, _zone(app),
                            today=plant.today)
    return float(card["total"])


def _close_last_month(app: Flask, session: Session, plant: Plant) -> None:
    key = period_span("month", plant.last_month).label
    close_period(session, "W1", "month", key, "hr", _zone(app), plant.today)
    session.commit()


def _resolve(app: Flask, session: Session, plant: Plant, correction: Any, *,
             upheld: bool = True, user: str = "admin") -> appeals.Resolution:
    done = appeals.resolve(session, plant.appeal_id, upheld, "停机已核实", _user(session, user),
                           zone=_zone(app), correction=correction)
    session.commit()
    return done


def _five_thousand(record: ProductionRecord) -> RecordCorrection:
    """Enough good pieces on one shift to bring A002's defect rate under target: +30."""
    return RecordCorrection(record.id, 480, 300, 5000, record.defects, "MES 漏报的产量")


def test_an_appeal_shows_its_records_and_is_resolved(app: Flask, session: Session,
                                                     plant: Plant) -> None:
    admin = _user(session)
    item = appeals.get_appeal(session, plant.appeal_id)
    found = appeals.evidence(session, item, _zone(app), plant.today)
    assert found["line"]["key"] == "uptime"
    assert len(found["production"]) == len(last_month_days(plant.today))
    with pytest.raises(InvalidInput):
        appeals.resolve(session, plant.appeal_id, True, "  ", admin, zone=_zone(app))
    done = appeals.resolve(session, plant.appeal_id, True, "机器故障已核实", admin,
                           zone=_zone(app))
    assert item.status is AppealStatus.UPHELD and item.resolution == "机器故障已核实"
    assert done.points is None and done.notice.kind is NoticeKind.APPEAL_UPHELD
    assert done.notice.params["correction"] is None


# --- open period: the change counts at once -------------------------------------------


def test_a_record_corrected_in_an_open_period_counts_at_once(app: Flask, session: Session,
                                                             plant: Plant) -> None:
    before = _total(app, session, plant)
    record = _record(session, "A002", plant)
    done = _resolve(app, session, plant, _five_thousand(record))
    session.refresh(record)
    assert (record.output, record.source) == (5000, RecordSource.MANUAL)
    assert _total(app, session, plant) == before + 30
    assert done.points == 30 and done.booked_on is None
    assert session.scalar(select(func.count()).select_from(Adjustment)) == 0
    notice = session.scalars(select(Notice)).one()
    assert notice.kind is NoticeKind.APPEAL_UPHELD and notice.subject_id == plant.appeal_id
    assert notice.params["points"] == 30 and notice.params["correction"] == "record"
    assert notice.params["dimension"] == "uptime" and notice.params["note"] == "停机已核实"
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "appeal.resolve")).one()
    assert audit.after is not None and audit.after["correction"]["record"] == record.id
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.update")).one().entity_id == str(record.id)


def test_points_awarded_in_an_open_period(app: Flask, session: Session,
                                          plant: Plant) -> None:
    before = _total(app, session, plant)
    done = _resolve(app, session, plant, PointAward(5, "停机期间帮忙修机"))
    entry = session.scalars(select(PointEntry).where(PointEntry.category_id.is_(None))).one()
    span = period_span("month", plant.last_month)
    assert entry.status is EntryStatus.APPROVED and entry.points == 5
    assert entry.date == span.end and entry.reason == "停机期间帮忙修机"
    assert done.points == 5 and _total(app, session, plant) == before + 5
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "point.award")).one()


def test_a_manual_adjustment_in_an_open_period(app: Flask, session: Session,
                                               plant: Plant) -> None:
    before = _total(app, session, plant)
    day = last_month_days(plant.today)[3]
    done = _resolve(app, session, plant, ManualAdjustment(12.5, "停机两天按满勤计", day))
    line = session.scalars(select(Adjustment)).one()
    assert (line.booked_on, line.points, line.source) == (day, 12.5, "appeal")
    assert line.origin_period_id is None and line.reference == f"appeal:{plant.appeal_id}"
    assert done.points == 12.5 and _total(app, session, plant) == before + 12.5
    card = worker_scorecard(session, "A002", "month", plant.last_month, _zone(app),
                            today=plant.today)
    assert [a["reason"] for a in card["adjustments"]] == [
        f"appeal {plant.appeal_id}: 停机两天按满勤计"]


# --- closed period: the snapshot stays, the difference is booked in the open period ----


def test_a_record_corrected_in_a_closed_period_books_an_adjustment(app: Flask, session: Session,
                                                                   plant: Plant) -> None:
    _close_last_month(app, session, plant)
    frozen = _total(app, session, plant)
    record = _record(session, "A002", plant, 2)
    done = _resolve(app, session, plant, _five_thousand(record))
    session.refresh(record)
    assert record.output == 5000
    assert _total(app, session, plant) == frozen  # the snapshot never moves
    line = session.scalars(select(Adjustment)).one()
    assert (line.points, line.source, line.original_date) == (30, "appeal", record.date)
    assert line.origin_period_id is not None and line.reference == f"appeal:{plant.appeal_id}"
    assert period_span("month", plant.today).contains(line.booked_on)
    assert done.points == 30 and done.booked_on == line.booked_on
    current = worker_scorecard(session, "A002", "month", plant.today, _zone(app),
                               today=plant.today)
    assert [a["points"] for a in current["adjustments"]] == [30]
    assert done.notice.params["booked_on"] == line.booked_on.isoformat()


def test_points_awarded_in_a_closed_period_are_booked_in_the_open_one(
        app: Flask, session: Session, plant: Plant) -> None:
    _close_last_month(app, session, plant)
    frozen = _total(app, session, plant)
    done = _resolve(app, session, plant, PointAward(8, "补记加分"))
    entry = session.scalars(select(PointEntry).where(PointEntry.category_id.is_(None))).one()
    assert entry.date == period_span("month", plant.last_month).end
    [line] = session.scalars(select(Adjustment)).all()
    assert line.points == 8 and line.origin_period_id is not None
    assert period_span("month", plant.today).contains(line.booked_on)
    assert _total(app, session, plant) == frozen and done.points == 8


def test_a_manual_adjustment_for_a_closed_period(app: Flask, session: Session,
                                                 plant: Plant) -> None:
    """Made where it belongs (a line in the closed month) and settled: the open month gets
    the line with the closed month as its origin, and the bookkeeping still adds up."""
    _close_last_month(app, session, plant)
    frozen = _total(app, session, plant)
    done = _resolve(app, session, plant, ManualAdjustment(10, "停机补偿"))
    lines = {line.origin_period_id is None: line for line in session.scalars(select(Adjustment))}
    inside, booked = lines[True], lines[False]
    assert period_span("month", plant.last_month).contains(inside.booked_on)
    assert period_span("month", plant.today).contains(booked.booked_on)
    assert inside.points == booked.points == 10 and done.points == 10
    assert _total(app, session, plant) == frozen
    current = worker_scorecard(session, "A002", "month", plant.today, _zone(app),
                               today=plant.today)
    assert current["adjustment_points"] == 10


# --- bad input: a clear answer that changes nothing -----------------------------------


def _bad(plant: Plant, session: Session) -> list[tuple[Any, str]]:
    record = _record(session, "A002", plant)
    other = _record(session, "A001", plant)
    this_month = session.scalars(select(ProductionRecord).join(Worker).where(
        Worker.code == "A002", ProductionRecord.date >= plant.today.replace(day=1))).first()

    def fix(**values: Any) -> RecordCorrection:
        base = {"record_id": record.id, "planned_minutes": 480.0, "run_minutes": 400.0,
                "output": 100, "defects": 2, "reason": "更正"}
        return RecordCorrection(**{**base, **values})

    outside = period_span("month", plant.last_month).start - timedelta(days=1)
    cases: list[tuple[Any, str]] = [
        (fix(output=-1), "output: cannot be below 0"),
        (fix(defects=-3), "defects: cannot be below 0"),
        (fix(planned_minutes=-480.0), "planned_minutes: cannot be below 0"),
        (fix(run_minutes=-1.0), "run_minutes: cannot be below 0"),
        (fix(run_minutes=500.0), "run_minutes: more than planned_minutes"),
        (fix(planned_minutes=2000.0, run_minutes=10.0), "planned_minutes: more than a day"),
        (fix(defects=101), "defects: more than output"),
        (fix(reason="  "), "reason: "),
        (fix(record_id=other.id), "record: production record .* is not A002's"),
        (fix(record_id=999_999), "record: no production record"),
        (PointAward(0, "x"), "points: above 0"),
        (PointAward(-5, "x"), "points: above 0"),
        (PointAward(5, ""), "reason: "),
        (PointAward(5, "x", outside), "date: .* is not in the appealed period"),
        (ManualAdjustment(-10, "x"), "points: above 0"),
        (ManualAdjustment(float("nan"), "x"), "points: above 0"),
        (ManualAdjustment(10, " "), "reason: "),
    ]
    if this_month is not None:
        cases.append((fix(record_id=this_month.id), "record: .* is not A002's in"))
    return cases


def _state(session: Session) -> tuple[Any, ...]:
    return (
        session.scalar(select(func.count()).select_from(AuditEntry)),
        session.scalar(select(func.count()).select_from(Notice)),
        session.scalar(select(func.count()).select_from(Adjustment)),
        session.scalar(select(func.count()).select_from(PointEntry)),
        session.scalar(select(func.sum(ProductionRecord.output))),
        session.scalar(select(func.sum(ProductionRecord.defects))),
        session.scalar(select(func.count()).select_from(Appeal)
                       .where(Appeal.status != AppealStatus.OPEN)),
    )


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_bad_corrections_are_refused_and_change_nothing(app: Flask, session: Session,
                                                        plant: Plant, closed: bool) -> None:
    if closed:
        _close_last_month(app, session, plant)
    before = _state(session)
    for correction, message in _bad(plant, session):
        with pytest.raises(InvalidInput, match=message):
            _resolve(app, session, plant, correction)
        session.rollback()
    with pytest.raises(InvalidInput, match="correction: a rejected appeal changes no record"):
        _resolve(app, session, plant, PointAward(5, "x"), upheld=False)
    session.rollback()
    with pytest.raises(InvalidInput, match="only an admin corrects a production record"):
        _resolve(app, session, plant, _five_thousand(_record(session, "A002", plant)),
                 user="sup1")
    session.rollback()
    assert _state(session) == before
    assert appeals.get_appeal(session, plant.appeal_id).status is AppealStatus.OPEN


def test_a_rejected_appeal_tells_the_worker_and_changes_no_score(
        app: Flask, session: Session, plant: Plant) -> None:
    before = _total(app, session, plant)
    done = _resolve(app, session, plant, None, upheld=False)
    assert done.notice.kind is NoticeKind.APPEAL_REJECTED and done.points is None
    assert _total(app, session, plant) == before


# --- notices and the to-do list ------------------------------------------------------------


def test_decisions_stay_in_the_tasks_until_seen(app: Flask, session: Session,
                                                plant: Plant) -> None:
    worker = session.scalars(select(Worker).where(Worker.code == "A002")).one()
    tasks = worker_tasks(session, worker)
    assert [a["id"] for a in tasks["appeals_open"]] == [plant.appeal_id]
    assert tasks["notices"] == []
    _resolve(app, session, plant, PointAward(5, "补分"))
    for _visit in range(3):  # told on every visit, not once
        [notice] = worker_tasks(session, worker)["notices"]
        assert (notice["kind"], notice["points"], notice["dimension"]) == (
            "appeal_upheld", 5, "uptime")
    assert worker_tasks(session, worker)["appeals_open"] == []
    seen = session.get(Notice, notice["id"])
    assert seen is not None and notices.mark_seen(seen, "u-1", seen.created_at)
    assert not notices.mark_seen(seen, "u-2", seen.created_at)  # the first report stands
    session.commit()
    assert worker_tasks(session, worker)["notices"] == []
    assert seen.seen_event_uuid == "u-1"


def test_a_claim_decision_makes_a_notice_and_pending_claims_are_listed(
        app: Flask, session: Session, plant: Plant) -> None:
    worker = session.scalars(select(Worker).where(Worker.code == "A001")).one()
    [pending] = worker_tasks(session, worker)["claims_pending"]
    assert pending["id"] == plant.claim_id
    claims.decide_claims(session, [plant.claim_id], True, "谢谢", _user(session),
                         zone=_zone(app))
    session.commit()
    tasks = worker_tasks(session, worker)
    assert tasks["claims_pending"] == []
    [notice] = tasks["notices"]
    assert notice["kind"] == "claim_approved" and notice["points"] == pending["points"]
    assert notice["category"] == "help_colleague" and notice["note"] == "谢谢"
