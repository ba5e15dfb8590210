"""Hostile "videos": the container comes from the file's first bytes, never from FFmpeg's
guess; FFmpeg reads them in a child process, with the file protocol only, under memory
and time limits. A crash, an overrun or a timeout is "not a video this server can play",
and nothing is left behind."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Config
from server.models import TrainingVideo
from server.services.training.probe import (
    LIMITS,
    Unplayable,
    WorkerLimits,
    container_of,
    probe,
)
from server.services.training.videos import Assignment, add_video, video_dir

MB = 1024 * 1024
NOT_A_VIDEO = {
    "text.mp4": b"hello, I am a text file named like a video\n",
    "playlist.mp4": b"#EXTM3U\n#EXTINF:1,\nhttp://169.254.169.254/latest/meta-data\n",
    "concat.webm": b"ffconcat version 1.0\nfile '/etc/passwd'\n",
    "picture.mp4": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
    "clip.avi": b"RIFF\x00\x10\x00\x00AVI LIST" + b"\0" * 64,
    "empty.mp4": b"",
}


@pytest.mark.parametrize("name", sorted(NOT_A_VIDEO))
def test_a_file_that_does_not_begin_as_mp4_or_webm_is_refused_unopened(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(NOT_A_VIDEO[name])
    with pytest.raises(Unplayable, match=r"^the file is neither MP4 nor WebM"):
        probe(path, tmp_path / "thumb.jpg")
    assert not (tmp_path / "thumb.jpg").exists()


def test_the_container_is_told_from_the_first_bytes(clip: Path, tmp_path: Path) -> None:
    assert container_of(clip) == "mp4"
    renamed = tmp_path / "clip.webm"
    renamed.write_bytes(clip.read_bytes())
    assert container_of(renamed) == "mp4"  # the name says WebM, the bytes say MP4


def test_a_file_with_the_right_magic_and_garbage_after_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + bytes(range(256)) * 40)
    with pytest.raises(Unplayable, match=r"^the file cannot be read as a video"):
        probe(garbage, tmp_path / "thumb.jpg")
    assert not (tmp_path / "thumb.jpg").exists()


def test_ffmpeg_never_runs_in_the_server_process(clip: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("av.open ran in the server's own process")

    monkeypatch.setattr(av, "open", refuse)
    facts = probe(clip, tmp_path / "thumb.jpg")
    assert (facts.container, facts.video_codec, facts.width) == ("mp4", "h264", 320)
    assert (tmp_path / "thumb.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_a_probe_that_hangs_is_killed_at_its_timeout(clip: Path, tmp_path: Path) -> None:
    # No FFmpeg hangs on cue, so the limit is lowered below what any probe takes.
    with pytest.raises(Unplayable, match=r"^not a video this server can play: reading it "
                                         r"took longer than 0.05 s$"):
        probe(clip, tmp_path / "thumb.jpg", limits=WorkerLimits(timeout_s=0.05))
    assert not (tmp_path / "thumb.jpg").exists()


def test_a_probe_that_runs_out_of_memory_dies_alone(clip: Path, tmp_path: Path) -> None:
    # The child cannot even load FFmpeg in 48 MB: it dies, the server carries on.
    with pytest.raises(Unplayable, match=r"^not a video this server can play: reading it "
                                         r"failed or needed more memory"):
        probe(clip, tmp_path / "thumb.jpg", limits=WorkerLimits(memory_bytes=48 * MB))
    assert not (tmp_path / "thumb.jpg").exists()
    assert probe(clip).width == 320  # and the next upload is probed as ever


def test_a_video_whose_frames_would_decode_huge_is_refused_undecoded(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with av.open(str(big), "w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=1)
        stream.width = stream.height = 4112  # a flat frame: small on disk
        stream.pix_fmt = "yuv420p"
        frame = av.VideoFrame(4112, 4112, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts, frame.time_base = 0, Fraction(1, 1)
        output.mux(stream.encode(frame))
        output.mux(stream.encode())
    assert big.stat().st_size < MB
    with pytest.raises(Unplayable, match=r"^the picture is 4112×4112 pixels; at most"):
        probe(big)


def test_the_limits_leave_room_for_a_real_video() -> None:
    assert LIMITS.memory_bytes >= 512 * MB and LIMITS.timeout_s >= 30


def test_a_hostile_upload_leaves_nothing_behind(app: Flask, session: Session,
                                                migrated: Config, clip: Path) -> None:
    folder = video_dir(migrated.data_dir)
    uploads = [folder / ".incoming-text", folder / ".incoming-garbage",
               folder / ".incoming-slow"]
    uploads[0].write_bytes(NOT_A_VIDEO["text.mp4"])
    uploads[1].write_bytes(b"\0\0\0\x18ftypmp42" + b"\x13" * 4000)
    uploads[2].write_bytes(clip.read_bytes())
    for upload in uploads[:2]:
        with pytest.raises(Unplayable):
            add_video(session, migrated.data_dir, upload, Assignment(title="坏"), "test")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("server.services.training.probe.LIMITS", WorkerLimits(timeout_s=0.05))
        with pytest.raises(Unplayable, match="took longer"):
            add_video(session, migrated.data_dir, uploads[2], Assignment(title="慢"), "test")
    session.rollback()
    assert list(folder.iterdir()) == []
    assert session.scalars(select(TrainingVideo)).all() == []
