"""The admin's open issues (andon) through the test client, CSRF on, with alerts opened the
real way (kiosks' machine_fault and quality_issue events through POST /api/v1/events):
the list with its running clocks, acknowledge and resolve (audited, once), a supervisor
kept to their workshops (also when they forge a form), the closed ones of the last 7 days,
and the downtime Pareto with the response times."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Alert, AuditEntry, User
from server.services.devices.kiosks import add_kiosk, enroll
from support.factory import Plant, bearer, make_event

Login = Callable[[str | None], FlaskClient]
CsrfToken = Callable[..., str]
EN = {"Accept-Language": "en"}


class Floor:
    """Kiosk K1 (W1, the plant's) and a kiosk of W2, reporting trouble to the app."""

    def __init__(self, app: Flask, session: Session, plant: Plant) -> None:
        self.client = app.test_client()
        _, w2 = enroll(session, add_kiosk(session, "K-W2", ["W2"], "test").code)
        session.commit()
        self.tokens = {"W1": plant.kiosk_token, "W2": w2}

    def send(self, shop: str, kind: str, worker: str, payload: dict[str, Any],
             minutes_ago: float) -> None:
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
        answer = self.client.post("/api/v1/events", headers=bearer(self.tokens[shop]), json={
            "events": [make_event(kind, worker, payload, when)]})
        assert answer.status_code == 200
        assert answer.get_json()["results"][0]["status"] == "accepted", answer.get_json()

    def fault(self, shop: str, worker: str, machine: str, reason: str | None,
              minutes_ago: float) -> None:
        self.send(shop, "machine_fault", worker,
                  {"machine": machine, **({"fault": reason} if reason else {})}, minutes_ago)

    def start(self, shop: str, worker: str, machine: str, minutes_ago: float) -> None:
        self.send(shop, "machine_start", worker, {"machine": machine}, minutes_ago)


@pytest.fixture
def floor(app: Flask, session: Session, plant: Plant) -> Floor:
    return Floor(app, session, plant)


def _alert(session: Session, machine: str | None = None, kind: str = "machine_fault") -> Alert:
    session.expire_all()
    return next(a for a in session.scalars(select(Alert).order_by(Alert.id))
                if a.kind.value == kind and (a.machine.code if a.machine else None) == machine)


def _open_rows(page: str) -> dict[str, str]:
    """The open table's rows by alert id, as text."""
    table = page.split('id="open-alerts"', 1)[1].split("</table>", 1)[0] \
        if 'id="open-alerts"' in page else ""
    rows = re.findall(r'<tr data-alert="(\d+)"(.*?)</tr>', table, re.S)
    return {ident: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) for ident, body in rows}


def test_every_open_issue_with_its_running_clocks_and_a_supervisor_sees_their_own(
    session: Session, floor: Floor, login_as: Login
) -> None:
    floor.fault("W1", "A001", "CNC-01", "spindle", minutes_ago=20)
    floor.send("W1", "quality_issue", "A002", {"issue": "burr"}, minutes_ago=3)
    floor.fault("W2", "B001", "ASM-01", None, minutes_ago=75)
    w1_fault, issue = _alert(session, "CNC-01"), _alert(session, None, "quality_issue")
    w2_fault = _alert(session, "ASM-01")

    page = login_as("admin").get("/admin/alerts", headers=EN).get_data(as_text=True)
    rows = _open_rows(page)
    # the oldest that nobody acknowledged first
    assert list(rows) == [str(w2_fault.id), str(w1_fault.id), str(issue.id)]
    assert "CNC-01" in rows[str(w1_fault.id)] and "spindle" in rows[str(w1_fault.id)]
    assert "Machine fault" in rows[str(w1_fault.id)] and "张三" in rows[str(w1_fault.id)]
    assert "Quality issue" in rows[str(issue.id)] and "no machine named" in rows[str(issue.id)]
    # the clocks run: waiting 20 minutes for acknowledgement, and for resolution
    assert rows[str(w1_fault.id)].count("20 min") == 2
    assert "1 h 15 min" in rows[str(w2_fault.id)]
    assert "over 15 min: escalated" in rows[str(w2_fault.id)]
    assert "escalated" not in rows[str(issue.id)]

    supervisor = login_as("sup1")
    mine = _open_rows(supervisor.get("/admin/alerts", headers=EN).get_data(as_text=True))
    assert set(mine) == {str(w1_fault.id), str(issue.id)}
    # choosing another workshop's code in the filter shows no more than their own
    other = supervisor.get("/admin/alerts?workshop=W2", headers=EN).get_data(as_text=True)
    assert set(_open_rows(other)) == {str(w1_fault.id), str(issue.id)}
    polled = supervisor.get("/admin/alerts/open?workshop=W2", headers=EN).get_data(as_text=True)
    assert set(_open_rows(polled)) == {str(w1_fault.id), str(issue.id)}
    assert login_as("view1").get("/admin/alerts").status_code == 403

    only_w2 = login_as("admin").get("/admin/alerts/open?workshop=W2", headers=EN)
    assert set(_open_rows(only_w2.get_data(as_text=True))) == {str(w2_fault.id)}


def test_acknowledge_and_resolve_are_audited_and_happen_once(
    session: Session, floor: Floor, login_as: Login, csrf_token: CsrfToken
) -> None:
    floor.fault("W1", "A001", "CNC-01", "spindle", minutes_ago=12)
    alert = _alert(session, "CNC-01")
    hr = login_as("admin")
    url = f"/admin/alerts/{alert.id}/acknowledge"
    assert hr.post(url, data={}).status_code == 400, "no CSRF token, no change"
    token = csrf_token(hr, "/admin/alerts")
    done = hr.post(url, data={"csrf_token": token}, headers=EN, follow_redirects=True)
    assert "Acknowledged: Machine fault at CNC-01" in done.get_data(as_text=True)
    acknowledged = _alert(session, "CNC-01")
    admin_id = session.scalars(select(User.id).where(User.username == "admin")).one()
    assert acknowledged.acknowledged_by == f"user:{admin_id}"
    row = _open_rows(done.get_data(as_text=True))[str(alert.id)]
    assert "12 min admin" in row, row  # the time it took, and who
    assert "Acknowledge " not in row.replace("Acknowledged", "")

    again = hr.post(url, data={"csrf_token": token}, follow_redirects=True)  # Chinese UI
    assert "已经有人先确认了。" in again.get_data(as_text=True)
    assert _alert(session, "CNC-01").acknowledged_at == acknowledged.acknowledged_at

    resolved = hr.post(f"/admin/alerts/{alert.id}/resolve", data={"csrf_token": token},
                       headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "Resolved: Machine fault at CNC-01" in resolved
    assert str(alert.id) not in _open_rows(resolved)
    closed = resolved.split('id="closed-alerts"', 1)[1].split("</table>", 1)[0]
    assert f'data-alert="{alert.id}"' in closed and "by admin" in closed
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "alert", AuditEntry.entity_id == str(alert.id))).all()
    assert actions.count("alert.acknowledge") == 1 and actions.count("alert.resolve") == 1
    twice = hr.post(f"/admin/alerts/{alert.id}/resolve", data={"csrf_token": token},
                    headers=EN, follow_redirects=True)
    assert "It was resolved already." in twice.get_data(as_text=True)
    assert hr.post(f"/admin/alerts/{alert.id}/close", data={"csrf_token": token}
                   ).status_code == 404


def test_a_supervisor_cannot_touch_another_workshops_alert(
    session: Session, floor: Floor, login_as: Login, csrf_token: CsrfToken
) -> None:
    floor.fault("W2", "B001", "ASM-01", "spindle", minutes_ago=4)
    alert = _alert(session, "ASM-01")
    supervisor = login_as("sup1")
    token = csrf_token(supervisor, "/admin/alerts")
    for action in ("acknowledge", "resolve"):
        answer = supervisor.post(f"/admin/alerts/{alert.id}/{action}",
                                 data={"csrf_token": token, "workshop": "W2"})
        assert answer.status_code == 404, action
    unchanged = _alert(session, "ASM-01")
    assert unchanged.acknowledged_at is None and unchanged.resolved_at is None
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "alert", AuditEntry.action != "alert.open")).all() == []


def test_downtime_pareto_by_reason_with_response_times(
    session: Session, floor: Floor, login_as: Login
) -> None:
    # CNC-01 stood 30 min (spindle), then 2 h (spindle), then 30 min (no reason given)
    floor.fault("W1", "A001", "CNC-01", "spindle", minutes_ago=300)
    floor.start("W1", "A001", "CNC-01", minutes_ago=270)
    floor.fault("W1", "A002", "CNC-01", "spindle", minutes_ago=180)
    floor.start("W1", "A002", "CNC-01", minutes_ago=60)
    floor.fault("W1", "A001", "CNC-01", None, minutes_ago=50)
    floor.start("W1", "A001", "CNC-01", minutes_ago=20)
    floor.fault("W2", "B001", "ASM-01", "hydraulics", minutes_ago=10)  # open: no downtime yet
    page = login_as("admin").get("/admin/alerts?days=7", headers=EN).get_data(as_text=True)
    table = page.split('id="pareto-table"', 1)[1].split("</table>", 1)[0]
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
             for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert cells == ["spindle 2 2.5 83% 83%", "no reason given 1 0.5 17% 100%",
                     "hydraulics 1 0.0 0% 100%"]
    assert 'id="chart-pareto-data"' in page
    option = page.split('id="chart-pareto-data">', 1)[1].split("</script>", 1)[0]
    assert '"spindle"' in option and "Downtime (hours)" in option
    assert "Closed in the last 7 days" in page
    closed = page.split('id="closed-alerts"', 1)[1].split("</table>", 1)[0]
    assert closed.count("data-alert=") == 3 and closed.count("machine started by 张三") == 2
    assert "2 h 00 min" in closed  # the longest downtime
    stats = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('class="stats"', 1)[1]
                                                      .split("</section>", 1)[0]))
    assert "4 issues opened" in stats
    # a supervisor's Pareto is their workshops' only
    mine = login_as("sup1").get("/admin/alerts?days=7", headers=EN).get_data(as_text=True)
    assert "hydraulics" not in mine and "spindle" in mine


def test_the_page_in_chinese(session: Session, floor: Floor, login_as: Login) -> None:
    floor.fault("W1", "A001", "CNC-01", "spindle", minutes_ago=20)
    floor.start("W1", "A001", "CNC-01", minutes_ago=5)
    floor.fault("W1", "A002", "CNC-01", None, minutes_ago=2)
    page = login_as("admin").get("/admin/alerts").get_data(as_text=True)
    for text in ("未处理问题", "设备故障", "确认收到", "标记为已解决", "未解决", "最近 7 天已关闭",
                 "按原因的停机时间", "停机时间（小时）", "确认用时", "解决用时", "2 分钟",
                 "未填写原因"):
        assert text in page, text
    assert ">Open issues<" not in page and "Machine fault" not in page
