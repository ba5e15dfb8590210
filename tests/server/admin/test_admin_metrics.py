"""HR's metrics page: add and change a metric (audited), every input labelled, refused
values named; the admin worker page and the report show the dual track's two lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Metric, RecordSource, Worker
from server.scoring import period_span
from server.services.metrics.definitions import MetricFields, add_metric
from server.services.metrics.values import upsert_values
from server.services.scores.schemes import import_scheme
from support.factory import Plant

SCHEME = """\
name: 双轨
workshops: [W1]
period: month
mode: threshold
effective_from: {start}
tracks: {{process: 40, result: 60}}
dimensions:
  - {{key: first_pass_rate, metric: first_pass, target: 0.95, points: 20, track: process}}
  - {{key: uptime, target: 0.5, points: 10, track: result}}
"""


@pytest.fixture
def client(app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient]
           ) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def test_a_metric_is_added_changed_and_audited(client: FlaskClient, session: Session) -> None:
    page = client.get("/admin/metrics").get_data(as_text=True)
    assert "No metrics yet" in page or "还没有指标" in page
    client.post("/admin/metrics/new", data={
        "code": "first_pass", "name": "首检合格率", "name_en": "First-pass rate",
        "unit": "%", "better": "higher", "combine": "mean"})
    client.post("/admin/metrics/first_pass", data={
        "name": "首检合格率", "name_en": "First pass", "unit": "%", "better": "higher",
        "combine": "last"})
    refused = client.post("/admin/metrics/new", data={
        "code": "x", "name": "x", "better": "higher", "combine": "ratio",
        "numerator": "nope", "denominator": "first_pass"}, follow_redirects=True)
    assert "numerator: no metric" in refused.get_data(as_text=True)
    session.expire_all()
    metric = session.scalars(select(Metric)).one()
    assert (metric.name_en, metric.combine.value) == ("First pass", "last")
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "metric")).all()
    assert actions == ["metric.create", "metric.update"]
    page = client.get("/admin/metrics").get_data(as_text=True)
    for tag in re.findall(r"<(?:input|select)\b[^>]*>", page):
        if 'type="hidden"' in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        assert "aria-label" in tag or (name and _in_label(page, tag)), tag


def _in_label(page: str, tag: str) -> bool:
    return any(tag in label for label in re.findall(r"<label>.*?</label>", page, re.S))


def test_the_worker_page_and_the_report_show_both_lines(client: FlaskClient, session: Session,
                                                        plant: Plant) -> None:
    metric = add_metric(session, "first_pass", MetricFields("首检合格率", "higher", "mean",
                                                            unit="%"), actor="test")
    # In force after the plant's own scheme, and for the last weeks the chart shows.
    start = period_span("month", plant.today.replace(day=1) - timedelta(days=40)).start
    import_scheme(session, SCHEME.format(start=start + timedelta(days=1)), actor="test")
    worker = session.scalars(select(Worker).where(Worker.code == "A001")).one()
    today = plant.today
    upsert_values(session, {(today, "day", worker.id, metric.id): 0.97},
                  RecordSource.IMPORT, "test")
    session.commit()
    page = client.get("/admin/workers/A001").get_data(as_text=True)
    assert 'id="chart-tracks-data"' in page and '"aria": {"enabled": true}' in page
    assert "#1e6ebe" in page and "#d64541" in page  # the blue line and the red line
    assert "track-process" in page and "track-result" in page
    report = client.get(f"/admin/reports?kind=monthly&workshop=W1&period="
                        f"{today:%Y-%m}").get_data(as_text=True)
    assert 'id="chart-tracks-data"' in report
    csv = client.get(f"/admin/reports/download?kind=monthly&workshop=W1&period="
                     f"{today:%Y-%m}&format=csv").get_data()
    assert "过程线 Process (share)".encode() in csv and "结果线 Result (share)".encode() in csv
