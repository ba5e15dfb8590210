"""The Periods page, the refused-events list, and booking late production into the open
period, through the Flask test client on the seeded plant, with the attacks a browser
would never send as raw POSTs: the wrong role, no CSRF token, another workshop's event."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime, time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    AuditEntry,
    PeriodState,
    ProductionRecord,
    RecordSource,
    RefusedEvent,
    SettledPeriod,
    Snapshot,
    Worker,
)
from server.scoring import period_span
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.periods.closing import close_period
from server.services.production.records import ProductionRow, upsert_production
from support.factory import SUPERVISOR_PIN, Plant, last_month_days, make_event, plant_zone
from support.seals import ACTING, app_keys, seal_one

HEADER = "date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects\n"
Login = Callable[[str | None], FlaskClient]


@pytest.fixture
def no_csrf(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _month(plant: Plant) -> str:
    return period_span("month", plant.last_month).label


def _period(session: Session, workshop: str, key: str) -> SettledPeriod | None:
    session.expire_all()
    return session.scalars(select(SettledPeriod).join(SettledPeriod.workshop)
                           .where(SettledPeriod.key == key,
                                  SettledPeriod.workshop.has(code=workshop))).first()


def _close(session: Session, app: Flask, plant: Plant, workshop: str | None) -> None:
    close_period(session, workshop, "month", _month(plant), "test", plant_zone(app),
                 plant.today)
    session.commit()


def _gap(session: Session, plant: Plant, workshop: str = "W2") -> str:
    """Remove one weekday's records of a workshop last month; returns the day."""
    day = last_month_days(plant.today)[3]
    workers = select(Worker.id).where(Worker.workshop.has(code=workshop))
    session.execute(delete(ProductionRecord).where(ProductionRecord.date == day,
                                                   ProductionRecord.worker_id.in_(workers)))
    session.commit()
    return day.isoformat()


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def test_the_periods_page_lists_each_workshops_months(
        no_csrf: Flask, plant: Plant, login_as: Login) -> None:
    page = _text(login_as("admin").get("/admin/periods"))
    assert f'data-period="W1/{_month(plant)}"' in page
    assert f'data-period="W2/{_month(plant)}"' in page
    assert f"/admin/periods/W1/{_month(plant)}/close" in page
    scoped = _text(login_as("sup1").get("/admin/periods"))
    assert f'data-period="W1/{_month(plant)}"' in scoped
    assert "W2/" not in scoped and "/close" not in scoped  # no close button but the admin's
    assert login_as("sup1").get(f"/admin/periods/W2/{_month(plant)}").status_code == 404
    assert login_as("view1").get(f"/admin/periods/W2/{_month(plant)}").status_code == 200


def test_check_and_close_refuses_gaps_and_then_closes_with_a_reason(
        no_csrf: Flask, session: Session, plant: Plant, login_as: Login) -> None:
    admin = login_as("admin")
    gap = _gap(session, plant)
    url = f"/admin/periods/W2/{_month(plant)}"
    refused = _text(admin.post(f"{url}/close", follow_redirects=True))
    assert 'id="flags"' in refused and gap in refused and 'id="close-anyway"' in refused
    assert _period(session, "W2", _month(plant)) is None
    # "Close anyway" without a reason is refused too: nothing is closed.
    admin.post(f"{url}/close", data={"force": "1", "reason": "  "})
    assert _period(session, "W2", _month(plant)) is None
    closed = _text(admin.post(f"{url}/close", data={"force": "1", "reason": "装配线停产检修"},
                              follow_redirects=True))
    row = _period(session, "W2", _month(plant))
    assert row is not None and row.state is PeriodState.CLOSED and row.version == 1
    snapshot = session.scalars(select(Snapshot).where(Snapshot.period_id == row.id)).one()
    assert snapshot.forced and snapshot.reason == "装配线停产检修"
    assert any(gap in flag for flag in snapshot.flags)
    assert 'id="reopen"' in closed and "装配线停产检修" in closed and 'id="flags"' not in closed
    # Closing a closed period again is refused: reopen first.
    again = _text(admin.post(f"{url}/close", data={"force": "1", "reason": "again"},
                             follow_redirects=True))
    assert "already closed" in again
    assert _period(session, "W2", _month(plant)).version == 1  # type: ignore[union-attr]


def test_only_an_admin_reopens_with_a_reason_and_a_reclose_shows_the_changes(
        no_csrf: Flask, app: Flask, session: Session, plant: Plant, login_as: Login) -> None:
    _close(session, app, plant, "W1")
    url = f"/admin/periods/W1/{_month(plant)}"
    for who in ("sup1", "view1"):  # crafted POSTs: the server refuses, whatever the page shows
        client = login_as(who)
        assert client.post(f"{url}/reopen", data={"reason": "I say so"}).status_code == 403
        assert client.post(f"/admin/periods/W2/{_month(plant)}/close",
                           data={"force": "1", "reason": "x"}).status_code == 403
    assert _period(session, "W1", _month(plant)).state is PeriodState.CLOSED  # type: ignore[union-attr]
    assert _period(session, "W2", _month(plant)) is None
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "period.reopen")) == 0

    admin = login_as("admin")
    admin.post(f"{url}/reopen", data={"reason": ""})
    assert _period(session, "W1", _month(plant)).state is PeriodState.CLOSED  # type: ignore[union-attr]
    admin.post(f"{url}/reopen", data={"reason": "MES 补传了夜班数据"})
    assert _period(session, "W1", _month(plant)).state is PeriodState.REOPENED  # type: ignore[union-attr]
    # The late night shift now counts where it belongs; closing again shows what moved.
    day = last_month_days(plant.today)[2]
    upsert_production(session, [ProductionRow(day, "night", "A002", "CNC-01", 480, 300, 5000,
                                              0)], RecordSource.IMPORT, "test")
    session.commit()
    page = _text(admin.post(f"{url}/close", follow_redirects=True))
    assert _period(session, "W1", _month(plant)).version == 2  # type: ignore[union-attr]
    changes = page.split('id="changes"')[1].split("</section>")[0]
    assert "A002" in changes and "A001" not in changes
    history = page.split('id="history"')[1]
    assert "MES 补传了夜班数据" in history and "user:admin" in history


def test_a_post_without_the_csrf_token_is_refused(
        app: Flask, session: Session, plant: Plant, login_as: Login,
        csrf_token: Callable[..., str]) -> None:
    assert app.config.get("WTF_CSRF_ENABLED", True)
    _close(session, app, plant, "W1")
    admin = login_as("admin")
    url = f"/admin/periods/W1/{_month(plant)}"
    assert admin.post(f"{url}/reopen", data={"reason": "no token"}).status_code == 400
    assert admin.post(f"/admin/periods/W2/{_month(plant)}/close").status_code == 400
    assert admin.post("/admin/refused/book", data={"one": "1"}).status_code == 400
    assert _period(session, "W1", _month(plant)).state is PeriodState.CLOSED  # type: ignore[union-attr]
    assert _period(session, "W2", _month(plant)) is None
    token = csrf_token(admin, url)
    done = admin.post(f"{url}/reopen", data={"reason": "with a token", "csrf_token": token})
    assert done.status_code == 302
    assert _period(session, "W1", _month(plant)).state is PeriodState.REOPENED  # type: ignore[union-attr]


def _late_event(app: Flask, plant: Plant, token: str, kind: str, worker: str,
                payload: dict[str, object]) -> dict[str, object]:
    """Post one event dated 10:00 on a day of last month; it must come back rejected. A
    supervisor's act is sealed with S001's PIN."""
    at = datetime.combine(last_month_days(plant.today)[5], time(10), plant_zone(app))
    event = make_event(kind, worker, payload, occurred_at=at)
    if kind in ACTING:
        event = seal_one(app_keys(app), SUPERVISOR_PIN, event)
    answer = app.test_client().post("/api/v1/events", json={"events": [event]},
                                    headers={"Authorization": f"Bearer {token}"})
    [result] = answer.get_json()["results"]
    assert result["status"] == "rejected" and "is closed for" in result["reason"]
    return event


def test_refused_events_are_scoped_and_booked_into_the_open_period(
        no_csrf: Flask, app: Flask, session: Session, plant: Plant, login_as: Login) -> None:
    _close(session, app, plant, None)  # W1 and W2
    _, k2_token = enroll(session, add_kiosk(session, "K2", ["W2"], "test").code)
    session.commit()
    mine = _late_event(app, plant, plant.kiosk_token, "remark", "A001",
                       {"category": "fault_fix", "given_by": "S001"})
    theirs = _late_event(app, plant, k2_token, "badge_in", "B001", {"kind": "card"})
    ids = {r.uuid: r.id for r in session.scalars(select(RefusedEvent))}
    mine_id, theirs_id = ids[mine["uuid"]], ids[theirs["uuid"]]  # type: ignore[index]

    sup = login_as("sup1")
    listing = _text(sup.get("/admin/refused"))
    assert f'data-uuid="{mine["uuid"]}"' in listing
    assert f'data-uuid="{theirs["uuid"]}"' not in listing
    # Another workshop's event, alone or hidden among one's own: 404, nothing booked.
    assert sup.post("/admin/refused/book", data={"one": str(theirs_id)}).status_code == 404
    assert sup.post("/admin/refused/book",
                    data={"ids": [str(mine_id), str(theirs_id)]}).status_code == 404
    assert login_as("view1").post("/admin/refused/book",
                                  data={"one": str(mine_id)}).status_code == 403
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(RefusedEvent)
                          .where(RefusedEvent.booked_at.is_not(None))) == 0

    assert sup.post("/admin/refused/book", data={"one": str(mine_id)}).status_code == 302
    session.expire_all()
    booked = session.get(RefusedEvent, mine_id)
    assert booked is not None and booked.booked_by == "user:sup1"
    assert booked.adjustment_points and booked.adjustment_points > 0
    line = session.scalars(select(Adjustment).where(Adjustment.reference == mine["uuid"])).one()
    assert period_span("month", plant.today).contains(line.booked_on)
    shown = _text(sup.get("/admin/refused?show=booked"))
    assert f'data-uuid="{mine["uuid"]}"' in shown and f"{line.points:+g}" in shown
    assert f'data-uuid="{mine["uuid"]}"' not in _text(sup.get("/admin/refused"))
    # Booking it twice is refused with the service's message.
    again = _text(sup.post("/admin/refused/book", data={"one": str(mine_id)},
                           follow_redirects=True))
    assert "booked already" in again


def _upload(page: str) -> str:
    found = re.search(r'name="upload" value="([A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43})"', page)
    assert found, "no confirm form"
    return found.group(1)


def test_late_production_is_booked_only_when_the_box_is_ticked(
        no_csrf: Flask, app: Flask, session: Session, plant: Plant, login_as: Login) -> None:
    _close(session, app, plant, "W1")
    admin = login_as("admin")
    day = last_month_days(plant.today)[2].isoformat()
    data = (HEADER + f"{day},night,A002,CNC-01,480,300,5000,0\n").encode()

    def upload(**extra: str) -> str:
        return _text(admin.post("/admin/production/import", data={
            "step": "preview", "file": (io.BytesIO(data), "late.csv"), **extra},
            content_type="multipart/form-data"))

    refused = upload()
    assert 'id="import-errors"' in refused and f"{_month(plant)} is closed for W1" in refused
    assert 'name="into_open"' in refused  # the box to tick
    preview = upload(into_open="1")
    assert 'id="import-adjustments"' in preview and "A002" in preview
    assert session.scalar(select(func.count()).select_from(Adjustment)) == 0  # a preview
    admin.post("/admin/production/import", data={
        "step": "confirm", "upload": _upload(preview), "into_open": "1"})
    session.expire_all()
    [line] = session.scalars(select(Adjustment)).all()
    assert line.source == "production" and line.points == 30

    record = session.scalars(select(ProductionRecord).where(
        ProductionRecord.date == last_month_days(plant.today)[4],
        ProductionRecord.worker.has(code="A001"))).one()
    # Every piece of that day was bad: A001's defect rate for the month goes over target.
    form = {"planned_minutes": "480", "run_minutes": "430", "output": "120", "defects": "120",
            "reason": "录入错误"}
    page = _text(admin.get(f"/admin/production/{record.id}"))
    assert 'id="closed-period"' in page and 'name="into_open"' in page
    refused_edit = _text(admin.post(f"/admin/production/{record.id}", data=form))
    assert "is closed for W1" in refused_edit
    session.expire_all()
    assert session.get(ProductionRecord, record.id).defects != 120  # type: ignore[union-attr]
    admin.post(f"/admin/production/{record.id}", data={**form, "into_open": "1"})
    session.expire_all()
    assert session.get(ProductionRecord, record.id).defects == 120  # type: ignore[union-attr]
    lines = session.scalars(select(Adjustment).order_by(Adjustment.id)).all()
    assert [(a.worker.code, a.points) for a in lines] == [("A002", 30), ("A001", -30)]


def test_payroll_is_refused_until_the_month_is_closed(
        no_csrf: Flask, app: Flask, session: Session, plant: Plant, login_as: Login) -> None:
    admin = login_as("admin")
    url = f"/admin/reports/payroll?format=csv&month={_month(plant)}"
    refused = admin.get(url, follow_redirects=True)
    assert refused.status_code == 200 and refused.mimetype == "text/html"
    assert (f"{_month(plant)} is not closed for W1: close it with `shopfloor-server period "
            f"close --workshop W1 --month {_month(plant)}` or on the Periods page"
            in _text(refused))
    _close(session, app, plant, "W1")
    only_w1 = admin.get(url + "&workshop=W1")
    assert only_w1.status_code == 200 and only_w1.mimetype == "text/csv"
    assert "期间 Period" in _text(only_w1) and "B001" not in _text(only_w1)
    assert "W2" in _text(admin.get(url, follow_redirects=True))  # W2 is not closed yet
