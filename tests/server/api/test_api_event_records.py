"""What accepted events do: production records, points, training, appeals, the audit log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
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
    Worker,
)
from server.services.audit import verify_chain
from support.factory import SUPERVISOR_PIN, Factory, PostEvents, bearer, make_event
from support.seals import app_keys, seal_one, sealed

# Monday of last week in the factory's zone (Asia/Shanghai in tests): inside the kiosk
# offline window, and a whole week that has begun.
_TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
MONDAY = _TODAY - timedelta(days=_TODAY.weekday() + 7)
DAY = MONDAY.isoformat()
NEXT_DAY = (MONDAY + timedelta(days=1)).isoformat()


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
    assert _records(session) == [(MONDAY, "day", 480.0, 210.0, 150, 2, "kiosk")]
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
                machine("machine_stop", "02:00", day=NEXT_DAY))
    assert _records(session) == [(MONDAY, "night", 480.0, 240.0, 0, 0, "kiosk")]


def test_a_second_start_begins_the_run_anew_and_a_forgotten_stop_counts_nothing(
    post_events: PostEvents, session: Session
) -> None:
    post_events(machine("machine_start", "07:00"), machine("machine_start", "08:00"),
                machine("machine_stop", "09:00"))
    assert _records(session)[0][3] == 60.0
    post_events(machine("machine_start", "06:00", code="M2"),
                machine("machine_stop", "06:30", day=NEXT_DAY, code="M2"))
    assert len(_records(session)) == 1  # 24.5 hours is no run


def test_a_count_without_a_machine_goes_to_the_machine_last_run(
    post_events: PostEvents, session: Session
) -> None:
    def bare(kind: str, n: int, clock: str) -> dict:  # type: ignore[type-arg]
        return make_event(kind, payload={"count": n}, occurred_at=at(clock))

    post_events(machine("machine_start", "08:00", code="M2"), bare("output", 40, "09:00"),
                machine("machine_stop", "10:00", code="M2"), bare("defect", 1, "10:05"))
    assert _records(session) == [(MONDAY, "day", 480.0, 120.0, 40, 1, "kiosk")]


def test_a_count_sent_before_its_machine_start_is_counted_once_the_start_arrives(
    post_events: PostEvents, session: Session
) -> None:
    count = make_event("output", payload={"count": 25}, occurred_at=at("09:00"))
    assert post_events(count)[0]["status"] == "accepted"
    assert _records(session) == []  # no machine yet: kept in the event log
    post_events(machine("machine_start", "08:30"))
    assert _records(session) == [(MONDAY, "day", 480.0, 0.0, 25, 0, "kiosk")]


def test_a_count_without_a_machine_start_or_stop_plans_no_minutes(
    client: FlaskClient, kiosk_headers: dict[str, str], post_events: PostEvents,
    session: Session
) -> None:
    """Issue 13: a tap on "output" on a machine not started in the shift made a record of
    480 planned and 0 run minutes, and the worker's uptime fell. The count is kept for
    output and defect rate; uptime sees no invented shift."""

    def uptime() -> float:
        card = client.get(f"/api/v1/workers/W001/scorecard?period=week&date={DAY}",
                          headers=kiosk_headers).get_json()
        return next(d for d in card["dimensions"] if d["key"] == "uptime")["value"]

    post_events(machine("machine_start", "08:00"), machine("machine_stop", "15:02"))
    before = uptime()
    assert before == round(422 / 480, 6)  # 88 %
    assert post_events(count("output", 25, "16:00", code="M2"))[0]["status"] == "accepted"
    assert post_events(count("defect", 1, "16:30", code="M2"))[0]["status"] == "accepted"
    assert _records(session) == [(MONDAY, "day", 480.0, 422.0, 0, 0, "kiosk"),
                                 (MONDAY, "day", 0.0, 0.0, 25, 1, "kiosk")]
    assert uptime() == before
    # A count sent without a machine goes to the machine last started or stopped (M1, at
    # 15:02), here in the night shift, where M1 was neither: nothing planned either.
    bare = make_event("output", payload={"count": 7}, occurred_at=at("19:00"))
    assert post_events(bare)[0]["status"] == "accepted"
    assert _records(session)[2] == (MONDAY, "night", 0.0, 0.0, 7, 0, "kiosk")
    assert uptime() == before
    # Starting the machine in that shift plans it from then on.
    post_events(machine("machine_start", "17:00", code="M2"))
    assert _records(session)[1] == (MONDAY, "day", 480.0, 0.0, 25, 1, "kiosk")


def test_mes_wins_over_kiosk_records(client: FlaskClient, factory: Factory,
                                     post_events: PostEvents, session: Session) -> None:
    post_events(machine("machine_start", "08:00"), machine("machine_stop", "09:00"))
    row = {"date": DAY, "shift": "day", "worker_code": "W001", "machine_code": "M1",
           "planned_minutes": 480, "run_minutes": 400, "output": 900, "defects": 3}
    response = client.post("/api/v1/production", json={"records": [row]},
                           headers=bearer(factory.integration_token))
    assert response.status_code == 200
    post_events(machine("machine_start", "11:00"), machine("machine_stop", "12:00"))
    assert _records(session) == [(MONDAY, "day", 480.0, 400.0, 900, 3, "mes")]


def test_an_mes_record_under_another_shift_name_also_wins(
    client: FlaskClient, factory: Factory, post_events: PostEvents, session: Session
) -> None:
    row = {"date": DAY, "shift": "A", "worker_code": "W001", "machine_code": "M1",
           "planned_minutes": 480, "run_minutes": 400, "output": 900, "defects": 3}
    client.post("/api/v1/production", json={"records": [row]},
                headers=bearer(factory.integration_token))
    post_events(machine("machine_start", "08:00"), machine("machine_stop", "09:00"))
    assert [r[-1] for r in _records(session)] == ["mes"]


def test_a_late_stop_cuts_short_a_run_begun_in_the_shift_before(
    post_events: PostEvents, session: Session
) -> None:
    post_events(machine("machine_start", "17:00"), machine("machine_stop", "18:30"))
    assert _records(session) == [(MONDAY, "day", 480.0, 90.0, 0, 0, "kiosk")]
    post_events(machine("machine_stop", "18:05"))  # in the night shift, sent late
    assert _records(session) == [(MONDAY, "day", 480.0, 65.0, 0, 0, "kiosk")]


def test_a_late_start_takes_counts_without_a_machine_from_the_machine_they_were_on(
    post_events: PostEvents, session: Session
) -> None:
    bare = make_event("output", payload={"count": 25}, occurred_at=at("09:00"))
    post_events(machine("machine_start", "08:00"), count("output", 10, "08:10"), bare)
    assert _records(session) == [(MONDAY, "day", 480.0, 0.0, 35, 0, "kiosk")]
    post_events(machine("machine_start", "08:30", code="M2"))
    assert _records(session) == [(MONDAY, "day", 480.0, 0.0, 10, 0, "kiosk"),
                                 (MONDAY, "day", 480.0, 0.0, 25, 0, "kiosk")]


def test_one_audit_entry_per_batch_lists_each_changed_record_before_and_after(
    post_events: PostEvents, session: Session
) -> None:
    post_events(count("output", 100, "09:00"), count("output", 40, "10:00", code="M2"),
                count("output", 7, "19:00"))
    post_events(count("defect", 3, "11:00"), count("output", 1, "12:00", code="M2"))
    post_events(count("output", 5, "09:30"), count("output", 5, "09:30"))  # once stored
    entries = list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.upsert").order_by(AuditEntry.id)))
    assert [e.after["created"] + e.after["updated"] for e in entries if e.after] == [3, 2, 1]
    first, second, _ = (e.after or {} for e in entries)
    w001 = session.scalars(select(Worker).where(Worker.code == "W001")).one()
    worker = f"worker:{w001.id}"  # the audit log names workers by id, not code
    assert sorted(c["key"] for c in first["changes"]) == [
        f"{DAY}/day/{worker}/M1", f"{DAY}/day/{worker}/M2",
        f"{DAY}/night/{worker}/M1"]
    assert all(c["before"] is None for c in first["changes"])
    changes = {c["key"]: (c["before"]["output"], c["before"]["defects"],
                          c["after"]["output"], c["after"]["defects"])
               for c in second["changes"]}
    assert changes == {f"{DAY}/day/{worker}/M1": (100, 0, 100, 3),
                       f"{DAY}/day/{worker}/M2": (40, 0, 41, 0)}
    assert second["updated_keys"] == sorted(changes)
    assert verify_chain(session).ok


def test_a_point_claim_waits_for_a_supervisor_who_approves_it(
    app: Flask, client: FlaskClient, kiosk_headers: dict[str, str], post_events: PostEvents,
    session: Session
) -> None:
    claim = make_event("point_claim", payload={"category": "help_colleague", "note": "帮忙搬料",
                                               "photo_jpeg": "/9j/4AAQSkZJRg=="})
    assert post_events(claim)[0]["status"] == "accepted"
    entry = session.scalars(select(PointEntry)).one()
    assert (entry.status, entry.points, entry.reason) == (EntryStatus.PENDING, 5.0, "帮忙搬料")
    pending = client.get("/api/v1/claims?workshop=W1", headers=kiosk_headers).get_json()
    assert [(c["id"], c["worker"], c["points"], c["photo_jpeg"]) for c in pending["claims"]] \
        == [(claim["uuid"], "W001", 5.0, "/9j/4AAQSkZJRg==")]

    def decide(decided_by: str, decision: str = "approve", **fields: object) -> dict:  # type: ignore[type-arg]
        return seal_one(app_keys(app), SUPERVISOR_PIN, make_event("claim_decision", worker=None,
                        payload={"claim": claim["uuid"], "decision": decision,
                                 "decided_by": decided_by, **fields}))

    assert post_events(decide("W002"))[0]["reason"] == \
        "payload.decided_by: worker 'W002' is not a supervisor"
    assert post_events(decide("S001", note="好"))[0]["status"] == "accepted"
    session.refresh(entry)
    assert entry.status is EntryStatus.APPROVED and entry.decision_note == "好"
    assert client.get("/api/v1/claims", headers=kiosk_headers).get_json() == {"claims": []}
    assert post_events(decide("S001", "reject"))[0]["reason"] == \
        "payload.claim: already approved"
    assert _actions(session)[-2:] == ["point.claim", "point.approve"]


def test_a_claim_and_its_rejection_in_one_batch(app: Flask, post_events: PostEvents,
                                                session: Session) -> None:
    claim = make_event("point_claim", payload={"category": "tidy_5s", "points": 1})
    decision = seal_one(app_keys(app), SUPERVISOR_PIN, make_event("claim_decision",
                        worker="W001", payload={"claim": claim["uuid"], "decision": "reject",
                                                "decided_by": "S001"}))
    assert [r["status"] for r in post_events(claim, decision)] == ["accepted", "accepted"]
    entry = session.scalars(select(PointEntry)).one()
    assert (entry.status, entry.points) == (EntryStatus.REJECTED, 1.0)


@pytest.mark.parametrize(("worker", "payload", "reason"), [
    ("W002", {"decided_by": "S001"}, "worker: the claim is 'W101''s, not 'W002''s"),
    (None, {"decided_by": "S001"}, "payload.decided_by: 'S001' does not lead the claimant's "
                                   "workshop"),
    (None, {"decided_by": "S999"}, "payload.decided_by: unknown worker 'S999'"),
    (None, {"decided_by": "S001", "claim": "00000000-0000-4000-8000-000000000000"},
     "payload.claim: no point claim 00000000-0000-4000-8000-000000000000"),
])
def test_a_decision_by_the_wrong_person_or_for_no_claim_is_rejected(
    app: Flask, factory: Factory, post_events: PostEvents, worker: str | None,
    payload: dict, reason: str  # type: ignore[type-arg]
) -> None:
    claim = make_event("point_claim", worker="W101", payload={"category": "tidy_5s"})
    post_events(claim, headers=bearer(factory.other_kiosk_token))
    decision = seal_one(app_keys(app), SUPERVISOR_PIN, make_event(
        "claim_decision", worker=worker,
        payload={"claim": claim["uuid"], "decision": "approve", **payload}))
    assert post_events(decision)[0]["reason"] == reason


def test_a_claim_may_ask_for_less_but_not_more_than_its_category(
    post_events: PostEvents
) -> None:
    greedy = make_event("point_claim", payload={"category": "tidy_5s", "points": 3})
    assert post_events(greedy)[0]["reason"] == \
        "payload.points: 3 is more than category 'tidy_5s' gives (2)"


def test_remarks_give_approved_points_to_each_worker_named(
    app: Flask, post_events: PostEvents, session: Session
) -> None:
    remarks = sealed(app_keys(app), SUPERVISOR_PIN, [make_event("remark", worker=code, payload={
        "category": "fault_fix", "points": 8, "given_by": "S001", "note": "处理设备故障"})
        for code in ("W001", "W002")])
    assert [r["status"] for r in post_events(*remarks)] == ["accepted", "accepted"]
    entries = session.scalars(select(PointEntry).order_by(PointEntry.id)).all()
    assert [(e.points, e.status, e.reason) for e in entries] == \
        [(8.0, EntryStatus.APPROVED, "处理设备故障")] * 2
    assert {e.given_by_worker_id for e in entries} == {
        session.scalars(select(Worker.id).where(Worker.code == "S001")).one()}
    assert _actions(session).count("point.remark") == 2
    assert verify_chain(session).ok


@pytest.mark.parametrize(("worker", "payload", "reason"), [
    ("W002", {"given_by": "W001"}, "payload.given_by: worker 'W001' is not a supervisor"),
    ("W002", {"points": 11}, "payload.points: 11 is more than category 'fault_fix' gives (10)"),
    ("W101", {}, "worker 'W101' is not in this kiosk's workshops"),
    ("S001", {}, "payload.given_by: a supervisor cannot remark themselves"),
    ("W002", {"category": "nope"}, "unknown point category 'nope'"),
    ("W002", {"given_by": "S101"},
     "payload.given_by: worker 'S101' is not in this kiosk's workshops"),
])
def test_a_remark_out_of_bounds_is_rejected_and_gives_nothing(
    app: Flask, post_events: PostEvents, session: Session, worker: str,
    payload: dict, reason: str  # type: ignore[type-arg]
) -> None:
    body = {"category": "fault_fix", "given_by": "S001"} | payload
    remark = seal_one(app_keys(app), SUPERVISOR_PIN, make_event("remark", worker=worker,
                                                                payload=body))
    result = post_events(remark)[0]
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
                        occurred_at=at("09:00", (MONDAY + timedelta(days=2)).isoformat()))
    assert post_events(appeal)[0]["status"] == "accepted"
    row = session.scalars(select(Appeal)).one()
    assert (row.period, row.period_start, row.dimension, row.status.value) == (
        "week", MONDAY, "uptime", "open")
    assert "appeal.open" in _actions(session)
    wrong = make_event("appeal", payload={"period": "month", "period_start": "2026-03-05",
                                          "dimension": "uptime", "reason": "x"})
    assert post_events(wrong)[0]["reason"] == \
        "payload.period_start: 2026-03-05 does not begin a month"


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
