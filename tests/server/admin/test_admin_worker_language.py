"""The admin offers Cantonese (粵語) for a worker, each language by its own name in its own
script, and lets an administrator (only) choose how the kiosks write Cantonese."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Language, Worker
from server.services.people.languages import yue_script
from support.factory import Plant


@pytest.fixture
def client(app: Flask, plant: Plant, login_as: Callable[[str | None], FlaskClient]
           ) -> FlaskClient:
    app.config["WTF_CSRF_ENABLED"] = False
    return login_as("admin")


def test_the_worker_form_offers_each_language_by_its_own_name(client: FlaskClient,
                                                               session: Session) -> None:
    page = client.get("/admin/workers/new").get_data(as_text=True)
    options = re.findall(r'<option value="(\w+)" lang="([\w-]+)"[^>]*>([^<]+)</option>', page)
    assert options == [("zh_CN", "zh-Hans", "中文"), ("en", "en", "English"),
                       ("yue", "yue-Hant", "粵語")]
    client.post("/admin/workers/new", data={
        "code": "Y001", "name": "陈大文", "workshop": "W1", "role": "worker",
        "language": "yue"})
    worker = session.scalars(select(Worker).where(Worker.code == "Y001")).one()
    assert worker.language is Language.YUE
    listed = client.get("/admin/workers?q=Y001").get_data(as_text=True)
    assert '<td lang="yue-Hant">粵語</td>' in listed
    refused = client.post("/admin/workers/new", data={
        "code": "Y002", "name": "x", "workshop": "W1", "role": "worker",
        "language": "yue_Hans"}, follow_redirects=True).get_data(as_text=True)
    assert "请从列表中选择角色和语言" in refused
    assert session.scalars(select(Worker).where(Worker.code == "Y002")).first() is None


def test_an_administrator_sets_the_script_for_cantonese(
        client: FlaskClient, session: Session,
        login_as: Callable[[str | None], FlaskClient]) -> None:
    page = client.get("/admin/workers").get_data(as_text=True)
    assert 'name="yue_script"' in page and "粵語 儲存咗" in page and "粤语 储存咗" in page
    client.post("/admin/workers/yue-script", data={"yue_script": "simplified"})
    session.expire_all()
    assert yue_script(session) == "simplified"
    bad = client.post("/admin/workers/yue-script", data={"yue_script": "klingon"},
                      follow_redirects=True).get_data(as_text=True)
    assert "yue_script" in bad
    session.expire_all()
    assert yue_script(session) == "simplified"
    assert len(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "setting.yue_script")).all()) == 1
    viewer = login_as("view1")
    assert viewer.post("/admin/workers/yue-script",
                       data={"yue_script": "traditional"}).status_code == 403
    assert 'name="yue_script"' not in viewer.get("/admin/workers").get_data(as_text=True)
    session.expire_all()
    assert yue_script(session) == "simplified"
