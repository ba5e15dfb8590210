"""Short clips made with PyAV (H.264 + AAC in MP4, VP8 + Opus in WebM), so the video tests
need no files of their own.

The picture is a bar that moves one step a frame over a colour that changes each second,
so a frame shows where in the clip it is; the sound is a 440 Hz tone.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av

# container -> (video codec, audio codec, audio rate)
CODECS = {"mp4": ("libx264", "aac", 44_100), "webm": ("libvpx", "libopus", 48_000)}


def make_clip(path: Path, seconds: float = 3.0, size: tuple[int, int] = (320, 180),
              fps: int = 30, audio: bool = True, bitrate: int = 800_000,
              container: str = "mp4") -> Path:
    """H.264 + AAC in MP4, or VP8 + Opus in WebM."""
    width, height = size
    frames = round(seconds * fps)
    video_codec, audio_codec, rate = CODECS[container]
    with av.open(str(path), "w", format=container) as output:
        video = output.add_stream(video_codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.bit_rate = bitrate
        video.options = ({"preset": "ultrafast", "g": str(fps)} if container == "mp4"
                         else {"g": str(fps), "deadline": "realtime"})
        sound = output.add_stream(audio_codec, rate=rate) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        # Opus takes fixed-size frames: a FIFO cuts the tone to whatever the encoder wants.
        fifo = av.AudioFifo()
        samples_done = 0
        for index in range(frames):
            frame = av.VideoFrame.from_image(_picture(index, fps, width, height))
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            output.mux(video.encode(frame))
            if sound is not None:
                wanted = round((index + 1) * rate / fps)
                fifo.write(_tone(samples_done, wanted - samples_done, rate))
                samples_done = wanted
                size_wanted = sound.codec_context.frame_size or 1024
                while (chunk := fifo.read(size_wanted)) is not None:
                    output.mux(sound.encode(chunk))
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


def _tone(start: int, count: int, rate: int) -> av.AudioFrame:
    values = [round(8000 * math.sin(2 * math.pi * 440 * (start + i) / rate))
              for i in range(count)]
    pcm = b"".join(v.to_bytes(2, "little", signed=True) * 2 for v in values)
    frame = av.AudioFrame(format="s16", layout="stereo", samples=count)
    frame.planes[0].update(pcm)
    frame.sample_rate = rate
    frame.pts = start
    frame.time_base = Fraction(1, rate)
    return frame


def corrupt_copy(source: Path, target: Path) -> Path:
    """The clip with its middle overwritten: an MP4 whose boxes no longer parse."""
    data = bytearray(source.read_bytes())
    data[: len(data) // 2] = b"\x00" * (len(data) // 2)
    target.write_bytes(bytes(data))
    return target
