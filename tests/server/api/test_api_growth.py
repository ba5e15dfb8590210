"""GET /api/v1/workers/<code>/growth as a kiosk, and as an attacker: another workshop's
kiosk, no token, an integration token, an unknown or inactive worker; a kiosk cannot
certify a grade by any route."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Certification, EntryStatus, PointEntry, Worker
from server.services.growth import path
from support.factory import Factory, bearer


def test_a_kiosk_reads_the_growth_record_of_its_worker(client: FlaskClient,
                                                       factory: Factory,
                                                       kiosk_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/workers/W001/growth", headers=kiosk_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["worker"]["code"] == "W001"
    assert {"radar", "weakest", "suggested", "training", "tiers", "rewards", "grade",
            "pools"} <= body.keys()
    assert {a["key"] for a in body["radar"]} >= {"cat:fault_fix", "cat:improvement"}
    assert body["grade"] == {"current": None, "next": None, "points": 0.0,
                             "missing_points": 0.0, "missing_videos": [], "reached": False}
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_the_growth_record_is_refused_outside_the_kiosks_workshops(
        client: FlaskClient, factory: Factory, kiosk_headers: dict[str, str]) -> None:
    other = bearer(factory.other_kiosk_token)
    assert client.get("/api/v1/workers/W001/growth", headers=other).status_code == 403
    assert client.get("/api/v1/workers/W101/growth", headers=kiosk_headers).status_code == 403
    assert client.get("/api/v1/workers/NOPE/growth", headers=kiosk_headers).status_code == 404
    assert client.get("/api/v1/workers/W999/growth", headers=kiosk_headers).status_code == 404
    assert client.get("/api/v1/workers/W001/growth").status_code == 401
    assert client.get("/api/v1/workers/W001/growth",
                      headers=bearer("not-a-token")).status_code == 401
    integration = bearer(factory.integration_token)
    assert client.get("/api/v1/workers/W001/growth", headers=integration).status_code == 403


def test_a_kiosk_cannot_certify_a_grade(client: FlaskClient, session: Session,
                                        factory: Factory,
                                        kiosk_headers: dict[str, str]) -> None:
    path.save_grade(session, path.GradeForm(code="T1", role="worker", rank=1, name="初级",
                                            points=5), "test")
    worker = session.scalars(select(Worker).where(Worker.code == "W001")).one()
    session.add(PointEntry(worker_id=worker.id, points=5, date=worker.created_at.date(),
                           status=EntryStatus.APPROVED))
    session.commit()
    assert client.get("/api/v1/workers/W001/growth",
                      headers=kiosk_headers).get_json()["grade"]["reached"] is True
    for method in ("POST", "PUT", "PATCH"):
        assert client.open("/api/v1/workers/W001/growth", method=method,
                           json={"grade": "T1"}, headers=kiosk_headers).status_code == 405
    # The admin's form with a kiosk's token is not a login: sent to the login page.
    response = client.post("/admin/grades/certify", data={"worker": "W001", "grade": "T1"},
                           headers=kiosk_headers)
    assert response.status_code in (302, 400)
    assert session.scalars(select(Certification)).all() == []
