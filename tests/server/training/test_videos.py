"""Adding a training video: an unplayable file is refused with nothing left behind, and a
WebM stays WebM."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Config
from server.models import TrainingVideo
from server.services.training.probe import Unplayable
from server.services.training.videos import Assignment, add_video, video_dir
from support.clips import corrupt_copy, make_clip
from support.factory import Factory
from support.factory import add_training_video as _add


def test_an_unplayable_file_is_refused_and_leaves_nothing(
        app: Flask, session: Session, migrated: Config, clip: Path, factory: Factory,
        tmp_path: Path) -> None:
    folder = video_dir(migrated.data_dir)
    for bad in (corrupt_copy(clip, folder / "bad.mp4"), folder / "text.mp4"):
        if not bad.exists():
            bad.write_text("not a video")
        with pytest.raises(Unplayable):
            add_video(session, migrated.data_dir, bad, Assignment(title="坏"), "test")
    session.rollback()
    assert list(folder.iterdir()) == []
    assert session.scalars(select(TrainingVideo)).all() == []


def test_a_webm_is_kept_as_webm(app: Flask, session: Session, migrated: Config,
                                tmp_path: Path, factory: Factory) -> None:
    webm = make_clip(tmp_path / "clip.webm", 2.0, container="webm")
    video = _add(session, migrated, webm)
    assert (video.container, video.video_codec, video.audio_codec) == ("webm", "vp8", "opus")
    assert (migrated.data_dir / video.file_path).name == f"{video.sha256}.webm"
