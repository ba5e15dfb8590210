"""The growth path's services against the seeded plant (tests/support/factory.py): the
radar's shares worked out by hand, the weakest axis, the suggested videos and their
order, talent pools at their boundaries, grades reached at exactly the points needed,
and certification (refused unless reached; audited)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    AuditEntry,
    Certification,
    EntryStatus,
    PeriodState,
    PointCategory,
    PointEntry,
    Redemption,
    RedemptionState,
    Reward,
    Role,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    TrainingProgress,
    TrainingVideo,
    Worker,
)
from server.services import Conflict
from server.services.growth import path, pools
from server.services.growth.radar import (
    Axis,
    category_axes,
    dimension_axes,
    month_starts,
    radar,
    weakest,
)
from server.services.growth.record import growth_record, suggested
from support.factory import Plant, plant_zone


def _worker(session: Session, code: str) -> Worker:
    return session.scalars(select(Worker).where(Worker.code == code)).one()


def _category(session: Session, code: str) -> PointCategory:
    return session.scalars(select(PointCategory).where(PointCategory.code == code)).one()


def _points(session: Session, code: str, category: str | None, points: float, day: date,
            status: EntryStatus = EntryStatus.APPROVED) -> None:
    session.add(PointEntry(worker_id=_worker(session, code).id,
                           category_id=_category(session, category).id if category else None,
                           points=points, date=day, status=status))
    session.flush()


def _video(session: Session, title: str, tags: list[str], **fields: object) -> TrainingVideo:
    values: dict[str, object] = {"quiz": [], "roles": [], **fields}
    video = TrainingVideo(title=title, sha256=title.encode().hex().ljust(64, "0")[:64],
                          size_bytes=1, duration_s=100.0, file_path=f"videos/{title}.mp4",
                          growth_tags=tags, **values)
    session.add(video)
    session.flush()
    return video


def _complete(session: Session, code: str, video: TrainingVideo) -> None:
    session.add(TrainingProgress(worker_id=_worker(session, code).id, video_id=video.id,
                                 seconds_watched=100.0, completed_at=datetime.now(UTC)))
    session.flush()


def _tier_won(session: Session, code: str, key: str, tier: str | None,
              state: PeriodState = PeriodState.CLOSED) -> None:
    """`code` held `tier` when the workshop's week `key` closed (one period and snapshot
    per workshop and week, shared by its workers)."""
    worker = _worker(session, code)
    period = session.scalars(select(SettledPeriod).where(
        SettledPeriod.workshop_id == worker.workshop_id, SettledPeriod.key == key)).first()
    if period is None:
        period = SettledPeriod(workshop_id=worker.workshop_id, kind="week", key=key,
                               start=date(2026, 1, 5), end=date(2026, 1, 11), state=state,
                               version=1)
        session.add(period)
        session.flush()
        session.add(Snapshot(period_id=period.id, version=1, created_by="test", board={}))
        session.flush()
    snapshot = session.scalars(select(Snapshot).where(Snapshot.period_id == period.id)).one()
    session.add(SnapshotCard(snapshot_id=snapshot.id, worker_id=worker.id, total=90.0,
                             tier=tier, card={"tier": {"key": tier, "name": "优秀"}}))
    session.flush()


# --- the radar ----------------------------------------------------------------------


def test_month_starts_are_this_month_and_the_two_before() -> None:
    assert month_starts(date(2026, 1, 15)) == [date(2025, 11, 1), date(2025, 12, 1),
                                               date(2026, 1, 1)]


def test_dimension_shares_sum_points_over_maxima_and_skip_months_without_data() -> None:
    cards = [
        {"dimensions": [{"key": "uptime", "points": 60, "max_points": 60, "no_data": False},
                        {"key": "output", "points": 0, "max_points": 10, "no_data": False}]},
        {"dimensions": [{"key": "uptime", "points": 0, "max_points": 60, "no_data": False},
                        {"key": "output", "points": 0, "max_points": 10, "no_data": True}]},
        {"dimensions": [{"key": "uptime", "points": 30, "max_points": 60, "no_data": False},
                        {"key": "fpr", "points": 5, "max_points": 20, "no_data": False,
                         "metric": {"name": "首检合格率", "name_en": "First pass"}},
                        {"key": "output", "points": 10, "max_points": 10, "no_data": False}]},
    ]
    axes = {a.key: a for a in dimension_axes(cards)}
    assert axes["dim:uptime"].share == pytest.approx(90 / 180)
    assert axes["dim:output"].share == pytest.approx(10 / 20)  # the no-data month left out
    assert axes["dim:fpr"].share == pytest.approx(0.25)
    assert axes["dim:fpr"].name == "首检合格率" and axes["dim:fpr"].name_en == "First pass"
    only_none = dimension_axes([{"dimensions": [{"key": "attendance", "points": 0,
                                                 "max_points": 10, "no_data": True}]}])
    assert only_none[0].share is None


def test_category_shares_are_against_the_best_of_the_workshop_over_90_days(
        app: Flask, session: Session, plant: Plant) -> None:
    today = plant.today
    first_day = today - timedelta(days=89)
    _points(session, "A001", "improvement", 10, first_day)  # the window's first day counts
    _points(session, "A001", "improvement", 50, first_day - timedelta(days=1))  # too old
    _points(session, "A002", "improvement", 40, today)  # the workshop's best
    _points(session, "A001", "improvement", 99, today, EntryStatus.PENDING)  # not approved
    _points(session, "B001", "improvement", 400, today)  # another workshop
    _points(session, "A001", "tidy_5s", 6, today)  # A001 is the best: 1.0
    axes = {a.key: a for a in category_axes(session, _worker(session, "A001"), today)}
    assert axes["cat:improvement"].value == 10 and axes["cat:improvement"].top == 40
    assert axes["cat:improvement"].share == pytest.approx(0.25)
    assert axes["cat:tidy_5s"].share == pytest.approx(1.0)
    assert axes["cat:safety_catch"].share is None  # nobody earned any


def test_the_radar_reads_the_monthly_cards_of_the_plant(app: Flask, session: Session,
                                                        plant: Plant) -> None:
    axes = radar(session, _worker(session, "A001"), plant.today, plant_zone(app))
    keys = [a.key for a in axes]
    assert keys[:3] == ["dim:uptime", "dim:defect_rate", "dim:output"]
    assert all(a.share is None or 0 <= a.share <= 1 for a in axes)
    # Last month A001 ran 430 of 480 minutes (uptime met: 60 of 60) with 1 defect in 120
    # (0.83 %, met: 30 of 30); this month has no records, so only last month counts.
    shares = {a.key: a.share for a in axes}
    assert shares["dim:uptime"] == pytest.approx(1.0)
    assert shares["dim:defect_rate"] == pytest.approx(1.0)


def test_the_weakest_axis_is_a_dimension_first_and_ties_go_to_the_first() -> None:
    def axis(key: str, kind: str, share: float | None) -> Axis:
        return Axis(key, kind, key, key, None, 0, 1, share)
    axes = [axis("dim:a", "dimension", 0.5), axis("dim:b", "dimension", 0.2),
            axis("dim:c", "dimension", 0.2), axis("cat:x", "category", 0.0),
            axis("dim:d", "dimension", None)]
    assert weakest(axes) == axes[1]
    assert weakest([axis("dim:d", "dimension", None), axis("cat:x", "category", 0.4),
                    axis("cat:y", "category", 0.1)]).key == "cat:y"  # type: ignore[union-attr]
    assert weakest([axis("dim:d", "dimension", None)]) is None


def test_suggested_videos_are_those_tagged_for_the_weakest_axis_in_kiosk_order(
        app: Flask, session: Session, plant: Plant) -> None:
    worker = _worker(session, "A001")
    later = _video(session, "later", ["dim:output"], required=True,
                   required_by=date(2030, 1, 1))
    sooner = _video(session, "sooner", ["dim:output", "cat:tidy_5s"], required=True,
                    required_by=date(2029, 1, 1))
    optional = _video(session, "optional", ["dim:output"], required=False)
    _video(session, "other", ["dim:uptime"])
    done = _video(session, "done", ["dim:output"])
    _complete(session, "A001", done)
    _video(session, "retired", ["dim:output"], active=False)
    _video(session, "supervisors", ["dim:output"], roles=[Role.SUPERVISOR.value])
    axes = [Axis("dim:uptime", "dimension", "uptime", "uptime", None, 9, 10, 0.9),
            Axis("dim:output", "dimension", "output", "output", None, 1, 10, 0.1)]
    assert suggested(session, worker, axes) == [sooner.id, later.id, optional.id]


# --- talent pools -------------------------------------------------------------------


def test_a_pool_takes_exactly_enough_points_in_its_categories_and_days(
        app: Flask, session: Session, plant: Plant) -> None:
    today = plant.today
    pool = pools.save_pool(session, pools.PoolForm(
        code="lean", name="精益改善种子库", categories=["improvement", "quality_catch"],
        min_points=30, days=90), "test")
    _points(session, "A001", "improvement", 10, today - timedelta(days=89))
    _points(session, "A001", "quality_catch", 20, today)  # 30: exactly enough
    _points(session, "A002", "improvement", 29.5, today)  # just short
    _points(session, "A002", "tidy_5s", 50, today)  # not a pool category
    _points(session, "A003", "improvement", 30, today - timedelta(days=90))  # too old
    _points(session, "B001", "improvement", 45, today)
    found = [(m.worker.code, m.points) for m in pools.members(session, pool, today)]
    assert found == [("B001", 45.0), ("A001", 30.0)]
    assert [p.code for p in pools.pools_of(session, _worker(session, "A001"), today)] == [
        "lean"]
    assert pools.pools_of(session, _worker(session, "A002"), today) == []


def test_a_pool_may_also_ask_for_a_tier_won_k_times(app: Flask, session: Session,
                                                     plant: Plant) -> None:
    today = plant.today
    pool = pools.save_pool(session, pools.PoolForm(
        code="mech", name="机电复合潜力人才", min_points=0, tier="excellent", tier_times=2),
        "test")
    _tier_won(session, "A001", "2026-W02", "excellent")
    _tier_won(session, "A001", "2026-W03", "excellent")
    _tier_won(session, "A001", "2026-W04", "excellent", PeriodState.REOPENED)  # not closed
    _tier_won(session, "A002", "2026-W02", "excellent")
    _tier_won(session, "A002", "2026-W04", "excellent")  # reopened: does not count
    _tier_won(session, "A003", "2026-W02", "good")
    _tier_won(session, "A003", "2026-W03", "good")
    assert [(m.worker.code, m.tier_times) for m in pools.members(session, pool, today)] == [
        ("A001", 2)]


def test_a_pool_with_an_unknown_category_is_refused(app: Flask, session: Session,
                                                    plant: Plant) -> None:
    from server.services import InvalidInput
    with pytest.raises(InvalidInput, match="categories"):
        pools.save_pool(session, pools.PoolForm(code="x", name="x", categories=["nope"],
                                                min_points=1), "test")


# --- the promotion path -------------------------------------------------------------


def _ladder(session: Session, video: TrainingVideo | None = None) -> None:
    path.save_grade(session, path.GradeForm(code="T1", role="worker", rank=1, name="初级技工",
                                            name_en="Technician I", points=50,
                                            categories=["fault_fix", "improvement"]), "test")
    path.save_grade(session, path.GradeForm(code="T2", role="worker", rank=2, name="中级技工",
                                            points=120,
                                            videos=[video.id] if video else []), "test")


def test_a_grade_is_reached_at_exactly_the_points_it_needs(app: Flask, session: Session,
                                                          plant: Plant) -> None:
    _ladder(session)
    a001, a002 = _worker(session, "A001"), _worker(session, "A002")
    _points(session, "A001", "fault_fix", 30, plant.today - timedelta(days=400))  # all time
    _points(session, "A001", "improvement", 20, plant.today)  # 50: exactly
    _points(session, "A002", "fault_fix", 49, plant.today)
    _points(session, "A002", "tidy_5s", 100, plant.today)  # not a counted category
    one, two = path.standings(session, [a001, a002])
    assert one.next is not None and one.next.code == "T1" and one.points == 50
    assert one.reached and one.missing_points == 0
    assert not two.reached and two.missing_points == pytest.approx(1)
    assert [s.worker.code for s in path.candidates(session)] == ["A001"]


def test_certification_is_refused_unless_reached_and_moves_the_grade(
        app: Flask, session: Session, plant: Plant) -> None:
    video = _video(session, "grade video", [])
    _ladder(session, video)
    _points(session, "A002", "fault_fix", 49, plant.today)
    with pytest.raises(Conflict, match="not reached"):
        path.certify(session, "A002", "T1", "user:admin")
    with pytest.raises(Conflict, match="not the next grade"):
        path.certify(session, "A002", "T2", "user:admin")
    _points(session, "A002", "fault_fix", 1, plant.today)
    path.certify(session, "A002", "T1", "user:admin")
    with pytest.raises(Conflict, match="not the next grade"):  # once only
        path.certify(session, "A002", "T1", "user:admin")
    where = path.standing(session, _worker(session, "A002"))
    assert where.current is not None and where.current.code == "T1"
    assert where.next is not None and where.next.code == "T2"
    # T2 counts every category, all time, and needs the video complete.
    _points(session, "A002", "tidy_5s", 70, plant.today)
    where = path.standing(session, _worker(session, "A002"))
    assert where.points == 120 and where.missing_videos == [video] and not where.reached
    _complete(session, "A002", video)
    assert path.standing(session, _worker(session, "A002")).reached
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "grade.certify")
                            ).one()
    assert entry.actor == "user:admin" and entry.after["grade"] == "T1"
    assert session.scalars(select(Certification)).one().facts["points"] == 50


def test_the_growth_record_gathers_everything(app: Flask, session: Session,
                                              plant: Plant) -> None:
    _ladder(session)
    video = _video(session, "quiz video", [], pass_mark=60,
                   quiz=[{"question": "q", "answers": ["a", "b"], "correct": 0}])
    session.add(TrainingProgress(worker_id=_worker(session, "A001").id, video_id=video.id,
                                 seconds_watched=100.0, quiz_correct=1, quiz_total=2,
                                 quiz_attempts=2, quiz_best=0.5))
    _tier_won(session, "A001", "2026-W02", "excellent")
    cup = Reward(code="CUP", name="保温杯", name_en="Vacuum cup", cost=50)
    session.add(cup)
    session.flush()
    for n, state in enumerate((RedemptionState.HANDED_OVER, RedemptionState.CANCELLED)):
        session.add(Redemption(event_uuid=f"00000000-0000-4000-8000-00000000000{n}",
                               worker_id=_worker(session, "A001").id, reward_id=cup.id,
                               cost=50, state=state))
    session.flush()
    record = growth_record(session, _worker(session, "A001"), plant.today, plant_zone(app))
    assert record["grade"]["next"]["code"] == "T1"
    assert record["grade"]["missing_points"] == 50
    assert record["training"] == [{
        "video": video.id, "title": "quiz video", "title_en": None, "completed_at": None,
        "quiz_correct": 1, "quiz_total": 2, "quiz_best": 0.5, "quiz_attempts": 2,
        "pass_mark": 60, "passed": False}]
    assert record["tiers"][0]["tier"] == "excellent" and record["tiers"][0]["name"] == "优秀"
    assert [(r["code"], r["state"]) for r in record["rewards"]] == [("CUP", "handed_over")]
    assert record["pools"] == []
    assert {a["key"] for a in record["radar"]} >= {"dim:uptime", "cat:fault_fix"}
