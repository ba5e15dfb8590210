"""Kiosk benchmarks: badge to first scorecard frame, tap to first audio, frame time, RSS.

Run: .venv/bin/python -m pytest tests/bench -o python_files='bench_*.py' -s
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402
import pytest  # noqa: E402

from kiosk import events  # noqa: E402
from kiosk.app import App
from kiosk.background.sync import SyncWorker  # noqa: E402
from kiosk.config import KioskConfig  # noqa: E402
from kiosk.hardware.badge import PcscBadgeReader  # noqa: E402
from kiosk.hardware.speech import EspeakSpeaker  # noqa: E402
from kiosk.link.client import KioskClient  # noqa: E402
from kiosk.scenes.base import Context  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui.window import open_window  # noqa: E402
from server.serving.tls import ensure_identity  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kiosk"))
from kiosk_fakes import (  # noqa: E402
    ALICE_QR,
    ZHANG_UID,
    FakeServer,
    FakeSpeaker,
    card_credential,
    give_test_keys,
    roster_json,
    scorecard_json,
)
from pcsc_support import VPCD_DRIVER, Pcscd, VirtualCard, point_client_at  # noqa: E402

from support.xvfb import xvfb_display  # noqa: E402

TAPS = 40


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def report(name: str, samples: list[float], unit: str = "ms", target: float | None = None):
    line = (f"BENCH {name}: p50={statistics.median(samples):.2f}{unit} "
            f"p95={p95(samples):.2f}{unit} max={max(samples):.2f}{unit} n={len(samples)}")
    if target is not None:
        line += f" (target <= {target}{unit})"
    print(line)


@pytest.fixture
def kiosk(tmp_path):
    store = Store(tmp_path / "kiosk.sqlite3")
    store.save_roster(roster_json(), '"r1"')
    server = FakeServer()
    client = KioskClient("http://127.0.0.1:9", "tok-123", transport=server.transport(),
                         queue_depth=store.depth)
    sync = SyncWorker(store, client, interval_s=0.5)
    window = open_window(False)
    ctx = Context(store=store, speaker=FakeSpeaker(), sync=sync, workshop="W1")
    app = App(KioskConfig(data_dir=tmp_path), ctx, window)
    sync.start()
    yield app, server
    sync.stop()
    client.close()
    store.close()
    pygame.display.quit()


def badge_latencies(app: App, count: int) -> list[float]:
    credentials = [card_credential(ZHANG_UID), events.qr_credential(ALICE_QR)]
    for i in range(count):
        app.scenes.reset()
        app.step()
        pygame.event.post(pygame.event.Event(events.BADGE, credential=credentials[i % 2],
                                             kind="card", reader="bench",
                                             seen_at=time.perf_counter()))
        app.step()
        time.sleep(0.01)
    return [s * 1000 for s in app.scorecard_latencies]


@pytest.mark.parametrize("server_up", [True, False], ids=["server-up", "server-down"])
def test_badge_to_first_scorecard_frame(kiosk, server_up):
    app, server = kiosk
    server.up = server_up
    badge_latencies(app, 4)
    app.scorecard_latencies.clear()
    samples = badge_latencies(app, TAPS)
    report(f"badge->first scorecard frame ({'server up' if server_up else 'server down'})",
           samples, target=50)
    assert p95(samples) <= 50


@pytest.mark.skipif(not shutil.which("pcscd") or not VPCD_DRIVER.exists(),
                    reason="needs pcscd and vsmartcard-vpcd")
def test_card_on_real_reader_to_first_scorecard_frame(kiosk, tmp_path):
    """Through pcscd + vpcd; timed from when the reader thread sees the card."""
    app, _ = kiosk
    daemon = Pcscd(tmp_path / "pcscd")
    daemon.start()
    point_client_at(daemon)
    give_test_keys(app.ctx.store)  # the reader digests with the store's site key
    reader = PcscBadgeReader(app.ctx.store.card_credential)
    reader.start()
    try:
        deadline = time.monotonic() + 5
        while len(reader.readers) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        app.scorecard_latencies.clear()
        for i in range(15):
            app.scenes.reset()
            card = VirtualCard(daemon.port, ZHANG_UID)
            card.insert()
            deadline = time.monotonic() + 3
            while len(app.scorecard_latencies) <= i and time.monotonic() < deadline:
                app.step()
                time.sleep(0.002)
            card.remove()
            time.sleep(1.0)
    finally:
        reader.stop()
        daemon.stop()
    samples = [s * 1000 for s in app.scorecard_latencies]
    report("card on pcscd/vpcd reader->first scorecard frame", samples, target=50)
    assert len(samples) == 15 and p95(samples) <= 50


def test_frame_time_at_1280x800(kiosk):
    app, _ = kiosk
    app.ctx.store.save_scorecard("W001", "week", scorecard_json())
    pygame.event.post(pygame.event.Event(events.BADGE, credential=card_credential(
        ZHANG_UID), kind="card", reader="bench", seen_at=time.perf_counter()))
    app.step()
    app.frame_times.clear()
    for _ in range(300):
        app.render()
    samples = [s * 1000 for s in app.frame_times]
    report("frame time 1280x800 scorecard (dummy video)", samples, target=16)
    assert app.screen.get_size() == (1280, 800)
    assert p95(samples) <= 16


def test_tap_to_first_audio(tmp_path):
    latencies: list[float] = []
    speaker = EspeakSpeaker(tmp_path / "cache", on_play=latencies.append)
    speaker.start()
    assert speaker.wait_ready()
    try:
        for i in range(20):
            speaker.say("zh_CN", [("say.total", f"张三，本周得分{60 + i}分，第{i + 1}名。"),
                                  ("say.dim_met", "开机率达标。次品率未达标。")])
            deadline = time.monotonic() + 5
            while len(latencies) <= i and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(0.05)
    finally:
        speaker.stop()
    pygame.mixer.quit()
    samples = [s * 1000 for s in latencies]
    report("tap->first audio (uncached synthesis, SDL dummy audio)", samples, target=300)
    assert len(samples) == 20 and p95(samples) <= 300


def logged(data_dir: Path, event: str) -> int:
    path = data_dir / "logs" / "kiosk.jsonl"
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()
               if json.loads(line).get("event") == event)


@pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                    reason="needs xvfb and xdotool")
def test_kiosk_process_rss(tmp_path):
    """The real kiosk process in an X window, after five badge-ins (scorecard drawn and
    spoken each time), with the server away."""
    store = Store(tmp_path / "kiosk.sqlite3")
    # Enrolled (a token and a pinned certificate) to a server that is not there.
    store.set_setting("server_id", "0123456789abcdef")
    store.set_setting("server_cert", ensure_identity(tmp_path / "server").certfile.read_text())
    store.set_setting("token", "tok-offline")
    store.set_setting("server_url", "https://127.0.0.1:9")
    store.save_roster(roster_json(), '"r1"')
    store.save_scorecard("W002", "week", scorecard_json("W002"))
    store.close()
    with xvfb_display() as display:
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11",
               "SDL_AUDIODRIVER": "dummy", "PCSCLITE_CSOCK_NAME": str(tmp_path / "none.comm")}
        process = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--data-dir",
                                    str(tmp_path)], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while logged(tmp_path, "scene_changed") < 1 and time.monotonic() < deadline:
                time.sleep(0.1)
            subprocess.run(["xdotool", "mousemove", "640", "400"], env=env, check=True)
            for taps in range(1, 6):
                subprocess.run(["xdotool", "type", "--delay", "5", ALICE_QR], env=env, check=True)
                subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
                deadline = time.monotonic() + 10
                while (min(logged(tmp_path, "speech"), logged(tmp_path, "scorecard_shown"))
                       < taps and time.monotonic() < deadline):
                    time.sleep(0.05)
            shown = (logged(tmp_path, "scorecard_shown"), logged(tmp_path, "speech"))
            assert shown == (5, 5), (tmp_path / "logs" / "kiosk.jsonl").read_text()[-3000:]
            assert process.poll() is None, "the kiosk exited early"
            status = Path(f"/proc/{process.pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            rss_mb = int(fields["VmRSS"].split()[0]) / 1024
            hwm_mb = int(fields["VmHWM"].split()[0]) / 1024
        finally:
            process.terminate()
            process.wait(10)
    print(f"BENCH kiosk RSS after 5 badge-ins: {rss_mb:.1f} MB (peak {hwm_mb:.1f} MB) "
          "(target <= 150 MB)")
    assert rss_mb <= 150


XVFB_FRAMES = r"""
import json, sys, time
import pygame
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from kiosk.app import App
from kiosk.ui.window import open_window
from kiosk.config import KioskConfig
from kiosk.scenes.base import Context
from kiosk.scenes.scorecard import ScorecardScene
from kiosk.store import Store
from kiosk_fakes import (ZHANG_UID, FakeSpeaker, FakeSync, card_credential, roster_json,
                         scorecard_json)
store = Store(Path(sys.argv[2]) / "k.sqlite3")
store.save_roster(roster_json(), None)
store.save_scorecard("W001", "week", scorecard_json())
ctx = Context(store=store, speaker=FakeSpeaker(), sync=FakeSync(), workshop="W1")
app = App(KioskConfig(data_dir=Path(sys.argv[2])), ctx, open_window(sys.argv[3] == "full"))
app.scenes.reset(ScorecardScene(ctx, app.roster.worker_for(card_credential(ZHANG_UID))))
for _ in range(30):
    app.render()
app.frame_times.clear()
for _ in range(300):
    app.render()
flips = []
for i in range(100):
    started = time.perf_counter()
    app.window.display.fill((i, 0, 0))
    pygame.display.flip()
    flips.append((time.perf_counter() - started) * 1000)
print(json.dumps({"frames": [t * 1000 for t in app.frame_times], "flips": flips}))
"""


@pytest.mark.skipif(not shutil.which("Xvfb"), reason="needs xvfb")
@pytest.mark.parametrize(("size", "mode"), [("1280x800", "window"), ("1920x1080", "full")])
def test_frame_time_under_xvfb(tmp_path, size, mode):
    with xvfb_display(size) as display:
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11"}
        result = subprocess.run(
            [sys.executable, "-c", XVFB_FRAMES, str(Path(__file__).resolve().parents[1] / "kiosk"),
             str(tmp_path), mode], env=env, capture_output=True, text=True, check=True,
            timeout=120)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    samples, flips = measured["frames"], measured["flips"]
    report("bare fill+flip, same display (the X server's own cost)", flips)
    if mode == "full":
        report("frame time, scorecard scaled to a 1920x1080 full screen (Xvfb; informative, "
               "the target is set at 1280x800)", samples)
        return
    report("frame time, scorecard, 1280x800 window (Xvfb)", samples, target=16)
    if statistics.median(flips) > 8:
        pytest.skip(f"this display needs {statistics.median(flips):.1f} ms for a bare flip "
                    "(machine busy); the frame-time target cannot be judged here")
    assert p95(samples) <= 16
