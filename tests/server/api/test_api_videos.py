"""Training videos over the CLI and the API, on both engines: the CLI adds one (probed,
thumbnail), kiosks list and download them (Range, ETag), the quiz pictures are served, and
a kiosk's training_progress events complete the video and turn the training dimension met
on the scorecard. The service's own refusals are in tests/server/training/."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from server.cli import main
from server.config import Config
from server.models import AuditEntry, TrainingProgress
from server.services import Conflict
from server.services.scores.schemes import import_scheme
from server.services.training.quiz import add_question
from support.factory import Factory, PostEvents, bearer, make_event
from support.factory import add_training_video as _add

TRAINING_SCHEME = """
name: with training
workshops: [W1, W2]
period: week
mode: threshold
effective_from: 2026-01-01
dimensions:
  - {key: training, target: 1.0, points: 10}
"""


def _picture(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, "PNG")
    return buffer.getvalue()


def _get(client: FlaskClient, url: str, headers: dict[str, str]) -> TestResponse:
    """GET and close: a file answer holds its file open until closed."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def test_the_cli_adds_a_video(migrated: Config, clip: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str], session: Session,
                              factory: Factory) -> None:
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(migrated.data_dir))
    monkeypatch.setenv("SHOPFLOOR_DATABASE_URL", migrated.database_url)
    assert main(["video", "add", str(clip), "--title", "安全操作", "--workshop", "W1",
                 "--required-by", "2026-12-31", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["width"], row["height"], row["video_codec"], row["audio_codec"]) == (
        320, 180, "h264", "aac")
    assert row["duration_s"] == pytest.approx(2.0, abs=0.1)
    assert row["workshops"] == ["W1"] and row["required_by"] == "2026-12-31"
    stored = sorted(p.name for p in (migrated.data_dir / "videos").iterdir())
    assert stored == [f"{row['sha256']}.jpg", f"{row['sha256']}.mp4"]
    assert clip.exists(), "the CLI copies; the original stays"
    assert main(["video", "add", str(clip), "--title", "again"]) == 1
    assert "already" in capsys.readouterr().err


def test_kiosks_list_and_download_their_videos(
        app: Flask, client: FlaskClient, session: Session, migrated: Config, clip: Path,
        factory: Factory) -> None:
    video = _add(session, migrated, clip, workshops=["W1"])
    add_question(session, migrated.data_dir, video.id, _picture("red"),
                 [_picture("green"), _picture("blue")], 1, "test")
    session.commit()
    with pytest.raises(Conflict):
        _add(session, migrated, clip)
    session.rollback()

    k1, k2 = bearer(factory.kiosk_token), bearer(factory.other_kiosk_token)
    listing = client.get("/api/v1/videos", headers=k1).get_json()["videos"]
    assert [v["id"] for v in listing] == [video.id]
    item = listing[0]
    data = clip.read_bytes()
    assert (item["sha256"], item["size_bytes"]) == (video.sha256, len(data))
    assert client.get("/api/v1/videos", headers=k2).get_json()["videos"] == []
    assert _get(client, item["file_url"], k2).status_code == 404

    whole = _get(client, item["file_url"], k1)
    assert whole.status_code == 200 and whole.data == data
    assert whole.headers["ETag"] == f'"{video.sha256}"'
    half = len(data) // 2
    part = _get(client, item["file_url"], k1 | {"Range": f"bytes={half}-",
                                              "If-Range": whole.headers["ETag"]})
    assert part.status_code == 206 and part.data == data[half:]
    assert part.headers["Content-Range"] == f"bytes {half}-{len(data) - 1}/{len(data)}"
    stale = _get(client, item["file_url"], k1 | {"Range": f"bytes={half}-",
                                               "If-Range": '"other"'})
    assert stale.status_code == 200, "a changed file is sent whole, never spliced"
    unchanged = _get(client, item["file_url"], k1 | {"If-None-Match": whole.headers["ETag"]})
    assert unchanged.status_code == 304

    thumb = _get(client, item["thumbnail_url"], k1)
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.data)).width == 320
    question = item["quiz"][0]
    assert question["correct"] == 1 and len(question["answer_urls"]) == 2
    for url in (question["question_url"], *question["answer_urls"]):
        assert _get(client, url, k1).status_code == 200
    assert _get(client, f"/api/v1/videos/{video.id}/quiz/2/question", k1).status_code == 404


def test_progress_events_complete_the_video_and_meet_the_training_target(
        app: Flask, client: FlaskClient, session: Session, migrated: Config, clip: Path,
        factory: Factory, post_events: PostEvents) -> None:
    import_scheme(session, TRAINING_SCHEME, "test")
    video = _add(session, migrated, clip, workshops=["W1"])
    k1 = bearer(factory.kiosk_token)

    def training() -> dict:
        card = client.get("/api/v1/workers/W001/scorecard?period=week", headers=k1).get_json()
        return next(d for d in card["dimensions"] if d["key"] == "training")

    assert training()["met"] is False
    now = datetime.now(UTC).replace(microsecond=0)
    results = post_events(
        make_event("training_progress", payload={"video": video.id, "seconds_watched": 1.0},
                   occurred_at=now),
        make_event("training_progress", payload={"video": video.id, "seconds_watched": 1.9,
                                                 "quiz_correct": 1, "quiz_total": 1},
                   occurred_at=now))
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    progress = session.scalars(select(TrainingProgress)).one()
    assert progress.completed_at is not None and progress.quiz_correct == 1
    assert training()["met"] is True
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"video.add", "training.complete"} <= actions
