"""The child process that opens an uploaded video with PyAV (FFmpeg), under limits.

    python -I probe_worker.py FILE FORMAT MEMORY_BYTES CPU_SECONDS [THUMBNAIL]

Run by `probe.py` as a script (not `-m`, so nothing of the server is imported here: only
the standard library, PyAV and Pillow). It first limits itself (address space, CPU time,
no core file, file size), then opens FILE with the demuxer FORMAT that the parent chose
from the file's first bytes, the `file` protocol only, decodes a few frames and, given
THUMBNAIL, writes a JPEG of a frame a little way in there. It prints one line of JSON:
`{"ok": true, "probe": {...}}`, or `{"ok": false, "reason": KEY, "params": {...}}` for a
file it could read but will not take; the parent turns KEY into a message. A decoder that
crashes, overruns the memory or CPU time, or hangs ends this process, never the server.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any

VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"})
AUDIO_CODECS = frozenset({"aac", "mp3", "opus", "vorbis"})
MAX_PICTURE = 4096 * 4096  # pixels of one frame; a kiosk screen has 1920×1080
THUMBNAIL_WIDTH = 480
THUMBNAIL_AT = 0.1  # a share of the duration: past a black first frame or a title card
DECODE_CHECK_FRAMES = 3
MAX_THUMBNAIL_BYTES = 4 * 1024 * 1024


class Refusal(Exception):
    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def limit(memory: int, cpu: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_THUMBNAIL_BYTES, MAX_THUMBNAIL_BYTES))


def probe(path: str, fmt: str, thumbnail: str | None) -> dict[str, Any]:
    import av

    try:
        with av.open(path, format=fmt, container_options={"protocol_whitelist": "file"}
                     ) as container:
            if not container.streams.video:
                raise Refusal("no_video")
            video = container.streams.video[0]
            video.codec_context.thread_count = 1
            codec = video.codec_context.name
            if codec not in VIDEO_CODECS:
                raise Refusal("video_codec", codec=codec)
            width, height = video.codec_context.width, video.codec_context.height
            if width * height > MAX_PICTURE:
                raise Refusal("picture_size", width=width, height=height)
            audio = container.streams.audio[0] if container.streams.audio else None
            audio_codec = audio.codec_context.name if audio is not None else None
            if audio_codec is not None and audio_codec not in AUDIO_CODECS:
                raise Refusal("audio_codec", codec=audio_codec)
            duration = _duration(container, video)
            decoded = 0
            for _frame in container.decode(video):
                decoded += 1
                if decoded >= DECODE_CHECK_FRAMES:
                    break
            if decoded == 0:
                raise Refusal("no_frames")
            if thumbnail is not None:
                _thumbnail(container, video, duration, Path(thumbnail))
    except av.FFmpegError as error:
        raise Refusal("unreadable", detail=error.strerror or str(error)) from None
    return {"video_codec": codec, "audio_codec": audio_codec, "duration_s": duration,
            "width": width, "height": height}


def _duration(container: Any, video: Any) -> float:
    if container.duration:
        seconds = container.duration / 1_000_000
    elif video.duration and video.time_base:
        seconds = float(video.duration * video.time_base)
    else:
        seconds = 0.0
    if seconds <= 0:
        raise Refusal("no_duration")
    return round(seconds, 3)


def _thumbnail(container: Any, video: Any, duration_s: float, target: Path) -> None:
    """A JPEG of the frame at THUMBNAIL_AT of the way in, THUMBNAIL_WIDTH wide."""
    at = duration_s * THUMBNAIL_AT
    if video.time_base:
        # Seeking lands on the keyframe before `at`; decode forward from there.
        container.seek(int(at / video.time_base), stream=video)
    picture = None
    for frame in container.decode(video):
        picture = frame.to_image()
        if frame.time is None or frame.time >= at:
            break
    if picture is None:
        raise Refusal("no_frames")
    picture.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH))
    picture.convert("RGB").save(target, "JPEG", quality=85)


def main(argv: list[str]) -> int:
    path, fmt, memory, cpu = argv[0], argv[1], int(argv[2]), int(argv[3])
    thumbnail = argv[4] if len(argv) > 4 else None
    limit(memory, cpu)
    try:
        answer: dict[str, Any] = {"ok": True, "probe": probe(path, fmt, thumbnail)}
    except Refusal as refusal:
        answer = {"ok": False, "reason": refusal.reason, "params": refusal.params}
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
