"""Each rule of an alert's life, on both engines, through kiosk K1's events and the
service functions HR's admin calls (server/services/alerts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Alert,
    AlertKind,
    AuditEntry,
    Notification,
    RecordSource,
    User,
    UserRole,
    Worker,
    Workshop,
)
from server.services import Conflict, NotFound
from server.services.alerts import (
    acknowledge,
    alert_dict,
    downtime_pareto,
    open_alerts,
    resolve,
    response_times,
)
from server.services.production.records import ProductionRow, upsert_production
from server.services.scores.scorecards import worker_scorecard
from support.factory import Factory, PostEvents, bearer, make_event

pytestmark = pytest.mark.usefixtures("factory")
ZONE = ZoneInfo("Asia/Shanghai")  # the test app's (tests/conftest.py)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _fresh(session: Session) -> Session:
    session.rollback()
    session.expire_all()
    return session


def _alerts(session: Session) -> list[Alert]:
    return list(_fresh(session).scalars(select(Alert).order_by(Alert.id)))


def _fault(at: datetime, machine: str = "M1", fault: str | None = "E12",
           worker: str = "W001") -> dict[str, Any]:
    payload = {"machine": machine, **({"fault": fault} if fault else {})}
    return make_event("machine_fault", worker=worker, occurred_at=at, payload=payload)


def _start(at: datetime, machine: str = "M1", worker: str = "W001") -> dict[str, Any]:
    return make_event("machine_start", worker=worker, occurred_at=at,
                      payload={"machine": machine})


def _actions(session: Session) -> list[str]:
    return [a for a in _fresh(session).scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("alert.%"))
        .order_by(AuditEntry.id))]


def test_a_fault_opens_one_alert_naming_everything_and_queues_its_message(
        session: Session, post_events: PostEvents) -> None:
    at = _now() - timedelta(minutes=3)
    fault = _fault(at)
    assert post_events(fault)[0]["status"] == "accepted"
    assert post_events(fault)[0]["status"] == "duplicate"  # resent: still one alert
    [alert] = _alerts(session)
    assert (alert.kind, alert.reason, alert.opened_at) == (AlertKind.MACHINE_FAULT, "E12", at)
    assert (alert.workshop.code, alert.machine.code if alert.machine else None,
            alert.reporter.code) == ("W1", "M1", "W001")
    assert alert.event.uuid == fault["uuid"]
    assert alert.acknowledged_at is alert.resolved_at is alert.downtime_s is None
    [message] = session.scalars(select(Notification)).all()
    assert (message.key, message.kind, message.targets, message.state.value) == (
        f"alert:{alert.id}", "alert", "notify", "pending")
    for named in ("机加工车间", "CNC-1", "M1", "E12", "张三", "W001", "设备故障"):
        assert named in message.title + message.body, named
    assert _actions(session) == ["alert.open"]


def test_a_quality_issue_without_a_machine_is_the_workers_workshops(
        session: Session, post_events: PostEvents) -> None:
    issue = make_event("quality_issue", worker="W002", payload={"issue": "SCRATCH"})
    plain = make_event("quality_issue", worker="W001", payload={"machine": "M2"})
    assert [r["status"] for r in post_events(issue, plain)] == ["accepted", "accepted"]
    first, second = _alerts(session)
    assert (first.kind, first.machine_id, first.workshop.code, first.reason,
            first.reporter.code) == (AlertKind.QUALITY_ISSUE, None, "W1", "SCRATCH", "W002")
    assert (second.machine.code if second.machine else None, second.reason) == ("M2", None)
    body = session.scalars(select(Notification.body).where(
        Notification.alert_id == first.id)).one()
    assert "设备" not in body and "SCRATCH" in body and "李四" in body


def test_a_refused_report_opens_nothing(session: Session, post_events: PostEvents) -> None:
    results = post_events(_fault(_now(), machine="M9"),  # W2's machine: not K1's
                          _fault(_now(), worker="W101"))
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert _alerts(session) == []
    assert session.scalars(select(Notification)).all() == []


def test_the_next_start_of_the_machine_resolves_its_fault_with_the_downtime(
        session: Session, post_events: PostEvents) -> None:
    at = _now() - timedelta(hours=1)
    issue = make_event("quality_issue", worker="W001", occurred_at=at,
                       payload={"machine": "M1"})
    assert [r["status"] for r in post_events(
        _start(at - timedelta(minutes=5)), _fault(at), _fault(at, machine="M2"), issue,
        _start(at + timedelta(minutes=1), machine="M2", worker="W002"))] == ["accepted"] * 5
    fault_m1 = _alerts(session)[0]
    assert fault_m1.resolved_at is None  # the start before it does not count
    assert post_events(_start(at + timedelta(minutes=42), worker="W002"))[0]["status"] \
        == "accepted"
    fault_m1, fault_m2, quality = _alerts(session)
    assert (fault_m1.resolved_at, fault_m1.downtime_s) == (at + timedelta(minutes=42), 42 * 60)
    w002 = session.scalars(select(Worker).where(Worker.code == "W002")).one()
    assert fault_m1.resolved_by == f"worker:{w002.id}"
    assert (fault_m2.downtime_s, fault_m2.resolved_by) == (60, f"worker:{w002.id}")
    assert quality.resolved_at is None  # a start resolves faults only
    assert _actions(session).count("alert.resolve") == 2
    # a later start resolves nothing more
    post_events(_start(at + timedelta(minutes=50)))
    assert _alerts(session)[0].downtime_s == 42 * 60


def test_a_fault_that_arrives_after_the_restart_is_resolved_at_once(
        session: Session, post_events: PostEvents) -> None:
    at = _now() - timedelta(hours=2)
    # stored first, though it happened after the fault
    assert post_events(_start(at + timedelta(minutes=30)))[0]["status"] == "accepted"
    assert post_events(_fault(at))[0]["status"] == "accepted"
    # in one batch: the restart first, the fault after it
    assert [r["status"] for r in post_events(
        _start(at + timedelta(minutes=12), machine="M2"),
        _fault(at, machine="M2"))] == ["accepted", "accepted"]
    m1, m2 = _alerts(session)
    assert (m1.downtime_s, m1.resolved_at) == (30 * 60, at + timedelta(minutes=30))
    assert (m2.downtime_s, m2.resolved_at) == (12 * 60, at + timedelta(minutes=12))


def _user(session: Session, name: str = "hr") -> User:
    user = User(username=name, password_hash="x", role=UserRole.ADMIN)
    session.add(user)
    session.commit()
    return user


def test_hr_acknowledges_and_resolves_once_each_and_every_change_is_audited(
        session: Session, post_events: PostEvents) -> None:
    post_events(make_event("quality_issue", worker="W001", payload={"issue": "DENT"}))
    [alert] = _alerts(session)
    hr = _user(session)
    w2 = session.scalars(select(Workshop.id).where(Workshop.code == "W2")).one()
    with pytest.raises(NotFound):
        acknowledge(session, alert.id, "user:hr", by_user=hr, scope={w2})
    with pytest.raises(NotFound):
        acknowledge(session, 99999, "user:hr", by_user=hr)
    when = _now()
    acknowledge(session, alert.id, f"user:{hr.id}", by_user=hr, now=when)
    session.commit()
    with pytest.raises(Conflict):
        acknowledge(session, alert.id, f"user:{hr.id}", by_user=hr)
    session.rollback()
    [alert] = _alerts(session)
    assert (alert.acknowledged_at, alert.acknowledged_by) == (when, f"user:{hr.id}")
    assert alert_dict(alert)["acknowledged_by_name"] == "hr"
    resolve(session, alert.id, f"user:{hr.id}", when + timedelta(minutes=5), by_user=hr)
    session.commit()
    with pytest.raises(Conflict):
        resolve(session, alert.id, f"user:{hr.id}")
    session.rollback()
    [alert] = _alerts(session)
    assert alert.resolved_by == f"user:{hr.id}" and alert.downtime_s is None
    assert open_alerts(session, None) == []
    assert _actions(session) == ["alert.open", "alert.acknowledge", "alert.resolve"]


def test_hr_resolves_a_fault_without_inventing_downtime(
        session: Session, post_events: PostEvents) -> None:
    post_events(_fault(_now() - timedelta(minutes=20)))
    [alert] = _alerts(session)
    resolve(session, alert.id, "user:hr")
    session.commit()
    post_events(_start(_now()))
    [alert] = _alerts(session)
    assert (alert.resolved_by, alert.downtime_s) == ("user:hr", None)


def test_the_kiosk_reads_its_open_alerts_unacknowledged_oldest_first(
        client: FlaskClient, session: Session, post_events: PostEvents,
        factory: Factory) -> None:
    base = _now() - timedelta(hours=1)
    post_events(_fault(base + timedelta(minutes=10), machine="M2"),
                _fault(base, fault=None),
                make_event("quality_issue", worker="W002", occurred_at=base
                           + timedelta(minutes=20), payload={}),
                _fault(base + timedelta(minutes=30)))
    m2, m1, quality, newest = _alerts(session)
    acknowledge(session, m1.id, "user:hr", by_user=_user(session))
    session.commit()
    post_events(_start(base + timedelta(minutes=35), machine="M2"))  # resolves m2
    answer = client.get("/api/v1/alerts?workshop=W1", headers=bearer(factory.kiosk_token))
    assert answer.status_code == 200
    alerts = answer.get_json()["alerts"]
    assert [a["id"] for a in alerts] == [quality.id, newest.id, m1.id]
    first = alerts[0]
    assert first == {**first, "kind": "quality_issue", "workshop": "W1", "machine": None,
                     "machine_name": None, "reason": None, "reporter": "W002",
                     "reporter_name": "李四", "acknowledged_at": None,
                     "acknowledged_by_name": None, "resolved_at": None, "downtime_s": None}
    assert datetime.fromisoformat(first["opened_at"]) == base + timedelta(minutes=20)
    assert alerts[2]["acknowledged_by_name"] == "hr"
    assert alerts[2]["machine_name"] == "CNC-1"
    everyone = client.get("/api/v1/alerts", headers=bearer(factory.kiosk_token))
    assert everyone.get_json() == answer.get_json()


def test_a_kiosk_reads_no_other_workshops_alerts(
        client: FlaskClient, post_events: PostEvents, factory: Factory) -> None:
    post_events(_fault(_now()))
    other = client.get("/api/v1/alerts?workshop=W1", headers=bearer(factory.other_kiosk_token))
    assert other.status_code == 403
    assert client.get("/api/v1/alerts?workshop=W2",
                      headers=bearer(factory.other_kiosk_token)).get_json() == {"alerts": []}
    assert client.get("/api/v1/alerts?workshop=W1").status_code == 401
    assert client.get("/api/v1/alerts?workshop=W1",
                      headers=bearer(factory.integration_token)).status_code == 403
    assert client.get("/api/v1/alerts?workshop=W1&x=1",
                      headers=bearer(factory.kiosk_token)).status_code == 422


def test_the_downtime_pareto_and_response_times(
        session: Session, post_events: PostEvents) -> None:
    # 02:00 two days ago: the five hours of faults stay on one date in UTC and in the
    # factory's zone, whatever the hour the test runs at
    day = (_now() - timedelta(days=2)).replace(hour=2, minute=0, second=0, microsecond=0)
    post_events(_fault(day, fault="JAM"), _start(day + timedelta(minutes=30)),
                _fault(day + timedelta(hours=1), fault="JAM"),
                _start(day + timedelta(hours=1, minutes=10)),
                _fault(day + timedelta(hours=2), machine="M2", fault="POWER"),
                _start(day + timedelta(hours=3), machine="M2"),
                _fault(day + timedelta(hours=4), fault=None),
                make_event("quality_issue", occurred_at=day, payload={"issue": "JAM"}))
    w1 = session.scalars(select(Workshop.id).where(Workshop.code == "W1")).one()
    start, end = (day - timedelta(hours=1)), day + timedelta(hours=5)
    assert downtime_pareto(session, {w1}, start, end) == [
        ("POWER", 1, 3600), ("JAM", 2, 40 * 60), (None, 1, 0)]
    assert downtime_pareto(session, {w1 + 1000}, start, end) == []
    assert downtime_pareto(session, None, day.date() + timedelta(days=1),
                           day.date() + timedelta(days=2)) == []
    quality = _alerts(session)[-1]
    acknowledge(session, quality.id, "user:hr", by_user=7, now=day + timedelta(minutes=4))
    session.commit()
    times = response_times(session, {w1}, start, end)
    assert (times["count"], times["acknowledged"], times["resolved"]) == (5, 1, 3)
    assert times["acknowledge_median_s"] == 240
    assert times["resolve_median_s"] == 30 * 60 and times["resolve_max_s"] == 3600
    assert times["by_kind"]["machine_fault"]["resolved"] == 3
    assert times["by_kind"]["quality_issue"] == {
        **times["by_kind"]["quality_issue"], "count": 1, "acknowledged": 1, "resolved": 0}


def test_the_uptime_dimension_names_the_days_lost_to_faults(
        session: Session, post_events: PostEvents) -> None:
    zone = ZONE
    # A fault 90 minutes ago and its end 45 minutes later, both on one factory day, and
    # both in the past (just after midnight, that day is yesterday).
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=90)
    if at.astimezone(zone).date() != (at + timedelta(minutes=45)).astimezone(zone).date():
        at -= timedelta(minutes=60)
    day = at.astimezone(zone).date()
    upsert_production(session, [ProductionRow(day, "day", "W001", "M1", 480, 300, 100, 0),
                                ProductionRow(day, "day", "W002", "M2", 480, 480, 100, 0)],
                      RecordSource.MES, "test")
    session.commit()
    post_events(_fault(at), _start(at + timedelta(minutes=45)),
                _fault(at, machine="M2"))  # still open: no downtime yet
    card = worker_scorecard(_fresh(session), "W001", "week", day, zone)
    uptime = next(d for d in card["dimensions"] if d["key"] == "uptime")
    assert uptime["fault_minutes"] == {day.isoformat(): 45.0}
    other = worker_scorecard(session, "W002", "week", day, zone)
    assert next(d for d in other["dimensions"] if d["key"] == "uptime")["fault_minutes"] == {}
    assert all("fault_minutes" not in d for d in card["dimensions"] if d["key"] != "uptime")


def test_dates_are_whole_days_of_the_site(session: Session, post_events: PostEvents) -> None:
    zone = ZONE
    local_midnight = datetime.combine(datetime.now(zone).date() - timedelta(days=3),
                                      datetime.min.time(), zone)
    post_events(_fault(local_midnight.astimezone(UTC) + timedelta(minutes=1), fault="A"),
                _fault(local_midnight.astimezone(UTC) - timedelta(minutes=1), fault="B"))
    day = local_midnight.date()
    assert [r[0] for r in downtime_pareto(session, None, day, day, zone=zone)] == ["A"]
