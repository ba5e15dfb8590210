"""HR's imports through the admin's own forms (a logged-in admin, CSRF on): the preview
lists every workshop and machine a file would create and HR ticks each one to create it;
rows naming one left unticked are refused, named, in the reader's language. The file is
sent once: the confirm form carries only the id of the upload kept in the spool, which is
no path, belongs to its page and its user, and is gone once imported or after an hour.
Template files in CSV and XLSX, with Chinese or English headers."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.admin import spool
from server.models import AuditEntry, Machine, ProductionRecord, UserRole, Worker, Workshop
from server.services.setup import add_user
from support.factory import PASSWORD, Plant

ENGLISH = {"Accept-Language": "en"}
# A Chinese clerk's file: W3 is a new workshop, W9 a typo of W1.
WORKERS = ("工号,姓名,车间,角色,语言\n"
           "C001,孙九,W1,员工,中文\n"
           "C002,吴十,W3,主管,英文\n"
           "C003,郑十一,W9,员工,中文\n"
           "C004,冯十二,W3,员工,中文\n").encode("gb18030")


@pytest.fixture
def admin(login_as: Callable[[str | None], FlaskClient]) -> FlaskClient:
    return login_as("admin")


def _text(answer: Any) -> str:
    text: str = answer.get_data(as_text=True)
    return text


def _upload_id(page: str) -> str:
    found = re.search(r'name="upload" value="([^"]*)"', page)
    assert found, "no confirm form"
    return found.group(1)


def _boxes(page: str) -> dict[str, bool]:
    """The create boxes of the preview: code -> ticked."""
    return {m.group(2): bool(m.group(3)) for m in re.finditer(
        r'<input type="checkbox" name="(create)" value="([^"]+)" ?(checked)?', page)}


def _spooled(app: Flask) -> list[Path]:
    folder = app.config["SHOPFLOOR"].data_dir / "uploads"
    return sorted(folder.glob("import-*")) if folder.exists() else []


def _codes(session: Session, model: Any) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(model.code)))


def _preview(client: FlaskClient, token: str, path: str, data: bytes, name: str,
             headers: dict[str, str] | None = None, **extra: str) -> str:
    return _text(client.post(path, headers=headers or {}, data={
        "csrf_token": token, "step": "preview", "file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data"))


def test_new_workshops_are_created_only_when_ticked_and_the_others_rows_are_named(
    app: Flask, session: Session, plant: Plant, admin: FlaskClient,
    csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/workers/import")
    shops = _codes(session, Workshop)
    page = _preview(admin, token, "/admin/workers/import", WORKERS, "人员.csv")
    assert 'id="import-new"' in page and "要新建这些吗？" in page
    assert _boxes(page) == {"W3": False, "W9": False}, "nothing is ticked for HR"
    assert _codes(session, Workshop) == shops and "C001" not in _codes(session, Worker)
    upload = _upload_id(page)
    assert [p.name for p in _spooled(app)] == [f"import-{upload.split('.')[0]}"]
    assert 'type="file"' not in page.split('name="step" value="confirm"')[1].split("</form>")[0]

    # HR ticks W3, not the typo: W9's row is refused by its line, nothing is imported.
    refused = admin.post("/admin/workers/import", headers=ENGLISH, data={
        "csrf_token": token, "step": "confirm", "upload": upload, "create": ["W3"]})
    english = _text(refused)
    assert refused.status_code == 200
    assert "Line 4" in english
    assert "there is no workshop W9, and creating it was not confirmed" in english
    assert _boxes(english) == {"W3": True, "W9": False}, "the boxes as HR left them"
    assert _codes(session, Workshop) == shops and "C001" not in _codes(session, Worker)
    chinese = _text(admin.post("/admin/workers/import", data={
        "csrf_token": token, "step": "confirm", "upload": upload, "create": ["W3"]}))
    assert "没有车间 W9，且未确认新建" in chinese and "第 4 行" in chinese

    # Then the good rows, skipping the refused one: W3 is made, W9 is not.
    done = admin.post("/admin/workers/import", data={
        "csrf_token": token, "step": "confirm", "upload": upload, "create": ["W3"],
        "skip_bad": "1"}, follow_redirects=True)
    page = _text(done)
    assert "已新建车间：W3。" in page and "已跳过的行" in page and "W9" in page
    assert _codes(session, Workshop) == shops | {"W3"}
    assert {"C001", "C002", "C004"} <= _codes(session, Worker)
    assert "C003" not in _codes(session, Worker)
    assert _spooled(app) == [], "the kept file is gone once imported"
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "workers.import")).all()[-1]
    assert entry.actor == "user:admin" and entry.after is not None
    assert entry.after["created_workshops"] == ["W3"]

    # The same id cannot import twice.
    again = admin.post("/admin/workers/import", data={
        "csrf_token": token, "step": "confirm", "upload": upload, "create": ["W3", "W9"]},
        follow_redirects=True)
    assert "上传的文件已丢失或已超过一小时" in _text(again)
    assert "W9" not in _codes(session, Workshop)


def test_every_new_workshop_ticked_imports_the_whole_file(
    session: Session, plant: Plant, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/workers/import")
    page = _preview(admin, token, "/admin/workers/import", WORKERS, "staff.csv", ENGLISH)
    assert "Create these?" in page and "New workshops" in page
    done = admin.post("/admin/workers/import", headers=ENGLISH, data={
        "csrf_token": token, "step": "confirm", "upload": _upload_id(page),
        "create": ["W3", "W9"]}, follow_redirects=True)
    assert "Imported staff.csv: 4 new" in _text(done)
    assert {"W3", "W9"} <= _codes(session, Workshop)


def test_a_file_that_creates_nothing_shows_no_boxes(
    session: Session, plant: Plant, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/workers/import")
    data = b"code,name,workshop,role,language\nC001,Sun,W1,,\n"
    page = _preview(admin, token, "/admin/workers/import", data, "one.csv", ENGLISH)
    assert 'id="import-new"' not in page and _boxes(page) == {}
    admin.post("/admin/workers/import", data={
        "csrf_token": token, "step": "confirm", "upload": _upload_id(page)})
    assert "C001" in _codes(session, Worker)


def test_new_machines_are_confirmed_the_same_way(
    session: Session, plant: Plant, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/production/import")
    day = plant.today.isoformat()
    data = ("日期,班次,工号,设备,计划分钟,运行分钟,产量,次品\n"
            f"{day},白班,A001,CNC-02,480,400,100,1\n"
            f"{day},白班,A002,CNC-0l,480,400,100,1\n").encode()
    page = _preview(admin, token, "/admin/production/import", data, "产量.csv")
    assert _boxes(page) == {"CNC-02": False, "CNC-0l": False}
    assert 'id="import-new-machines"' in page and "新设备" in page
    machines = _codes(session, Machine)
    upload = _upload_id(page)
    refused = _text(admin.post("/admin/production/import", data={
        "csrf_token": token, "step": "confirm", "upload": upload, "create": ["CNC-02"]}))
    assert "没有设备 CNC-0l，且未确认新建" in refused and "第 3 行" in refused
    assert _codes(session, Machine) == machines
    admin.post("/admin/production/import", data={
        "csrf_token": token, "step": "confirm", "upload": upload, "create": ["CNC-02"],
        "skip_bad": "1"})
    assert _codes(session, Machine) == machines | {"CNC-02"}
    session.expire_all()
    assert session.scalars(select(ProductionRecord).where(
        ProductionRecord.machine.has(code="CNC-02"))).one().output == 100


KEY = "A" * 43  # the shape of a spool key
HOSTILE_TOKENS = ("../../../import-planted", f"../../../import-planted.{KEY}",
                  f"../../import-planted.{KEY}", "../secret_key", f"../secret_key.{KEY}",
                  "..%2Fsecret_key", "/etc/passwd", "../uploads/../secret_key", "",
                  "a" * 33, "a" * 31 + "/", "\x00" * 32)


def test_an_upload_token_that_is_a_path_reaches_no_file(
    app: Flask, session: Session, plant: Plant, admin: FlaskClient,
    csrf_token: Callable[..., str]
) -> None:
    # Files outside the spool where a token taken as a path would lead, a folder in the
    # spool through which it would get there, and the secret key.
    data_dir = app.config["SHOPFLOOR"].data_dir
    (data_dir / "uploads" / "import-..").mkdir(parents=True)
    planted = [data_dir / "import-planted", data_dir / f"import-planted.{KEY}"]
    for path in planted:
        path.write_bytes(b"code,name,workshop,role,language\nEVIL1,x,W1,,\n")
    secret = data_dir / "secret_key"
    before = secret.read_bytes()
    token = csrf_token(admin, "/admin/workers/import")
    for upload in HOSTILE_TOKENS:
        answer = admin.post("/admin/workers/import", headers=ENGLISH, data={
            "csrf_token": token, "step": "confirm", "upload": upload},
            follow_redirects=True)
        assert answer.status_code == 200, upload
        assert "The upload was lost or is more than an hour old" in _text(answer), upload
    assert "EVIL1" not in _codes(session, Worker)
    assert secret.read_bytes() == before and all(path.exists() for path in planted)

    # A real upload's id with another key gets nothing either, and keeps the file.
    data = b"code,name,workshop,role,language\nC001,Sun,W1,,\n"
    real = _upload_id(_preview(admin, token, "/admin/workers/import", data, "a.csv"))
    forged = real.split(".")[0] + "." + KEY
    answer = admin.post("/admin/workers/import", headers=ENGLISH, data={
        "csrf_token": token, "step": "confirm", "upload": forged}, follow_redirects=True)
    assert "The upload was lost" in _text(answer) and "C001" not in _codes(session, Worker)
    admin.post("/admin/workers/import", data={
        "csrf_token": token, "step": "confirm", "upload": real})
    assert "C001" in _codes(session, Worker)


def test_a_kept_upload_belongs_to_its_page_and_its_user_and_expires(
    app: Flask, session: Session, plant: Plant, admin: FlaskClient,
    login_as: Callable[[str | None], FlaskClient], csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/workers/import")
    data = b"code,name,workshop,role,language\nC001,Sun,W1,,\n"
    upload = _upload_id(_preview(admin, token, "/admin/workers/import", data, "a.csv"))
    lost = "上传的文件已丢失或已超过一小时"

    # Another page: the production import does not take a workers file's id.
    other_page = admin.post("/admin/production/import", data={
        "csrf_token": token, "step": "confirm", "upload": upload}, follow_redirects=True)
    assert lost in _text(other_page)
    # Another admin does not get it either.
    add_user(session, "hr2", UserRole.ADMIN, PASSWORD, "test")
    session.commit()
    hr2 = login_as("hr2")
    hr2_token = csrf_token(hr2, "/admin/workers/import")
    assert lost in _text(hr2.post("/admin/workers/import", data={
        "csrf_token": hr2_token, "step": "confirm", "upload": upload},
        follow_redirects=True))
    assert "C001" not in _codes(session, Worker)
    # An hour later it is gone.
    [kept] = _spooled(app)
    hour_ago = time.time() - spool.KEEP_SECONDS - 5
    os.utime(kept, (hour_ago, hour_ago))
    assert lost in _text(admin.post("/admin/workers/import", data={
        "csrf_token": token, "step": "confirm", "upload": upload}, follow_redirects=True))
    assert not kept.exists() and "C001" not in _codes(session, Worker)


def test_imports_need_an_admin_and_the_forms_token(
    app: Flask, session: Session, plant: Plant, admin: FlaskClient,
    login_as: Callable[[str | None], FlaskClient], csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/workers/import")
    upload = _upload_id(_preview(admin, token, "/admin/workers/import", WORKERS, "a.csv"))
    form = {"step": "confirm", "upload": upload, "create": ["W3", "W9"]}
    assert admin.post("/admin/workers/import", data=form).status_code == 400
    for who in ("sup1", "view1"):
        client = login_as(who)
        assert client.post("/admin/workers/import", data=form).status_code in (400, 403)
        assert client.get("/admin/workers/import/template").status_code == 403
        assert client.get("/admin/production/import/template").status_code == 403
    assert "W9" not in _codes(session, Workshop) and len(_spooled(app)) == 1


@pytest.mark.parametrize("kind", ["workers", "production"])
def test_templates_in_both_formats_and_both_languages(
    plant: Plant, admin: FlaskClient, kind: str
) -> None:
    page = _text(admin.get(f"/admin/{kind}/import"))
    links = re.findall(rf'href="(/admin/{kind}/import/template\?[^"]+)"', page)
    assert len(links) == 4 and "下载模板" in page and "XLSX，中文表头" in page
    assert "Template to fill in" in _text(admin.get(f"/admin/{kind}/import", headers=ENGLISH))
    first = {"workers": ("工号", "code"), "production": ("日期", "date")}[kind]
    for link in links:
        answer = admin.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200, link
        chinese = "lang=zh_CN" in link
        assert f'{kind}-{"zh_CN" if chinese else "en"}' in answer.headers["Content-Disposition"]
        if "format=csv" in link:
            assert answer.mimetype == "text/csv" and answer.data.startswith(b"\xef\xbb\xbf")
            header = next(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
        else:
            assert str(answer.mimetype).endswith("spreadsheetml.sheet")
            sheet = load_workbook(io.BytesIO(answer.data)).worksheets[0]
            header = [c.value for c in sheet[1]]
        assert header[0] == first[0 if chinese else 1]
    assert admin.get(f"/admin/{kind}/import/template?format=exe").status_code == 404
    assert admin.get(f"/admin/{kind}/import/template?lang=../../x").status_code == 404


def test_a_chinese_template_filled_in_imports(
    session: Session, plant: Plant, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    filled = admin.get("/admin/workers/import/template?format=xlsx&lang=zh_CN").data
    token = csrf_token(admin, "/admin/workers/import")
    page = _preview(admin, token, "/admin/workers/import", filled, "模板.xlsx")
    assert 'id="import-errors"' not in page, page
    admin.post("/admin/workers/import", data={
        "csrf_token": token, "step": "confirm", "upload": _upload_id(page),
        "create": list(_boxes(page))})
    assert len(_codes(session, Worker)) == 7


def test_a_refused_file_is_said_in_the_readers_language_and_not_kept(
    app: Flask, plant: Plant, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/workers/import")
    bad = "工号;姓名;车间\nC001;孙九;W1\n".encode()
    chinese = _preview(admin, token, "/admin/workers/import", bad, "分号.csv")
    english = _preview(admin, token, "/admin/workers/import", bad, "semi.csv", ENGLISH)
    assert 'class="flash error"' in chinese and 'name="upload"' not in chinese
    assert "semi.csv" in english and "semi.csv" not in chinese
    message = chinese.split('class="flash error"')[1].split("</div>")[0]
    assert re.search(r"[\u4e00-\u9fff]", message) and "line" not in message
    assert _spooled(app) == []


def test_the_upload_form_names_both_header_sets(plant: Plant, admin: FlaskClient) -> None:
    page = _text(admin.get("/admin/workers/import"))
    assert "code,name,workshop,role,language,[card]" in page
    assert "工号,姓名,车间,角色,语言,[卡号]" in page
    production = _text(admin.get("/admin/production/import"))
    assert "日期,班次,工号,设备,计划分钟,运行分钟,产量,次品" in production

