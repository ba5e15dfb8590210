"""The video player on its own, with the dummy SDL drivers and a clock the test moves: the
picture is the frame due at the clock, sound never lags behind it, pause holds both, and a
seek lands on the right frame."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.hardware.video import AUDIO_CHUNK_S, MAX_SLEW, VideoPlayer
from support.clips import make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("player") / "clip.mp4", 12.0, (320, 180))


@pytest.fixture
def now() -> list[float]:
    return [100.0]


@pytest.fixture
def player(clip: Path, display, now: list[float]):
    player = VideoPlayer(clip, (640, 400), clock=lambda: now[0])
    yield player
    player.close()
    pygame.mixer.quit()


def colour_second(player: VideoPlayer) -> int:
    """The clip's background is red 60 × second (mod 256): which second is shown."""
    assert player.frame is not None
    red = player.frame.get_at((4, 4)).r
    return min(range(12), key=lambda second: abs((60 * second) % 256 - red))


def test_the_picture_follows_the_clock_and_sound_never_lags(player, now) -> None:
    assert player.size == (640, 360) and player.duration == pytest.approx(12.0, abs=0.1)
    assert pygame.mixer.get_init(), "the dummy audio driver gives a mixer: sound is on"
    player.play()
    for _ in range(60):  # 6 s in steps of a tenth
        now[0] += 0.1
        player.update()
        upcoming = player.next_sound_at
        assert upcoming is None or upcoming >= player.position - AUDIO_CHUNK_S
    # The picture's clock leans toward the sound's (MAX_SLEW): the frame is the position's.
    assert colour_second(player) == int(player.position)
    assert player.position == pytest.approx(6.0, rel=MAX_SLEW)
    now[0] += 3.0  # a stall: three seconds at once
    player.update()
    assert colour_second(player) == int(player.position)
    assert player.next_sound_at is not None
    assert player.next_sound_at >= player.position - AUDIO_CHUNK_S, "stale sound dropped"
    assert player.dropped > 0, "the frames of the stall count as dropped"


def test_pause_holds_and_play_carries_on(player, now) -> None:
    player.play()
    now[0] += 2.0
    player.update()
    player.pause()
    held = player.position
    now[0] += 5.0
    player.update()
    assert player.position == held and not player.playing
    player.play()
    now[0] += 1.0
    player.update()
    assert player.position == pytest.approx(held + 1.0, rel=MAX_SLEW)


def test_a_seek_lands_on_the_frame_and_the_end_is_the_end(player, now) -> None:
    player.seek(7.5)
    assert colour_second(player) == 7 and player.position == pytest.approx(7.5)
    player.play()
    now[0] += 10.0
    player.update()
    assert player.ended and not player.playing and player.position == player.duration


def test_a_webm_plays_with_its_sound(tmp_path: Path, display, now: list[float]) -> None:
    webm = make_clip(tmp_path / "clip.webm", 3.0, container="webm")
    player = VideoPlayer(webm, (640, 400), clock=lambda: now[0])
    try:
        player.play()
        while not player.ended:
            now[0] += 1 / 30
            player.update()
            assert player.position <= player.duration
        # Every frame came due (the fake clock and the real sound card disagree, so the
        # picture's clock may lean and skip a few), and sound was played.
        assert player.shown + player.dropped >= 88 and player.sound_offsets
    finally:
        player.close()
        pygame.mixer.quit()


def test_in_real_time_the_sound_keeps_with_the_picture(clip: Path, display) -> None:
    """Four seconds on the real clock: SDL's dummy audio runs a few per cent fast (it
    sleeps whole milliseconds), as a real sound card's clock may differ a little; the
    picture's clock follows it, so the sound starts each chunk close to its picture."""
    player = VideoPlayer(clip, (640, 400))
    ticks = pygame.time.Clock()
    try:
        player.play()
        while player.position < 4.0:
            player.update()
            ticks.tick(60)
        settled = sorted(abs(o) for o in list(player.sound_offsets)[10:])
        assert len(settled) >= 20
        assert settled[len(settled) // 2] < 0.06, settled  # the median, seen to a frame
    finally:
        player.close()
        pygame.mixer.quit()
