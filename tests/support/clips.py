"""Short H.264 + AAC clips made with PyAV, so the video tests need no files of their own.

The picture is a bar that moves one step a frame over a colour that changes each second,
so a frame shows where in the clip it is; the sound is a 440 Hz tone.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av

AUDIO_RATE = 44_100


def make_clip(path: Path, seconds: float = 3.0, size: tuple[int, int] = (320, 180),
              fps: int = 30, audio: bool = True, bitrate: int = 800_000) -> Path:
    width, height = size
    frames = round(seconds * fps)
    with av.open(str(path), "w", format="mp4") as output:
        video = output.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.bit_rate = bitrate
        video.options = {"preset": "ultrafast", "g": str(fps)}
        sound = output.add_stream("aac", rate=AUDIO_RATE) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        samples_done = 0
        for index in range(frames):
            frame = av.VideoFrame.from_image(_picture(index, fps, width, height))
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            output.mux(video.encode(frame))
            if sound is not None:
                wanted = round((index + 1) * AUDIO_RATE / fps)
                output.mux(sound.encode(_tone(samples_done, wanted - samples_done)))
                samples_done = wanted
        output.mux(video.encode())
        if sound is not None:
            output.mux(sound.encode())
    return path


def _picture(index: int, fps: int, width: int, height: int):  # -> PIL.Image
    from PIL import Image, ImageDraw

    second = index // fps
    image = Image.new("RGB", (width, height), ((60 * second) % 256, 90, 160))
    draw = ImageDraw.Draw(image)
    x = (index * 7) % max(width - 20, 1)
    draw.rectangle((x, height // 3, x + 20, 2 * height // 3), fill=(250, 250, 250))
    return image


def _tone(start: int, count: int) -> av.AudioFrame:
    values = [round(8000 * math.sin(2 * math.pi * 440 * (start + i) / AUDIO_RATE))
              for i in range(count)]
    pcm = b"".join(v.to_bytes(2, "little", signed=True) * 2 for v in values)
    frame = av.AudioFrame(format="s16", layout="stereo", samples=count)
    frame.planes[0].update(pcm)
    frame.sample_rate = AUDIO_RATE
    frame.pts = start
    frame.time_base = Fraction(1, AUDIO_RATE)
    return frame


def corrupt_copy(source: Path, target: Path) -> Path:
    """The clip with its middle overwritten: an MP4 whose boxes no longer parse."""
    data = bytearray(source.read_bytes())
    data[: len(data) // 2] = b"\x00" * (len(data) // 2)
    target.write_bytes(bytes(data))
    return target
