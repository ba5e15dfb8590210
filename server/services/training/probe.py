"""What a video file holds, found by PyAV (FFmpeg): container, codecs, duration and size,
and a thumbnail from a frame a little way in.

A file counts as playable when FFmpeg opens it as MP4 or WebM, it has a video stream in a
codec the kiosks decode, and its first frames decode. Anything else is an `Unplayable`
with a message HR can act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image

from server.services import InvalidInput

VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"})
AUDIO_CODECS = frozenset({"aac", "mp3", "opus", "vorbis"})
THUMBNAIL_WIDTH = 480
THUMBNAIL_AT = 0.1  # a share of the duration: past a black first frame or a title card
DECODE_CHECK_FRAMES = 3


class Unplayable(InvalidInput):
    """The file is not a video the kiosks can play; the message says why."""


@dataclass(frozen=True)
class Probe:
    container: str  # mp4 | webm: also the stored file's extension
    video_codec: str
    audio_codec: str | None
    duration_s: float
    width: int
    height: int


def _container(names: str) -> str:
    formats = set(names.split(","))
    if "mp4" in formats:
        return "mp4"
    if "webm" in formats:
        return "webm"
    raise Unplayable(f"the file is {names}, not MP4 or WebM")


def probe(path: Path) -> Probe:
    """The facts about the file at `path`, or `Unplayable`."""
    try:
        with av.open(str(path)) as container:
            kind = _container(container.format.name)
            if not container.streams.video:
                raise Unplayable("the file has no picture (no video stream)")
            video = container.streams.video[0]
            codec = video.codec_context.name
            if codec not in VIDEO_CODECS:
                raise Unplayable(f"the picture is in {codec}; use H.264, VP8, VP9 or AV1")
            audio = container.streams.audio[0] if container.streams.audio else None
            audio_codec = audio.codec_context.name if audio is not None else None
            if audio_codec is not None and audio_codec not in AUDIO_CODECS:
                raise Unplayable(f"the sound is in {audio_codec}; use AAC, Opus or Vorbis")
            duration = _duration(container, video)
            decoded = 0
            for _frame in container.decode(video):
                decoded += 1
                if decoded >= DECODE_CHECK_FRAMES:
                    break
            if decoded == 0:
                raise Unplayable("no picture in the file could be decoded")
            return Probe(kind, codec, audio_codec, duration, video.codec_context.width,
                         video.codec_context.height)
    except av.FFmpegError as error:
        raise Unplayable(f"the file cannot be read as a video ({error.strerror or error})"
                         ) from None


def _duration(container: av.container.InputContainer, video: av.VideoStream) -> float:
    if container.duration:
        seconds = container.duration / 1_000_000
    elif video.duration and video.time_base:
        seconds = float(video.duration * video.time_base)
    else:
        seconds = 0.0
    if seconds <= 0:
        raise Unplayable("the file does not say how long it is")
    return round(seconds, 3)


def thumbnail(path: Path, target: Path, duration_s: float) -> None:
    """A JPEG of the frame at `THUMBNAIL_AT` of the way in, `THUMBNAIL_WIDTH` wide."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        at = duration_s * THUMBNAIL_AT
        if video.time_base:
            # Seeking lands on the keyframe before `at`; decode forward from there.
            container.seek(int(at / video.time_base), stream=video)
        picture: Image.Image | None = None
        for frame in container.decode(video):
            picture = frame.to_image()
            if frame.time is None or frame.time >= at:
                break
    if picture is None:
        raise Unplayable("no picture in the file could be decoded")
    picture.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH))
    picture.convert("RGB").save(target, "JPEG", quality=85)
