"""HR's growth pages on the seeded plant: the worker page's growth record (an ECharts
radar with aria and decal), talent pools and their members, grades and the certification
list; roles, CSRF, the audit, and crafted POSTs (a worker who has not reached a grade
cannot be certified); a video's pass mark and growth tags."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    AuditEntry,
    Certification,
    EntryStatus,
    PointCategory,
    PointEntry,
    TrainingVideo,
    Worker,
)
from support.factory import Plant


@pytest.fixture
def admin(app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient]
          ) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def _approved(session: Session, plant: Plant, code: str, category: str, points: float) -> None:
    worker = session.scalars(select(Worker).where(Worker.code == code)).one()
    found = session.scalars(select(PointCategory).where(PointCategory.code == category)).one()
    session.add(PointEntry(worker_id=worker.id, category_id=found.id, points=points,
                           date=plant.today, status=EntryStatus.APPROVED))
    session.commit()


def test_the_worker_page_shows_the_growth_record_with_an_accessible_radar(
        admin: FlaskClient, session: Session, plant: Plant) -> None:
    _approved(session, plant, "A001", "improvement", 10)
    _approved(session, plant, "A002", "improvement", 40)
    page = admin.get("/admin/workers/A001").get_data(as_text=True)
    assert 'id="growth"' in page
    found = re.search(r'<script type="application/json" id="chart-growth-data">(.*?)</script>',
                      page, re.S)
    assert found, "no growth radar"
    option = json.loads(found.group(1))
    assert option["aria"] == {"enabled": True, "decal": {"show": True}}
    assert option["series"][0]["type"] == "radar"
    names = [i["name"] for i in option["radar"]["indicator"]]
    value = dict(zip(names, option["series"][0]["data"][0]["value"], strict=True))
    assert value["改善提案"] == 25.0  # 10 of the workshop's best 40
    assert 'id="growth-radar"' in page and 'class="weakest"' in page


def test_talent_pools_are_defined_audited_and_list_who_qualifies(
        admin: FlaskClient, session: Session, plant: Plant,
        login_as: Callable[[str | None], FlaskClient]) -> None:
    _approved(session, plant, "A001", "improvement", 20)
    _approved(session, plant, "A002", "improvement", 19)
    admin.post("/admin/pools", data={"code": "lean", "name": "精益改善种子库",
                                     "name_en": "Lean seeds", "categories": ["improvement"],
                                     "min_points": "20", "days": "90"})
    page = admin.get("/admin/pools").get_data(as_text=True)
    section = page[page.index('id="pool-lean"'):]
    assert "A001" in section and "A002" not in section
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "pool.add")).one()
    refused = admin.post("/admin/pools", data={"code": "bad", "name": "x",
                                               "categories": ["nope"], "min_points": "1"},
                         follow_redirects=True).get_data(as_text=True)
    assert "no category" in refused
    viewer = login_as("view1")
    assert viewer.get("/admin/pools").status_code == 200
    assert viewer.post("/admin/pools", data={"code": "v", "name": "v",
                                             "min_points": "0"}).status_code == 403
    assert login_as("sup1").get("/admin/pools").status_code == 403


def test_a_post_without_the_csrf_token_is_refused(
        app: Flask, plant: Plant, session: Session,
        login_as: Callable[[str | None], FlaskClient],
        csrf_token: Callable[..., str]) -> None:
    client = login_as("admin")
    data = {"code": "T1", "role": "worker", "rank": "1", "name": "初级", "points": "0"}
    assert client.post("/admin/grades", data=data).status_code == 400
    assert client.post("/admin/grades/certify",
                       data={"worker": "A001", "grade": "T1"}).status_code == 400
    token = csrf_token(client, "/admin/grades")
    assert client.post("/admin/grades", data={**data, "csrf_token": token}).status_code == 302
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "grade.add")).one()


def test_certification_only_for_a_worker_who_reached_the_grade(
        admin: FlaskClient, session: Session, plant: Plant,
        login_as: Callable[[str | None], FlaskClient]) -> None:
    admin.post("/admin/grades", data={"code": "T1", "role": "worker", "rank": "1",
                                      "name": "初级技工", "name_en": "Technician I",
                                      "points": "30", "categories": ["improvement"]})
    _approved(session, plant, "A001", "improvement", 30)  # exactly enough
    _approved(session, plant, "A002", "improvement", 29)
    page = admin.get("/admin/grades").get_data(as_text=True)
    listed = page[page.index('id="candidates"'):page.index('id="grades"')]
    assert "A001" in listed and "A002" not in listed
    # A crafted POST for A002, who has not reached T1, and one for a grade A001 cannot
    # skip to, change nothing.
    refused = admin.post("/admin/grades/certify", data={"worker": "A002", "grade": "T1"},
                         follow_redirects=True).get_data(as_text=True)
    assert "has not reached" in refused
    admin.post("/admin/grades/certify", data={"worker": "A001", "grade": "T9"})
    admin.post("/admin/grades/certify", data={"worker": "B001", "grade": "T1"})
    assert login_as("view1").post("/admin/grades/certify",
                                  data={"worker": "A001", "grade": "T1"}).status_code == 403
    assert login_as("sup1").post("/admin/grades/certify",
                                 data={"worker": "A001", "grade": "T1"}).status_code == 403
    assert session.scalars(select(Certification)).all() == []
    admin.post("/admin/grades/certify", data={"worker": "A001", "grade": "T1"})
    session.expire_all()
    held = session.scalars(select(Certification)).one()
    assert held.worker.code == "A001" and held.grade.code == "T1"
    assert held.certified_by == "user:admin"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "grade.certify")
                            ).one()
    assert entry.after["grade"] == "T1" and entry.actor == "user:admin"
    worker_page = admin.get("/admin/workers/A001").get_data(as_text=True)
    assert "初级技工" in worker_page[worker_page.index('id="growth-grade"'):]


def test_a_videos_pass_mark_and_tags_are_set_and_audited(admin: FlaskClient,
                                                       session: Session) -> None:
    video = TrainingVideo(title="安全操作", sha256="b" * 64, size_bytes=1, duration_s=10.0,
                          file_path="videos/b.mp4", quiz=[], roles=[], growth_tags=[])
    session.add(video)
    session.commit()
    page = admin.get(f"/admin/videos/{video.id}").get_data(as_text=True)
    assert 'value="dim:uptime"' in page and 'value="cat:improvement"' in page
    admin.post(f"/admin/videos/{video.id}/growth",
               data={"pass_mark": "80", "tags": ["dim:uptime", "cat:improvement"]})
    refused = admin.post(f"/admin/videos/{video.id}/growth",
                         data={"pass_mark": "101"}, follow_redirects=True)
    assert "pass mark" in refused.get_data(as_text=True)
    admin.post(f"/admin/videos/{video.id}/growth", data={"pass_mark": "x"})
    session.expire_all()
    video = session.get(TrainingVideo, video.id)
    assert video is not None
    assert video.pass_mark == 80 and video.growth_tags == ["cat:improvement", "dim:uptime"]
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "video.growth")
                           ).one().after["pass_mark"] == 80
