"""720p30 training video playback in a real X window (Xvfb), sound through pygame.mixer
on SDL's dummy audio driver: the CPU share of one core (every thread of the kiosk's
process, FFmpeg's decoding threads included), the frames dropped, and how far the sound
was from the picture. Target: no drops at 30 fps. Prints the figures; asserts nothing
about time (a shared machine varies).

    .venv/bin/python -m pytest tests/bench/bench_video.py -o python_files='bench_*.py' -s
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.clips import make_clip
from support.xvfb import xvfb_display

SECONDS = 20.0

PLAY = r"""
import json, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[1]]
import pygame
from kiosk_fakes import FakeSpeaker, FakeSync
from kiosk.app import App
from kiosk.config import KioskConfig
from kiosk.model import Worker
from kiosk.scenes.base import Context
from kiosk.scenes.player import PlayerScene
from kiosk.store import Store
from kiosk.ui.window import open_window
from kiosk.videos import VideoInfo, VideoLibrary

clip, data = Path(sys.argv[2]), Path(sys.argv[3])
store = Store(data / "kiosk.sqlite3")
library = VideoLibrary(store, clip.parent)
video = VideoInfo.from_json({"id": 1, "title": "bench", "sha256": "0" * 64,
                             "duration_s": float(sys.argv[4]), "file_url": "/x",
                             "required": True})
ctx = Context(store=store, speaker=FakeSpeaker(), sync=FakeSync(), videos=library)
app = App(KioskConfig(data_dir=data), ctx, open_window(False), enrolled=True)
scene = PlayerScene(ctx, Worker("W001", "张三"), video, clip, library)
app.scenes.push(scene)
player = scene.player
audio = player._channel is not None
clock = pygame.time.Clock()
app.frame_times.clear()
wall, cpu = time.perf_counter(), time.process_time()
while app.scenes.top is scene:
    app.step()
    clock.tick(scene.fps)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
frames = sorted(t * 1000 for t in app.frame_times)
offsets = sorted(abs(o) * 1000 for o in player.sound_offsets) if player else [0.0]
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "shown": player.shown if player else 0,
                  "dropped": player.dropped if player else -1, "audio": audio,
                  "draw_ms_median": frames[len(frames) // 2],
                  "draw_ms_p95": frames[int(len(frames) * 0.95)],
                  "av_ms_median": offsets[len(offsets) // 2],
                  "av_ms_p95": offsets[int(len(offsets) * 0.95)], "chunks": len(offsets)}))
"""


@pytest.mark.skipif(not shutil.which("Xvfb"), reason="needs xvfb")
def test_720p30_playback_under_xvfb(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "720p.mp4", SECONDS, (1280, 720), fps=30,
                     bitrate=3_000_000)
    tests = Path(__file__).resolve().parents[1]
    with xvfb_display("1280x800") as display:
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11",
               "SDL_AUDIODRIVER": "dummy"}
        result = subprocess.run(
            [sys.executable, "-c", PLAY, str(tests / "kiosk"), str(clip), str(tmp_path),
             str(SECONDS)], env=env, capture_output=True, text=True, check=True,
            timeout=SECONDS * 6)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    expected = round(SECONDS * 30)
    print(f"\n720p30 H.264 3 Mbit/s + AAC, {SECONDS:.0f} s, Xvfb 1280x800, "
          f"sound {'on (dummy driver)' if figures['audio'] else 'off'}")
    print(f"  CPU: {100 * figures['cpu_s'] / figures['wall_s']:.0f} % of one core "
          f"({figures['cpu_s']:.1f} s CPU over {figures['wall_s']:.1f} s)")
    print(f"  frames shown {figures['shown']} of {expected}, dropped {figures['dropped']} "
          "(target: 0)")
    print(f"  draw+present per frame: median {figures['draw_ms_median']:.1f} ms, "
          f"p95 {figures['draw_ms_p95']:.1f} ms")
    print(f"  sound vs picture as each of {figures['chunks']} sound chunks began: median "
          f"{figures['av_ms_median']:.0f} ms, p95 {figures['av_ms_p95']:.0f} ms (seen to "
          "within one 60 Hz loop pass)")
    assert figures["shown"] + figures["dropped"] >= expected - 2, "the whole clip was played"
