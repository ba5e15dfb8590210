"""Video playback: PyAV (FFmpeg) decodes, pygame shows the picture, pygame.mixer plays the
sound.

Everything runs on the UI thread, a frame at a time in ``update()``: decoding 720p takes a
few milliseconds a frame on the kiosks (see tests/bench/bench_video.py), and one thread
means nothing to hand over or stop. The clock is the player's own (``clock``, injectable
so tests can run it fast): the picture shown is the last frame due at ``position``, and
sound is queued on a mixer channel in short chunks stamped with their time. As each chunk
begins, its offset from the picture sets the picture clock's pace (at most 5 % off, so no
frame is skipped for it): the sound card's clock leads. A chunk whose time has already
passed (after a stall or a jump) is dropped rather than played late. Frames that fall due
while an earlier one is still waiting to be shown are counted in ``dropped``. Without an
audio device the video plays silently, and says so in the log.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pygame

from kiosk.errors import HardwareError
from kiosk.hardware.speech import MIXER_FORMAT
from kiosk.logs import log_event

logger = logging.getLogger(__name__)

AUDIO_CHUNK_S = 0.1
AUDIO_AHEAD_S = 0.3  # sound decoded ahead of the clock, so the channel never runs dry
DUE_SLACK_S = 0.002  # a frame this close to due is due: clock readings are not exact
# The sound card's clock is not the system's: the picture's clock is slewed (at most
# MAX_SLEW faster or slower) toward the sound, never jumped, so no frame is skipped for it.
# Offsets beyond SLEW_WITHIN are stalls or jumps, which dropping stale sound handles.
MAX_SLEW = 0.05
SLEW_GAIN = 2.0  # slew per second of offset: 25 ms off, 5 % faster or slower
SLEW_WITHIN = 0.3


class PlaybackError(HardwareError):
    """The file cannot be played (it was checked when downloaded, so this is rare)."""


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled to fit ``box``, keeping its shape; even numbers for the scaler."""
    scale = min(box[0] / size[0], box[1] / size[1])
    return max(2, int(size[0] * scale) // 2 * 2), max(2, int(size[1] * scale) // 2 * 2)


def open_audio() -> pygame.mixer.Channel | None:
    """A mixer channel of our own, or None when there is no audio device."""
    try:
        if not pygame.mixer.get_init():
            pygame.mixer.init(*MIXER_FORMAT)
        return pygame.mixer.Channel(pygame.mixer.get_num_channels() - 1)
    except pygame.error as exc:
        log_event(logger, "audio_unavailable", logging.WARNING,
                  reason=str(exc).splitlines()[0])
        return None


class VideoPlayer:
    def __init__(self, path: Path, box: tuple[int, int], *, start_at: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, sound: bool = True) -> None:
        try:
            self._container = av.open(str(path))
        except av.FFmpegError as exc:
            raise PlaybackError(f"{path.name}: {exc}") from exc
        self._video = self._container.streams.video[0]
        self._video.thread_type = "AUTO"  # FFmpeg's own frame threads
        streams = self._container.streams.audio
        self._channel = open_audio() if sound and streams else None
        self._audio = streams[0] if self._channel is not None else None
        self._resampler: av.AudioResampler | None = None
        if self._audio is not None:
            mixer = pygame.mixer.get_init()
            if mixer is None:  # open_audio() gave a channel, so the mixer is open
                raise PlaybackError("the sound mixer closed while the video opened")
            rate, size, channels = mixer
            self._resampler = av.AudioResampler(
                format="s16", layout="stereo" if channels == 2 else "mono", rate=rate)
            self._bytes_per_s = rate * channels * abs(size) // 8
        self.duration = (self._container.duration or 0) / 1_000_000
        if self.duration <= 0 and self._video.duration and self._video.time_base:
            self.duration = float(self._video.duration * self._video.time_base)
        self.size = fit((self._video.codec_context.width, self._video.codec_context.height),
                        box)
        self._clock = clock
        self.playing = False
        self.ended = False
        self.dropped = 0
        self.shown = 0
        # Seconds the sound was behind the picture as each chunk began (ahead: negative),
        # seen to within a frame; for benchmarks and tests.
        self.sound_offsets: deque[float] = deque(maxlen=10_000)
        self._queued: float | None = None  # the time of the chunk waiting in the channel
        self.frame: pygame.Surface | None = None
        self._origin = 0.0  # clock reading at which `_base` was the position
        self._base = 0.0
        self._rate = 1.0  # the picture's clock against the system clock (see MAX_SLEW)
        self._seek_to(max(0.0, min(start_at, self.duration)))

    # the clock ------------------------------------------------------------------------
    @property
    def position(self) -> float:
        if not self.playing:
            return self._base
        return min(self.duration,
                   self._base + (self._clock() - self._origin) * self._rate)

    def play(self) -> None:
        if not self.playing and not self.ended:
            self._origin, self.playing = self._clock(), True
            if self._channel is not None:
                self._channel.unpause()

    def pause(self) -> None:
        if self.playing:
            self._base, self.playing = self.position, False
            if self._channel is not None:
                self._channel.pause()

    def seek(self, seconds: float) -> None:
        playing = self.playing
        self.pause()
        self._seek_to(max(0.0, min(seconds, self.duration)))
        self.ended = False
        if playing:
            self.play()

    def _seek_to(self, seconds: float) -> None:
        if seconds > 0 and self._video.time_base:
            # Lands on the keyframe before; frames before `seconds` are skipped in update.
            self._container.seek(int(seconds / self._video.time_base), stream=self._video)
        self._base = seconds
        self._frames: deque[av.VideoFrame] = deque()
        self._sound: deque[tuple[float, bytes]] = deque()
        self._pending = b""
        self._pending_at = seconds
        self._packets: Iterator[av.Packet] = self._container.demux(
            *(s for s in (self._video, self._audio) if s is not None))
        self._exhausted = False
        self._queued = None
        self._rate = 1.0  # the sound starts afresh with the picture
        if self._channel is not None:
            self._channel.stop()
        self._show_due(seconds, count_drops=False)

    # decoding -------------------------------------------------------------------------
    def _decode_more(self) -> bool:
        """Decode the next packet; False at the end of the file."""
        if self._exhausted:
            return False
        try:
            packet = next(self._packets)
            frames = packet.decode()
        except StopIteration:
            self._exhausted = True
            return False
        except av.FFmpegError as exc:  # a damaged packet: skip it, keep playing
            log_event(logger, "video_decode_error", logging.WARNING, reason=str(exc))
            return True
        for frame in frames:
            if isinstance(frame, av.VideoFrame):
                self._frames.append(frame)
            elif self._resampler is not None:
                self._add_sound(frame)
        return True

    def _add_sound(self, frame: av.AudioFrame) -> None:
        assert self._resampler is not None
        if not self._pending and frame.time is not None:
            self._pending_at = float(frame.time)
        for out in self._resampler.resample(frame):
            self._pending += bytes(out.planes[0])[: out.samples * self._bytes_per_s
                                                   // out.sample_rate]
            if len(self._pending) >= AUDIO_CHUNK_S * self._bytes_per_s:
                self._sound.append((self._pending_at, self._pending))
                self._pending = b""

    @property
    def next_sound_at(self) -> float | None:
        """Where in the video the next chunk of sound waiting to be queued starts."""
        return self._sound[0][0] if self._sound else None

    def _sound_until(self) -> float:
        if not self._sound:
            return self._pending_at
        at, chunk = self._sound[-1]
        return at + len(chunk) / self._bytes_per_s

    # each frame -----------------------------------------------------------------------
    def update(self) -> bool:
        """Advance to the clock; True when a new picture is ready in ``frame``."""
        if not self.playing:
            return False
        now = self.position
        fresh = self._show_due(now, count_drops=True)
        if self._channel is not None:
            self._feed_sound(now)
        if self._exhausted and not self._frames and now >= self.duration - 0.05:
            self._base, self.playing, self.ended = self.duration, False, True
        return fresh

    def _show_due(self, now: float, *, count_drops: bool) -> bool:
        """Make the last frame due at `now` the picture; skipped ones count as dropped."""
        while self._need_more(now) and self._decode_more():
            pass
        due = None
        while self._frames and self._frame_time(self._frames[0]) <= now + DUE_SLACK_S:
            if due is not None and count_drops:
                self.dropped += 1
            due = self._frames.popleft()
        if due is None:
            return False
        rgb = due.reformat(width=self.size[0], height=self.size[1], format="rgb24")
        plane = rgb.planes[0]
        self.frame = pygame.image.frombuffer(bytes(plane), self.size, "RGB", plane.line_size)
        self.shown += 1
        return True

    def _need_more(self, now: float) -> bool:
        """More decoding is needed until a frame after `now` waits and the sound is
        decoded a little ahead."""
        if self._exhausted:
            return False
        if not self._frames or self._frame_time(self._frames[-1]) <= now:
            return True
        return self._audio is not None and self._sound_until() < now + AUDIO_AHEAD_S

    def _frame_time(self, frame: av.VideoFrame) -> float:
        return float(frame.time) if frame.time is not None else 0.0

    def _feed_sound(self, now: float) -> None:
        assert self._channel is not None
        # Chunks already in the past are dropped: late sound is worse than a gap.
        while self._sound and self._sound[0][0] + AUDIO_CHUNK_S < now:
            self._sound.popleft()
        if self._queued is not None and self._channel.get_queue() is None:
            self._follow_sound(now - self._queued)  # it has just begun
            self._queued = None
        if self._sound and self._channel.get_queue() is None:
            at, chunk = self._sound.popleft()
            sound = pygame.mixer.Sound(buffer=chunk)
            if self._channel.get_busy():
                self._channel.queue(sound)
                self._queued = at
            else:
                self._channel.play(sound)
                self._follow_sound(now - at)

    def _follow_sound(self, offset: float) -> None:
        """The sound began `offset` seconds behind the picture (ahead: negative): set the
        picture's pace so the two meet again."""
        self.sound_offsets.append(offset)
        rate = 1.0
        if abs(offset) < SLEW_WITHIN:
            rate = 1.0 - max(-MAX_SLEW, min(MAX_SLEW, offset * SLEW_GAIN))
        if rate != self._rate:
            now = self._clock()
            self._base = self._base + (now - self._origin) * self._rate
            self._origin, self._rate = now, rate

    def close(self) -> None:
        if self._channel is not None:
            self._channel.stop()
        self._container.close()
