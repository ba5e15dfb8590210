"""What a video file holds, found by PyAV (FFmpeg) in a child process: container, codecs,
duration and size, and a thumbnail from a frame a little way in.

An upload may be built to hurt FFmpeg, so the server never opens one itself. The
container is chosen from the file's first bytes (MP4's `ftyp` box, WebM's EBML header),
never guessed by FFmpeg; `probe_worker.py` then opens it with that demuxer and the `file`
protocol only, in a process of its own with an address-space and CPU-time limit and a
wall-clock timeout. A file counts as playable when it opens so, has a video stream in a
codec the kiosks decode, and its first frames decode. Anything else, a crash or a timeout
included, is an `Unplayable` with a message HR can act on (`Refused`: the admin
translates it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.services.refusals import N_, Refused

WORKER = Path(__file__).with_name("probe_worker.py")
# The stored file's extension -> the FFmpeg demuxer that opens it.
DEMUXERS = {"mp4": "mp4", "webm": "matroska"}
MB = 1024 * 1024


@dataclass(frozen=True)
class WorkerLimits:
    """What the child process may use: a probe decodes a few frames and one thumbnail."""

    memory_bytes: int = 512 * MB  # address space (Python with PyAV starts at ~130 MB)
    cpu_s: int = 30
    timeout_s: float = 60.0


LIMITS = WorkerLimits()

# The worker's reasons, in words for HR.
REASONS = {
    "no_video": N_("the file has no picture (no video stream)"),
    "video_codec": N_("the picture is in %(codec)s; use H.264, VP8, VP9 or AV1"),
    "audio_codec": N_("the sound is in %(codec)s; use AAC, Opus or Vorbis"),
    "picture_size": N_("the picture is %(width)s×%(height)s pixels; at most 4096×4096"),
    "no_duration": N_("the file does not say how long it is"),
    "no_frames": N_("no picture in the file could be decoded"),
    "unreadable": N_("the file cannot be read as a video (%(detail)s)"),
}


class Unplayable(Refused):
    """The file is not a video the kiosks can play; the message says why."""


@dataclass(frozen=True)
class Probe:
    container: str  # mp4 | webm: also the stored file's extension
    video_codec: str
    audio_codec: str | None
    duration_s: float
    width: int
    height: int


def container_of(path: Path) -> str:
    """mp4 or webm, from the file's first bytes; `Unplayable` for anything else."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    raise Unplayable(N_("the file is neither MP4 nor WebM (it does not begin as one does)"))


def probe(path: Path, thumbnail_to: Path | None = None, *,
          limits: WorkerLimits | None = None) -> Probe:
    """The facts about the file at `path`, or `Unplayable`; with `thumbnail_to`, a JPEG of
    a frame a little way in is written there (and removed again when the file is
    refused). `limits` default to LIMITS."""
    limits = limits or LIMITS
    kind = container_of(path)
    argv = [sys.executable, "-I", str(WORKER), str(path), DEMUXERS[kind],
            str(limits.memory_bytes), str(limits.cpu_s)]
    if thumbnail_to is not None:
        argv.append(str(thumbnail_to))
    try:
        answer = _run(argv, limits)
        if not answer["ok"]:
            reason = str(answer.get("reason"))
            params = {k: str(v) for k, v in dict(answer.get("params") or {}).items()}
            if reason not in REASONS:
                raise _failed()
            raise Unplayable(REASONS[reason], **params)
        facts = answer["probe"]
        return Probe(kind, str(facts["video_codec"]), facts["audio_codec"],
                     float(facts["duration_s"]), int(facts["width"]), int(facts["height"]))
    except BaseException:
        if thumbnail_to is not None:
            thumbnail_to.unlink(missing_ok=True)
        raise


def _failed() -> Unplayable:
    return Unplayable(N_("not a video this server can play: reading it failed or needed "
                         "more memory or time than a video should"))


def _run(argv: list[str], limits: WorkerLimits) -> dict[str, Any]:
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=limits.timeout_s, check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child
        raise Unplayable(N_("not a video this server can play: reading it took longer "
                            "than %(seconds)s s"), seconds=f"{limits.timeout_s:g}") from None
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "ok" not in answer:
        raise _failed()
    return answer


def thumbnail(path: Path, target: Path, duration_s: float) -> None:
    """A JPEG, 480 pixels wide, of the frame a tenth of the way in (`duration_s` is the
    probe's, kept for callers that probed first: the child finds the duration itself)."""
    del duration_s
    probe(path, thumbnail_to=target)
