"""The video upload's own size limit (SHOPFLOOR_VIDEO_MAX_MB), the CSRF check on it, and
an edit that is audited; the browser test (tests/e2e/test_admin_videos.py) covers the
rest with a real server."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.admin.videos import FORM_OVERHEAD
from server.config import Config, _megabytes
from server.models import AuditEntry, TrainingVideo
from support.clips import make_clip
from support.factory import Plant


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_clip(tmp_path_factory.mktemp("clip") / "c.mp4", 1.0).read_bytes()


def _form(data: bytes, **fields: str) -> dict[str, object]:
    return {"file": (io.BytesIO(data), "clip.mp4"), "title": "安全", "workshops": "W1",
            "required": "1", **fields}


def test_the_limit_comes_from_the_environment() -> None:
    assert _megabytes(None, 2048) == 2048 * 1024 * 1024
    assert _megabytes("5", 2048) == 5 * 1024 * 1024
    for bad in ("five", "0", "-3"):
        with pytest.raises(ValueError, match="SHOPFLOOR_VIDEO_MAX_MB"):
            _megabytes(bad, 2048)


def test_an_upload_over_the_limit_is_refused_and_one_under_it_kept(
        app: Flask, session: Session, plant: Plant, clip: bytes, tmp_path: Path,
        login_as: Callable[[str | None], FlaskClient]) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    config: Config = app.config["SHOPFLOOR"]
    # The limit allows the form's other fields on top of the file: make it 1 KB too small.
    too_small = len(clip) - 1024 - FORM_OVERHEAD
    app.config["SHOPFLOOR"] = replace(config, video_max_bytes=too_small)
    client = login_as("admin")
    refused = client.post("/admin/videos/upload", data=_form(clip),
                          content_type="multipart/form-data")
    assert refused.status_code == 413
    assert "超过了" in refused.get_data(as_text=True), "a clear message, in Chinese by default"
    assert session.scalars(select(TrainingVideo)).all() == []

    app.config["SHOPFLOOR"] = replace(config, video_max_bytes=len(clip))
    kept = client.post("/admin/videos/upload", data=_form(clip),
                       content_type="multipart/form-data")
    assert kept.status_code == 302
    video = session.scalars(select(TrainingVideo)).one()
    assert [w.code for w in video.workshops] == ["W1"] and video.required
    leftovers = sorted(p.name for p in (config.data_dir / "videos").iterdir())
    assert leftovers == [f"{video.sha256}.jpg", f"{video.sha256}.mp4"]

    edited = client.post(f"/admin/videos/{video.id}", data={
        "title": "安全操作", "title_en": "Safety", "roles": "supervisor",
        "required_by": "2026-13-40"})
    assert edited.status_code == 302
    session.expire_all()
    assert session.get(TrainingVideo, video.id).title == "安全", "a bad date changes nothing"
    client.post(f"/admin/videos/{video.id}", data={
        "title": "安全操作", "title_en": "Safety", "roles": "supervisor"})
    session.expire_all()
    video = session.get(TrainingVideo, video.id)
    assert (video.title, video.roles, video.required, video.workshops) == (
        "安全操作", ["supervisor"], False, [])
    update = session.scalars(select(AuditEntry).where(AuditEntry.action == "video.update")
                             ).one()
    assert update.before["title"] == "安全" and update.after["roles"] == ["supervisor"]


def test_the_upload_needs_the_csrf_token(app: Flask, plant: Plant, clip: bytes,
                                         login_as: Callable[[str | None], FlaskClient]
                                         ) -> None:
    response = login_as("admin").post("/admin/videos/upload", data=_form(clip),
                                      content_type="multipart/form-data")
    assert response.status_code == 400
