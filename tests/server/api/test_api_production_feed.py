"""POST /production: the CSV import's rows and rules over HTTP, idempotent; a token
limited to workshops feeds no other."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, IntegrationToken, Machine, ProductionRecord
from server.services.devices.tokens import add_integration_token
from support.factory import Factory, bearer


def row(**changes: Any) -> dict[str, Any]:
    return {"date": "2026-03-09", "shift": "day", "worker_code": "W001", "machine_code": "M1",
            "planned_minutes": 480, "run_minutes": 400, "output": 900, "defects": 3} | changes


@pytest.fixture
def send(client: FlaskClient, factory: Factory):  # type: ignore[no-untyped-def]
    def post(body: object) -> tuple[int, dict[str, Any]]:
        response = client.post("/api/v1/production", json=body,
                               headers=bearer(factory.integration_token))
        return response.status_code, response.get_json()
    return post


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ProductionRecord)) or 0


def test_rows_are_stored_and_a_resend_changes_nothing(send, session: Session) -> None:  # type: ignore[no-untyped-def]
    rows = [row(), row(worker_code="W002", machine_code="M7")]
    status, report = send({"records": rows})
    assert status == 200
    assert report == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0,
                      "created_machines": ["M7"], "rejected": []}
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    status, report = send({"records": rows})
    assert (report["created"], report["unchanged"]) == (0, 2)
    assert _stored(session) == 2
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    status, report = send({"records": [row(output=950)]})
    assert report["updated"] == 1
    last_used = session.scalars(select(IntegrationToken.last_used)).one()
    assert last_used is not None


@pytest.mark.parametrize(("bad", "needle"), [
    (row(run_minutes=500), "records.1: run_minutes: 500 is more than planned_minutes 480"),
    (row(defects=1000), "records.1: defects: 1000 is more than output 900"),
    (row(worker_code="NOBODY"), "records.1: worker_code: no worker 'NOBODY'"),
    (row(output=-1), "records.1: output: Input should be greater than or equal to 0"),
    (row(date="2026-02-30"), "records.1: date:"),
    ({k: v for k, v in row().items() if k != "shift"}, "records.1: shift: Field required"),
    (row(), "records.1: repeats the date, shift, worker and machine of record 0"),
])
def test_a_bad_row_stores_nothing_and_is_named(send, session: Session, bad: dict,  # type: ignore[no-untyped-def,type-arg]
                                               needle: str) -> None:
    status, body = send({"records": [row(), bad]})
    assert status == 422
    assert body["error"]["code"] == "invalid_input"
    assert needle in body["error"]["message"]
    assert _stored(session) == 0


def test_skip_bad_stores_the_good_rows_and_reports_the_rest(send, session: Session) -> None:  # type: ignore[no-untyped-def]
    status, report = send({"records": [row(), row(worker_code="NOBODY"), "x"],
                           "skip_bad": True})
    assert status == 200
    assert report["created"] == 1
    assert [(p["row"], p["field"]) for p in report["rejected"]] == [(1, "worker_code"),
                                                                     (2, None)]
    assert _stored(session) == 1


@pytest.mark.parametrize(("body", "needle"), [
    ({}, "records: Field required"),
    ({"records": []}, "records: List should have at least 1 item"),
    ({"records": [row()], "extra": 1}, "extra: Extra inputs are not permitted"),
])
def test_a_malformed_envelope_is_422_naming_the_field(send, body: object, needle: str) -> None:  # type: ignore[no-untyped-def]
    status, answer = send(body)
    assert status == 422 and needle in answer["error"]["message"]


@pytest.fixture
def w1_only(client: FlaskClient, session: Session, factory: Factory):  # type: ignore[no-untyped-def]
    """Send as MES with a token limited to W1 (`token add --workshop W1`)."""
    _, token = add_integration_token(session, "mes-w1", "production", "test", ["W1"])
    session.commit()

    def post(body: object) -> tuple[int, dict[str, Any]]:
        response = client.post("/api/v1/production", json=body, headers=bearer(token))
        return response.status_code, response.get_json()
    return post


def _audits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize(("bad", "needle"), [
    # W101 works in W2; M9 stands in W2.
    (row(worker_code="W101"),
     "records.1: worker_code: 'W101' is not a worker of this token's workshops"),
    (row(machine_code="M9"),
     "records.1: machine_code: 'M9' is not a machine of this token's workshops"),
    (row(worker_code="W101", machine_code="M9", date="2026-03-10"),
     "records.1: worker_code: 'W101' is not a worker of this token's workshops; records.1: "
     "machine_code: 'M9' is not a machine"),
])
def test_a_token_limited_to_a_workshop_feeds_no_other(w1_only, session: Session,  # type: ignore[no-untyped-def]
                                                     bad: dict, needle: str) -> None:  # type: ignore[type-arg]
    audits = _audits(session)
    status, body = w1_only({"records": [row(), bad]})
    assert status == 422 and body["error"]["code"] == "invalid_input"
    assert needle in body["error"]["message"]
    assert "nothing was stored" in body["error"]["message"]
    assert _stored(session) == 0 and _audits(session) == audits

    status, report = w1_only({"records": [row(), bad], "skip_bad": True})
    assert status == 200 and report["created"] == 1
    assert {p["row"] for p in report["rejected"]} == {1}
    assert _stored(session) == 1


def test_a_limited_token_feeds_its_workshop_and_an_open_one_every_workshop(
    w1_only, send, session: Session  # type: ignore[no-untyped-def]
) -> None:
    status, report = w1_only({"records": [row(), row(machine_code="M-NEW")]})
    assert status == 200 and report["created_machines"] == ["M-NEW"]
    made = session.scalars(select(Machine).where(Machine.code == "M-NEW")).one()
    assert made.workshop.code == "W1"  # the machine goes where its worker works
    status, report = send({"records": [row(worker_code="W101", machine_code="M9")]})
    assert status == 200 and report["created"] == 1  # the factory's `mes`: every workshop
