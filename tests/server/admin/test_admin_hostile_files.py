"""Hostile files through the admin's own forms (a logged-in admin, CSRF token and all), on
both engines: an XLSX zip bomb, a 13000×13000 PNG photo and a text file named .mp4 are
each refused with a clear message in the reader's language, leave nothing behind, and
refusing them adds less than 256 MB to the server's memory. Names that spreadsheets would
run as formulas come out of the payroll download as text."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Worker
from server.scoring import Period, period_span
from server.services.imports import import_workers
from server.services.periods.closing import close_period
from support.factory import Plant
from support.factory import plant_zone as _zone
from support.hostile import huge_png, peak_growth, xlsx_bomb

MB = 1024 * 1024
BOUND = 256 * MB
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def admin(login_as: Callable[[str | None], FlaskClient]) -> FlaskClient:
    return login_as("admin")


def _page(answer: object) -> str:
    return answer.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def _audits(session: Session) -> int:
    session.expire_all()
    return len(session.scalars(select(AuditEntry.id)).all())


def test_an_xlsx_zip_bomb_is_refused_in_the_readers_language(
    app: Flask, session: Session, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    bomb = xlsx_bomb(100 * MB)
    token = csrf_token(admin, "/admin/workers/import")
    audits = _audits(session)
    answers = []

    def upload() -> None:
        answers.append(admin.post("/admin/workers/import", data={
            "csrf_token": token, "file": (io.BytesIO(bomb), "人员.xlsx")},
            content_type="multipart/form-data"))

    grew = peak_growth(upload)
    assert answers[0].status_code == 200
    assert "人员.xlsx 不是普通的 Excel 工作簿" in _page(answers[0])
    assert grew < BOUND, f"refusing the bomb took {grew / MB:.0f} MB"
    uploads = app.config["SHOPFLOOR"].data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []  # nothing kept to confirm
    assert _audits(session) == audits

    english = admin.post("/admin/workers/import", headers=ENGLISH, data={
        "csrf_token": token, "file": (io.BytesIO(bomb), "staff.xlsx")},
        content_type="multipart/form-data")
    assert "staff.xlsx is not an ordinary Excel workbook" in _page(english)


def test_a_13000_pixel_square_photo_is_refused_with_memory_bounded(
    app: Flask, session: Session, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    png = huge_png(13000)  # 169 Mpx: Pillow itself only warns below 179 Mpx
    assert len(png) < MB
    token = csrf_token(admin, "/admin/workers/A001")
    photos = app.config["SHOPFLOOR"].data_dir / "photos"
    kept = sorted(photos.iterdir()) if photos.exists() else []
    answers = []

    def upload() -> None:
        answers.append(admin.post("/admin/workers/A001/photo", data={
            "csrf_token": token, "photo": (io.BytesIO(png), "me.png")},
            content_type="multipart/form-data", follow_redirects=True))

    grew = peak_growth(upload)
    assert "照片：图片超过 40 百万像素" in _page(answers[0])
    assert grew < BOUND, f"refusing the picture took {grew / MB:.0f} MB"
    assert (sorted(photos.iterdir()) if photos.exists() else []) == kept
    session.expire_all()
    worker = session.scalars(select(Worker).where(Worker.code == "A001")).one()
    assert worker.photo_path is None

    english = admin.post("/admin/workers/A001/photo", headers=ENGLISH, data={
        "csrf_token": token, "photo": (io.BytesIO(png), "me.png")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "photo: the picture has more than 40 million pixels" in _page(english)


def test_a_text_file_named_mp4_is_refused_and_nothing_is_kept(
    app: Flask, session: Session, admin: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token(admin, "/admin/videos")
    answer = admin.post("/admin/videos/upload", data={
        "csrf_token": token, "title": "安全培训",
        "file": (io.BytesIO(b"#EXTM3U\nhttp://169.254.169.254/\n"), "safety.mp4")},
        content_type="multipart/form-data", follow_redirects=True)
    page = _page(answer)
    assert "safety.mp4" in page and "文件既不是 MP4 也不是 WebM" in page
    folder = app.config["SHOPFLOOR"].data_dir / "videos"
    assert not folder.exists() or [p.name for p in folder.iterdir()] == []


def test_the_payroll_download_keeps_formula_names_as_text(
    app: Flask, session: Session, plant: Plant, admin: FlaskClient
) -> None:
    hostile = {"A001": '=HYPERLINK("http://x","y")', "A002": "@SUM(1)"}
    rows = "".join(f'{code},"{name.replace(chr(34), chr(34) * 2)}",W1,worker,zh_CN\n'
                   for code, name in hostile.items())
    import_workers(session, f"code,name,workshop,role,language\n{rows}".encode(), "w.csv",
                   actor="hr")
    month = period_span(Period.MONTH, plant.last_month)
    close_period(session, None, "month", month.label, "test", _zone(app), plant.today)
    session.commit()
    for fmt in ("xlsx", "csv"):
        answer = admin.get(f"/admin/reports/payroll?month={month.label}&format={fmt}")
        assert answer.status_code == 200, fmt
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(answer.data)).worksheets[0]
            types = {c.value: c.data_type for row in sheet.iter_rows() for c in row
                     if c.value in hostile.values()}
            assert types == {name: "s" for name in hostile.values()}
        else:
            text = answer.data.decode("utf-8-sig")
            assert "'=HYPERLINK" in text and "'@SUM(1)" in text
            assert not any(line.startswith(("=", "@")) or ",=" in line or ",@" in line
                           for line in text.splitlines())
        answer.close()
