"""Resolving an appeal in the admin, with its CSRF token: upheld with a correction chosen
in the same form, refused corrections shown again with what was typed, and a supervisor
offered no production correction."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AppealStatus,
    Notice,
    ProductionRecord,
    RecordSource,
    Worker,
)
from support.factory import Plant, last_month_days


def _record(session: Session, plant: Plant) -> ProductionRecord:
    return session.scalars(select(ProductionRecord).join(Worker).where(
        Worker.code == "A002",
        ProductionRecord.date == last_month_days(plant.today)[0])).one()


def _form(token: str, record: ProductionRecord, **values: str) -> dict[str, str]:
    rid = record.id
    return {"csrf_token": token, "note": "停机已核实", "decision": "upheld",
            "correction": "record", "record": str(rid),
            f"planned_minutes_{rid}": "480", f"run_minutes_{rid}": "300",
            f"output_{rid}": "5000", f"defects_{rid}": str(record.defects),
            "reason": "MES 漏报", **values}


def test_upheld_with_a_record_correction(
        session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient],
        csrf_token: Callable[..., str]) -> None:
    client = login_as("admin")
    page_path = f"/admin/appeals/{plant.appeal_id}"
    page = client.get(page_path).get_data(as_text=True)
    record = _record(session, plant)
    assert 'id="correct-records"' in page and f'name="output_{record.id}"' in page
    token = csrf_token(client, page_path)
    answer = client.post(f"{page_path}/resolve", data=_form(token, record))
    assert answer.status_code == 302
    assert urlsplit(answer.headers["Location"]).path == "/admin/appeals"
    listing = client.get("/admin/appeals?status=upheld").get_data(as_text=True)
    assert "+30" in listing
    session.expire_all()
    stored = session.get(ProductionRecord, record.id)
    assert stored is not None and (stored.output, stored.source) == (5000, RecordSource.MANUAL)
    notice = session.scalars(select(Notice)).one()
    assert notice.params["points"] == 30 and notice.params["correction"] == "record"
    resolved = client.get(page_path).get_data(as_text=True)
    assert 'id="effect"' in resolved and "+30" in resolved
    assert 'id="notice-seen"' in resolved and "tag pending" in resolved


def test_a_bad_correction_is_shown_again_and_changes_nothing(
        session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient],
        csrf_token: Callable[..., str]) -> None:
    client = login_as("admin")
    page_path = f"/admin/appeals/{plant.appeal_id}"
    record = _record(session, plant)
    before = record.output
    token = csrf_token(client, page_path)
    for values, message in (
            ({f"output_{record.id}": "-5"}, "output: cannot be below 0"),
            ({f"defects_{record.id}": "9000"}, "defects: more than output"),
            ({f"run_minutes_{record.id}": "481"}, "run_minutes: more than planned_minutes"),
            ({f"output_{record.id}": "many"}, "output: &#39;many&#39; is not a number"),
            ({"reason": ""}, "reason: say why"),
            ({"correction": ""}, "更正：请选择"),  # the view's own message, translated
            ({"correction": "points", "points": "0"}, "points: above 0"),
            ({"correction": "adjustment", "points": "5", "day": "2001-01-01"},
             "date: 2001-01-01 is not in the appealed period"),
            ({"decision": "rejected"}, "a rejected appeal changes no record")):
        answer = client.post(f"{page_path}/resolve", data=_form(token, record, **values))
        assert answer.status_code == 200, values
        text = answer.get_data(as_text=True)
        assert message in text, (values, message)
        assert 'value="停机已核实"' in text or "停机已核实</textarea>" in text  # kept
    session.expire_all()
    assert session.get(ProductionRecord, record.id).output == before  # type: ignore[union-attr]
    appeal = session.get(Appeal, plant.appeal_id)
    assert appeal is not None and appeal.status is AppealStatus.OPEN
    assert session.scalars(select(Notice)).all() == []


def test_a_supervisor_gives_points_but_corrects_no_record(
        session: Session, plant: Plant, login_as: Callable[[str | None], FlaskClient],
        csrf_token: Callable[..., str]) -> None:
    client = login_as("sup1")
    page_path = f"/admin/appeals/{plant.appeal_id}"
    page = client.get(page_path).get_data(as_text=True)
    assert 'id="correct-records"' not in page and 'value="record" disabled' in page.replace(
        "  ", " ")
    token = csrf_token(client, page_path)
    answer = client.post(f"{page_path}/resolve", data={
        "csrf_token": token, "note": "属实", "decision": "upheld", "correction": "adjustment",
        "points": "12", "reason": "停机补偿"})
    assert answer.status_code == 302
    notice = session.scalars(select(Notice)).one()
    assert notice.params["points"] == 12 and notice.params["correction"] == "adjustment"
