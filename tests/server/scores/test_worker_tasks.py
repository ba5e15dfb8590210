"""Today's tasks on the scorecard (services.scores.tasks): videos still due, claims decided
and appeals answered since the worker's previous badge-in; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api.schemas import Scorecard
from server.models import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    PointCategory,
    PointEntry,
    Redemption,
    RedemptionState,
    Reward,
    TrainingProgress,
    TrainingVideo,
    Worker,
    Workshop,
)
from server.services import NotFound
from server.services.scores.tasks import FIRST_VISIT_LOOKBACK, worker_tasks
from support.factory import bearer, build_factory

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


def _worker(session: Session, code: str) -> Worker:
    return session.scalars(select(Worker).where(Worker.code == code)).one()


def _video(session: Session, title: str, *, workshops: list[Workshop] | None = None,
           required: bool = True, active: bool = True, required_by: date | None = None,
           roles: list[str] | None = None) -> TrainingVideo:
    video = TrainingVideo(title=title, sha256="0" * 64, size_bytes=1, duration_s=200.0,
                          file_path=f"videos/{title}.mp4", required=required, active=active,
                          required_by=required_by, roles=roles or [],
                          workshops=workshops or [])
    session.add(video)
    return video


def _badge_in(session: Session, worker: Worker, at: datetime) -> None:
    session.add(Event(uuid=str(uuid.uuid4()), kind="badge_in", worker_id=worker.id,
                      occurred_at=at, payload={"kind": "card", "reader": "r"},
                      body_hash="0" * 64))


def _claim(session: Session, worker: Worker, status: EntryStatus,
           decided_at: datetime | None, category: PointCategory) -> PointEntry:
    entry = PointEntry(worker=worker, category=category, points=category.points,
                       date=NOW.date(), status=status, decided_at=decided_at,
                       decision_note="好样的" if decided_at else None)
    session.add(entry)
    return entry


def _appeal(session: Session, worker: Worker, status: AppealStatus,
            resolved_at: datetime | None) -> Appeal:
    appeal = Appeal(worker=worker, period="week", period_start=date(2026, 3, 2),
                    dimension="uptime", reason="machine_broken", status=status,
                    resolution="已更正" if resolved_at else None, resolved_at=resolved_at)
    session.add(appeal)
    return appeal


@pytest.fixture
def plant(session: Session) -> Session:
    build_factory(session)
    return session


def test_videos_due_follow_the_training_rules(plant: Session) -> None:
    session = plant
    w1, w2 = (session.scalars(select(Workshop).where(Workshop.code == c)).one()
              for c in ("W1", "W2"))
    worker = _worker(session, "W001")
    soon = _video(session, "安全操作", workshops=[w1], required_by=date(2026, 3, 20))
    later = _video(session, "5S 现场", required_by=date(2026, 4, 1))  # every workshop
    now_due = _video(session, "消防演练", workshops=[w1])  # no date: due now
    done = _video(session, "已看完", workshops=[w1])
    _video(session, "装配车间专用", workshops=[w2])
    _video(session, "选修", workshops=[w1], required=False)
    _video(session, "已停用", workshops=[w1], active=False)
    _video(session, "主管培训", workshops=[w1], roles=["supervisor"])
    session.flush()
    session.add_all([
        TrainingProgress(worker_id=worker.id, video_id=soon.id, seconds_watched=50.0),
        TrainingProgress(worker_id=worker.id, video_id=done.id, seconds_watched=200.0,
                         completed_at=NOW - timedelta(days=1)),
        # someone else's progress does not count for W001
        TrainingProgress(worker_id=_worker(session, "W002").id, video_id=later.id,
                         seconds_watched=150.0),
    ])
    session.commit()

    videos = worker_tasks(session, worker, NOW)["videos_due"]
    assert [v["title"] for v in videos] == ["消防演练", "安全操作", "5S 现场"]
    assert [v["id"] for v in videos] == [now_due.id, soon.id, later.id]
    assert videos[1]["required_by"] == "2026-03-20" and videos[0]["required_by"] is None
    assert [v["progress"] for v in videos] == [0.0, 0.25, 0.0]
    supervisor = worker_tasks(session, "S001", NOW)["videos_due"]
    assert "主管培训" in [v["title"] for v in supervisor]


def test_decisions_since_the_previous_visit(plant: Session) -> None:
    session = plant
    worker, other = _worker(session, "W001"), _worker(session, "W002")
    category = session.scalars(select(PointCategory).order_by(PointCategory.id)).first()
    assert category is not None
    _badge_in(session, worker, NOW - timedelta(days=5))
    _badge_in(session, worker, NOW - timedelta(days=2))  # the previous visit
    _badge_in(session, worker, NOW - timedelta(minutes=1))  # this visit's own tap
    _badge_in(session, other, NOW - timedelta(hours=1))  # someone else's visit
    approved = _claim(session, worker, EntryStatus.APPROVED, NOW - timedelta(days=1), category)
    rejected = _claim(session, worker, EntryStatus.REJECTED, NOW - timedelta(hours=3), category)
    _claim(session, worker, EntryStatus.APPROVED, NOW - timedelta(days=3), category)  # seen
    _claim(session, worker, EntryStatus.PENDING, None, category)
    _claim(session, other, EntryStatus.APPROVED, NOW - timedelta(hours=2), category)
    answered = _appeal(session, worker, AppealStatus.UPHELD, NOW - timedelta(hours=5))
    _appeal(session, worker, AppealStatus.REJECTED, NOW - timedelta(days=4))  # seen
    _appeal(session, worker, AppealStatus.OPEN, None)
    _appeal(session, other, AppealStatus.REJECTED, NOW - timedelta(hours=1))
    session.commit()

    tasks = worker_tasks(session, worker, NOW)
    assert datetime.fromisoformat(tasks["since"]) == NOW - timedelta(days=2)
    assert tasks["last_visit"] == tasks["since"]
    assert [(c["id"], c["status"]) for c in tasks["claims_decided"]] == [
        (rejected.id, "rejected"), (approved.id, "approved")]
    assert tasks["claims_decided"][0]["category"] == category.code
    assert tasks["claims_decided"][0]["note"] == "好样的"
    assert [(a["id"], a["status"], a["resolution"]) for a in tasks["appeals_answered"]] == [
        (answered.id, "upheld", "已更正")]


def test_a_first_visit_looks_back_a_week(plant: Session) -> None:
    session = plant
    worker = _worker(session, "W001")
    category = session.scalars(select(PointCategory).order_by(PointCategory.id)).first()
    assert category is not None
    recent = _claim(session, worker, EntryStatus.APPROVED, NOW - timedelta(days=6), category)
    _claim(session, worker, EntryStatus.APPROVED, NOW - timedelta(days=8), category)
    _badge_in(session, worker, NOW - timedelta(minutes=2))  # only this visit
    session.commit()
    tasks = worker_tasks(session, worker, NOW)
    assert tasks["last_visit"] is None
    assert datetime.fromisoformat(tasks["since"]) == NOW - FIRST_VISIT_LOOKBACK
    assert [c["id"] for c in tasks["claims_decided"]] == [recent.id]
    assert tasks["appeals_answered"] == [] and tasks["videos_due"] == []
    with pytest.raises(NotFound):
        worker_tasks(session, "NOBODY", NOW)


def test_the_kiosk_scorecard_carries_the_tasks(app, plant: Session) -> None:
    session = plant
    factory_token = _kiosk_token(session)
    _video(session, "安全操作", required_by=date(2026, 3, 20))
    session.commit()
    client: FlaskClient = app.test_client()
    response = client.get("/api/v1/workers/W001/scorecard?period=week&date=2026-03-11",
                          headers=bearer(factory_token))
    assert response.status_code == 200, response.get_json()
    card = response.get_json()
    Scorecard.model_validate(card)
    assert [v["title"] for v in card["tasks"]["videos_due"]] == ["安全操作"]
    assert card["tasks"]["claims_decided"] == [] and card["tasks"]["appeals_answered"] == []
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "videos_due" in str(spec)


def _kiosk_token(session: Session) -> str:
    from server.services.devices.kiosks import add_kiosk, enroll

    code = add_kiosk(session, "K-tasks", ["W1"], "test").code
    token = enroll(session, code)[1]
    session.commit()
    return token


def test_rewards_handed_over_since_the_previous_visit(plant: Session) -> None:
    """Said aloud at the kiosk: the rewards a supervisor handed over since the last visit,
    not those before it, not those still waiting, not someone else's."""
    session = plant
    worker, other = _worker(session, "W001"), _worker(session, "W002")
    towel = Reward(code="TOWEL18", name="毛巾", name_en="Towel", cost=50)
    session.add(towel)
    _badge_in(session, worker, NOW - timedelta(days=2))  # the previous visit
    session.flush()

    def redemption(who: Worker, state: RedemptionState, decided: datetime | None) -> None:
        session.add(Redemption(event_uuid=str(uuid.uuid4()), worker_id=who.id,
                               reward_id=towel.id, cost=50, state=state, decided_at=decided))

    redemption(worker, RedemptionState.HANDED_OVER, NOW - timedelta(hours=3))
    redemption(worker, RedemptionState.HANDED_OVER, NOW - timedelta(days=3))  # told before
    redemption(worker, RedemptionState.PENDING, None)
    redemption(other, RedemptionState.HANDED_OVER, NOW - timedelta(hours=1))
    session.commit()
    (handed,) = worker_tasks(session, worker, NOW)["rewards_handed_over"]
    assert (handed["reward"], handed["title"], handed["title_en"], handed["points"]) == (
        "TOWEL18", "毛巾", "Towel", 50)
