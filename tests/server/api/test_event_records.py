"""What accepted events do: production records, points, training, appeals, the audit log."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AuditEntry,
    EntryStatus,
    PointEntry,
    ProductionRecord,
    RecordSource,
    TrainingProgress,
    TrainingVideo,
)
from server.services.audit import verify_chain
from tests.server.api.conftest import Factory, PostEvents, bearer, make_event

DAY = "2026-11-23"


def at(clock: str, day: str = DAY) -> str:
    return f"{day}T{clock}:00+08:00"  # the factory's zone in tests is Asia/Shanghai


def _records(session: Session) -> list[tuple[date, str, float, float, int, int, str]]:
    session.expire_all()
    return [(r.date, r.shift, r.planned_minutes, r.run_minutes, r.output, r.defects,
             r.source.value)
            for r in session.scalars(select(ProductionRecord).order_by(ProductionRecord.id))]


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def machine(kind: str, clock: str, day: str = DAY, code: str = "M1", worker: str = "W001"
            ) -> dict:  # type: ignore[type-arg]
    return make_event(kind, worker=worker, payload={"machine": code}, occurred_at=at(clock, day))


def count(kind: str, n: int, clock: str, code: str = "M1") -> dict:  # type: ignore[type-arg]
    return make_event(kind, payload={"machine": code, "count": n}, occurred_at=at(clock))


def test_start_stop_pairs_make_run_minutes_on_a_kiosk_record(post_events: PostEvents,
                                                             session: Session) -> None:
    post_events(machine("machine_start", "08:00"), machine("machine_stop", "10:30"),
                machine("machine_start", "13:00"), machine("machine_stop", "14:00"),
                count("output", 120, "10:00"), count("output", 30, "14:00"),
                count("defect", 2, "14:05"))
    assert _records(session) == [(date(2026, 11, 23), "day", 480.0, 210.0, 150, 2, "kiosk")]
    assert "production.upsert" in _actions(session)


def test_out_of_order_and_resent_events_give_the_same_record(post_events: PostEvents,
                                                             session: Session) -> None:
    start, stop = machine("machine_start", "08:00"), machine("machine_stop", "09:00")
    post_events(stop)
    assert _records(session) == []  # a stop alone is no run
    post_events(start, stop, start)
    assert _records(session)[0][3] == 60.0


def test_a_night_run_belongs_to_the_date_it_started(post_events: PostEvents,
                                                    session: Session) -> None:
    post_events(machine("machine_start", "22:00"),
                machine("machine_stop", "02:00", day="2026-11-24"))
    assert _records(session) == [(date(2026, 11, 23), "night", 480.0, 240.0, 0, 0, "kiosk")]


def test_a_second_start_begins_the_run_anew_and_a_forgotten_stop_counts_nothing(
    post_events: PostEvents, session: Session
) -> None:
    post_events(machine("machine_start", "07:00"), machine("machine_start", "08:00"),
                machine("machine_stop", "09:00"))
    assert _records(session)[0][3] == 60.0
    post_events(machine("machine_start", "06:00", code="M2"),
                machine("machine_stop", "06:30", day="2026-11-24", code="M2"))
    assert len(_records(session)) == 1  # 24.5 hours is no run


def test_mes_wins_over_kiosk_records(client: FlaskClient, factory: Factory,
                                     post_events: PostEvents, session: Session) -> None:
    post_events(machine("machine_start", "08:00"), machine("machine_stop", "09:00"))
    row = {"date": DAY, "shift": "day", "worker_code": "W001", "machine_code": "M1",
           "planned_minutes": 480, "run_minutes": 400, "output": 900, "defects": 3}
    response = client.post("/api/v1/production", json={"records": [row]},
                           headers=bearer(factory.integration_token))
    assert response.status_code == 200
    post_events(machine("machine_start", "11:00"), machine("machine_stop", "12:00"))
    assert _records(session) == [(date(2026, 11, 23), "day", 480.0, 400.0, 900, 3, "mes")]


def test_an_mes_record_under_another_shift_name_also_wins(
    client: FlaskClient, factory: Factory, post_events: PostEvents, session: Session
) -> None:
    row = {"date": DAY, "shift": "A", "worker_code": "W001", "machine_code": "M1",
           "planned_minutes": 480, "run_minutes": 400, "output": 900, "defects": 3}
    client.post("/api/v1/production", json={"records": [row]},
                headers=bearer(factory.integration_token))
    post_events(machine("machine_start", "08:00"), machine("machine_stop", "09:00"))
    assert [r[-1] for r in _records(session)] == ["mes"]


def test_a_point_claim_waits_for_a_supervisor_who_approves_it(
    client: FlaskClient, kiosk_headers: dict[str, str], post_events: PostEvents,
    session: Session
) -> None:
    claim = make_event("point_claim", payload={"category": "help_colleague", "note": "帮忙搬料",
                                               "photo_jpeg": "/9j/4AAQSkZJRg=="})
    assert post_events(claim)[0]["status"] == "accepted"
    entry = session.scalars(select(PointEntry)).one()
    assert (entry.status, entry.points, entry.reason) == (EntryStatus.PENDING, 5.0, "帮忙搬料")
    pending = client.get("/api/v1/claims?workshop=W1", headers=kiosk_headers).get_json()
    assert [(c["uuid"], c["photo_jpeg"]) for c in pending["claims"]] == [
        (claim["uuid"], "/9j/4AAQSkZJRg==")]

    by_worker = make_event("claim_decision", worker="W002",
                           payload={"claim": claim["uuid"], "decision": "approve"})
    assert post_events(by_worker)[0]["reason"] == "worker 'W002' is not a supervisor"
    decision = make_event("claim_decision", worker="S001",
                          payload={"claim": claim["uuid"], "decision": "approve", "note": "好"})
    assert post_events(decision)[0]["status"] == "accepted"
    session.refresh(entry)
    assert entry.status is EntryStatus.APPROVED and entry.decision_note == "好"
    assert client.get("/api/v1/claims", headers=kiosk_headers).get_json() == {"claims": []}
    again = make_event("claim_decision", worker="S001",
                       payload={"claim": claim["uuid"], "decision": "reject"})
    assert post_events(again)[0]["reason"] == "payload.claim: already approved"
    assert _actions(session)[-2:] == ["point.claim", "point.approve"]


def test_a_claim_and_its_rejection_in_one_batch(post_events: PostEvents,
                                                session: Session) -> None:
    claim = make_event("point_claim", payload={"category": "tidy_5s"})
    decision = make_event("claim_decision", worker="S001",
                          payload={"claim": claim["uuid"], "decision": "reject"})
    assert [r["status"] for r in post_events(claim, decision)] == ["accepted", "accepted"]
    assert session.scalars(select(PointEntry)).one().status is EntryStatus.REJECTED


def test_a_supervisor_of_another_workshop_cannot_decide(
    factory: Factory, post_events: PostEvents
) -> None:
    claim = make_event("point_claim", worker="W101", payload={"category": "tidy_5s"})
    post_events(claim, headers=bearer(factory.other_kiosk_token))
    decision = make_event("claim_decision", worker="S001",
                          payload={"claim": claim["uuid"], "decision": "approve"})
    assert post_events(decision)[0]["reason"] == \
        "supervisor 'S001' does not lead the claimant's workshop"
    unknown = make_event("claim_decision", worker="S001",
                         payload={"claim": "00000000-0000-4000-8000-000000000000",
                                  "decision": "approve"})
    assert post_events(unknown)[0]["reason"].startswith("payload.claim: no point claim")


def test_a_remark_gives_approved_points_to_many_within_the_category(
    post_events: PostEvents, session: Session
) -> None:
    remark = make_event("remark", worker="S001",
                        payload={"workers": ["W001", "W002"], "category": "fault_fix",
                                 "points": 8, "note": "处理设备故障"})
    assert post_events(remark)[0]["status"] == "accepted"
    entries = session.scalars(select(PointEntry).order_by(PointEntry.id)).all()
    assert [(e.points, e.status) for e in entries] == [(8.0, EntryStatus.APPROVED)] * 2
    assert _actions(session).count("point.remark") == 2
    assert verify_chain(session).ok


@pytest.mark.parametrize(("worker", "payload", "reason"), [
    ("W001", {"workers": ["W002"], "category": "fault_fix"}, "worker 'W001' is not a supervisor"),
    ("S001", {"workers": ["W002"], "category": "fault_fix", "points": 11},
     "payload.points: 11 is more than category 'fault_fix' gives (10)"),
    ("S001", {"workers": ["W101"], "category": "fault_fix"},
     "worker 'W101' is not in this kiosk's workshops"),
    ("S001", {"workers": ["S001"], "category": "fault_fix"},
     "payload.workers: a supervisor cannot remark themselves"),
    ("S001", {"workers": ["W002"], "category": "nope"}, "unknown point category 'nope'"),
    ("S001", {"workers": ["W002", "W002"], "category": "fault_fix"},
     "payload.workers: Value error, names a worker twice"),
])
def test_a_remark_out_of_bounds_is_rejected_and_gives_nothing(
    post_events: PostEvents, session: Session, worker: str, payload: dict,  # type: ignore[type-arg]
    reason: str
) -> None:
    result = post_events(make_event("remark", worker=worker, payload=payload))[0]
    assert result == {"uuid": result["uuid"], "status": "rejected", "reason": reason}
    assert session.scalars(select(PointEntry)).all() == []


def test_training_progress_completes_at_90_percent(post_events: PostEvents,
                                                   session: Session) -> None:
    video = TrainingVideo(title="安全", sha256="0" * 64, size_bytes=1, duration_s=100.0,
                          file_path="v.mp4")
    session.add(video)
    session.commit()
    progress = make_event("training_progress", payload={"video": video.id,
                                                        "seconds_watched": 50})
    post_events(progress)
    row = session.scalars(select(TrainingProgress)).one()
    assert (row.seconds_watched, row.completed_at) == (50.0, None)
    post_events(make_event("training_progress", payload={"video": video.id,
                                                        "seconds_watched": 90}))
    post_events(make_event("training_progress", payload={"video": video.id,
                                                        "seconds_watched": 10}))
    session.refresh(row)
    assert row.seconds_watched == 90.0 and row.completed_at is not None
    assert _actions(session).count("training.complete") == 1
    missing = make_event("training_progress", payload={"video": 999, "seconds_watched": 1})
    assert post_events(missing)[0]["reason"] == "payload.video: no training video 999"


def test_an_appeal_opens_for_the_period(post_events: PostEvents, session: Session) -> None:
    appeal = make_event("appeal", payload={"period": "week", "dimension": "uptime",
                                           "reason": "machine_was_down"},
                        occurred_at=at("09:00", "2026-11-25"))
    assert post_events(appeal)[0]["status"] == "accepted"
    row = session.scalars(select(Appeal)).one()
    assert (row.period, row.period_start, row.dimension, row.status.value) == (
        "week", date(2026, 11, 23), "uptime", "open")
    assert "appeal.open" in _actions(session)
    wrong = make_event("appeal", payload={"period": "month", "period_start": "2026-11-05",
                                          "dimension": "uptime", "reason": "x"})
    assert post_events(wrong)[0]["reason"] == \
        "payload.period_start: 2026-11-05 does not begin a month"


def test_faults_and_quality_issues_are_stored_as_sent(post_events: PostEvents,
                                                      session: Session) -> None:
    results = post_events(
        make_event("machine_fault", payload={"machine": "M1", "fault": "jam"}),
        make_event("quality_issue", payload={"issue": "scratch", "note": "批次 12"}),
    )
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert _records(session) == []
    assert session.scalars(select(ProductionRecord.source)).all() == []
    assert RecordSource.KIOSK.value == "kiosk"
