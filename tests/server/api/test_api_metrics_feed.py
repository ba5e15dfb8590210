"""POST /metrics as an attacker would try it: wrong tokens and scopes, unknown metrics and
workers, bad values, duplicates (idempotent), another workshop's workers; and the kiosk's
quality_issue counting into `quality_issues_found`."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, MetricValue, RecordSource
from server.services.devices.tokens import add_integration_token
from server.services.metrics.definitions import MetricFields, add_metric
from support.factory import Factory, PostEvents, bearer, make_event


def row(**changes: Any) -> dict[str, Any]:
    return {"date": "2026-03-09", "shift": "day", "worker_code": "W001",
            "metric": "first_pass", "value": 0.97} | changes


@pytest.fixture
def token(session: Session, factory: Factory) -> str:
    add_metric(session, "first_pass", MetricFields("首检合格率", "higher", "mean", unit="%"),
               actor="test")
    add_metric(session, "rework", MetricFields("返修", "lower", "sum"), actor="test")
    add_metric(session, "fpy", MetricFields("比", "higher", "ratio", numerator="rework",
                                            denominator="first_pass"), actor="test")
    _, secret = add_integration_token(session, "mes-metrics", "metrics", "test")
    session.commit()
    return secret


@pytest.fixture
def send(client: FlaskClient, token: str):  # type: ignore[no-untyped-def]
    def post(body: object, secret: str | None = None) -> tuple[int, dict[str, Any]]:
        response = client.post("/api/v1/metrics", json=body, headers=bearer(secret or token))
        return response.status_code, response.get_json()
    return post


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MetricValue)) or 0


def test_values_are_stored_and_a_resend_changes_nothing(send, session: Session) -> None:  # type: ignore[no-untyped-def]
    rows = [row(), row(worker_code="W002", metric="rework", value=2)]
    status, report = send({"records": rows})
    assert (status, report) == (200, {"created": 2, "updated": 0, "unchanged": 0,
                                      "skipped": 0, "rejected": []})
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    status, report = send({"records": rows})
    assert (status, report["created"], report["unchanged"]) == (200, 0, 2)
    assert _stored(session) == 2
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
    status, report = send({"records": [row(value=0.99)]})
    assert report["updated"] == 1
    assert session.scalars(select(MetricValue.source)).all() == [RecordSource.MES] * 2


def test_tokens_of_other_kinds_are_refused(send, factory: Factory, client: FlaskClient,  # type: ignore[no-untyped-def]
                                           session: Session) -> None:
    body = {"records": [row()]}
    assert send(body, factory.integration_token)[0] == 403  # scope production
    assert send(body, factory.kiosk_token)[0] == 403
    assert send(body, "not-a-token")[0] == 401
    assert client.post("/api/v1/metrics", json=body).status_code == 401
    assert _stored(session) == 0


@pytest.mark.parametrize(("bad", "needle"), [
    (row(metric="nope"), "records.1: metric: no metric 'nope'"),
    (row(metric="fpy"), "records.1: metric: 'fpy' is a ratio"),
    (row(worker_code="NOBODY"), "records.1: worker_code: no worker 'NOBODY'"),
    (row(worker_code="W101"), "records.1: worker_code: no worker 'W101'"),  # W2: see below
    (row(value="abc"), "records.1: value:"),
    (row(value=1e13), "records.1: value:"),
    (row(date="2026-02-30"), "records.1: date:"),
    (row(worker_code="../../etc"), "records.1: worker_code:"),
    (row(shift="a\x00b"), "records.1: shift:"),
    (row(machine_code="M1"), "records.1: worker_code: give a worker_code or a machine_code"),
    ({k: v for k, v in row().items() if k != "worker_code"}, "records.1: worker_code: give"),
    (row(extra=1), "records.1: extra:"),
    (row(), "records.1: repeats the date, shift, worker and metric of record 0"),
])
def test_a_bad_row_stores_nothing_and_is_named(send, session: Session, bad: dict[str, Any],  # type: ignore[no-untyped-def]
                                               needle: str) -> None:
    if bad.get("worker_code") == "W101":  # a token limited to W1 does not know W2's workers
        limited = add_integration_token(session, "w1-only", "metrics", "test", ["W1"])[1]
        session.commit()
        status, answer = send({"records": [row(), bad]}, limited)
    else:
        status, answer = send({"records": [row(), bad]})
    assert status == 422, answer
    assert needle in answer["error"]["message"]
    assert _stored(session) == 0


def test_bad_bodies_are_client_errors(send, client: FlaskClient, token: str) -> None:  # type: ignore[no-untyped-def]
    for body in ({}, {"records": []}, {"records": "x"}, [1], {"records": [None]},
                 {"records": [row()] * 5001}):
        status, _ = send(body)
        assert 400 <= status < 500, body
    response = client.post("/api/v1/metrics", data=b"\xff\xfe", headers={
        **bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 400


def test_skip_bad_stores_the_good_rows(send, session: Session) -> None:  # type: ignore[no-untyped-def]
    status, report = send({"records": [row(), row(metric="nope")], "skip_bad": True})
    assert (status, report["created"], [p["row"] for p in report["rejected"]]) == (200, 1, [1])


def test_the_document_describes_the_route(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    post = document["paths"]["/api/v1/metrics"]["post"]
    assert "metrics" in post["summary"]
    assert "MetricBatch" in str(post["requestBody"])


def test_a_quality_issue_counts_into_the_metric_once(post_events: PostEvents,
                                                     session: Session) -> None:
    issue = make_event("quality_issue", payload={"issue": "scratch"})
    assert post_events(issue)[0]["status"] == "accepted"
    assert _stored(session) == 0  # no metric `quality_issues_found`: only the alert
    add_metric(session, "quality_issues_found", MetricFields("发现质量问题", "higher", "sum"),
               actor="test")
    session.commit()
    second = make_event("quality_issue", payload={"issue": "burr"})
    assert [r["status"] for r in post_events(second, issue)] == ["accepted", "duplicate"]
    third = make_event("quality_issue", payload={"issue": "crack"})
    post_events(third, second)
    value = session.scalars(select(MetricValue)).one()
    session.refresh(value)
    # all three reports of the shift count, each once, however often they were sent
    assert (value.value, value.source) == (3.0, RecordSource.KIOSK)
