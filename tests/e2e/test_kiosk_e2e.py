"""The kiosk end to end (issue 4), every part real:

- the server: `shopfloor-server run` (gunicorn) on a temporary SQLite database holding the
  demo factory, a required training video for W1, and a kiosk made by `add_kiosk`;
- the kiosk: enrolled with its own `shopfloor-kiosk enroll`, then `shopfloor-kiosk run`
  in a real X window (Xvfb), reading badges from a private pcscd with vsmartcard's vpcd
  and our card emulator (tests/kiosk/pcsc_support.py).

A virtual card tap shows the scorecard of the right worker: by the kiosk's log line and by
a screenshot of the X window (PyAV's x11grab), which must match the same scene drawn in
this process from the kiosk's own cached answer. xdotool then clicks "log", "output",
4, 2 and "done"; the output event reaches the server exactly once, and so does the tap.
Screenshots land in test-artifacts/kiosk-e2e/.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("SHOPFLOOR_MDNS_INTERFACES", "127.0.0.1")

import pygame  # noqa: E402
from kiosk_fakes import FakeSpeaker, FakeSync  # noqa: E402
from kiosk_support import badge, tap_button  # noqa: E402
from pcsc_support import VPCD_DRIVER, Pcscd, VirtualCard  # noqa: E402
from PIL import Image, ImageChops  # noqa: E402

from kiosk.app import App  # noqa: E402
from kiosk.config import KioskConfig  # noqa: E402
from kiosk.events import card_credential  # noqa: E402
from kiosk.scenes.base import Context  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui import theme  # noqa: E402
from kiosk.ui.window import open_window  # noqa: E402
from kiosk.videos import VideoLibrary  # noqa: E402
from server.config import Config  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.demo import build_demo  # noqa: E402
from server.models import TrainingVideo, Workshop  # noqa: E402
from server.services.devices.kiosks import add_kiosk  # noqa: E402
from support.live_server import LiveServer  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "kiosk-e2e"
SIZE = (1280, 800)
WORKER = "W003"  # the demo's first sample badge: a plain worker of W1
VIDEO = "数控车床安全操作规程"
CLICKS = ["log", "output", "key:4", "key:2", "done"]

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool") and shutil.which("pcscd")
         and shutil.which("unshare") and VPCD_DRIVER.exists()),
    reason="needs xvfb, xdotool, pcscd, vsmartcard-vpcd (scripts/packages/test-kiosk.txt)")


def wait_for(what: str, check: Callable[[], Any], timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


# --- the server -----------------------------------------------------------------------


@dataclass
class Plant:
    server: LiveServer
    database_url: str
    env: dict[str, str]
    enrolment_code: str
    card_uid: str


def build_plant(folder: Path) -> tuple[str, str, str]:
    """The demo factory, a required video for W1 and a kiosk for W1; returns the database
    URL, the kiosk's one-time code and the card UID of WORKER."""
    url = f"sqlite:///{folder / 'shopfloor.db'}"
    config = Config.from_env(data_dir=folder, database_url=url, timezone="Asia/Shanghai")
    summary = build_demo(config, admin_password="e2e admin password")
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            w1 = session.query(Workshop).filter_by(code="W1").one()
            session.add(TrainingVideo(
                title=VIDEO, title_en="Lathe safety", sha256="0" * 64, size_bytes=1,
                duration_s=300.0, file_path="videos/none.mp4", required=True,
                required_by=(datetime.now(config.zone) + timedelta(days=5)).date(),
                workshops=[w1]))
            code = add_kiosk(session, "e2e-kiosk", ["W1"], "e2e").code
            session.commit()
    finally:
        engine.dispose()
    return url, code, summary.sample_badges[WORKER]


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    folder = tmp_path / "server"
    folder.mkdir()
    url, code, uid = build_plant(folder)
    env = {"SHOPFLOOR_DATABASE_URL": url, "SHOPFLOOR_TIMEZONE": "Asia/Shanghai"}
    server = LiveServer(folder, env=env)
    server.start(timeout=30)
    try:
        yield Plant(server, url, server.env, code, uid)
    finally:
        server.stop()


def server_events(plant: Plant, kind: str) -> list[dict[str, Any]]:
    """What the server's own CLI lists (`shopfloor-server events --kind K --json`)."""
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "events", "--kind", kind, "--json"],
        env=plant.env, capture_output=True, text=True, timeout=60, check=True)
    events: list[dict[str, Any]] = json.loads(result.stdout)
    return events


def stored_events(plant: Plant, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """The same from the database, cheaply, for polling."""
    path = plant.database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT w.code, e.payload FROM events e LEFT JOIN workers w ON w.id = e.worker_id "
            "WHERE e.kind = ?", (kind,)).fetchall()
    return [(code, json.loads(payload)) for code, payload in rows]


# --- X, PC/SC and the kiosk -------------------------------------------------------------


def free_display() -> int:
    for number in range(150, 250):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(
                f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb() -> Iterator[str]:
    display = f":{free_display()}"
    process = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("Xvfb", lambda: Path(f"/tmp/.X11-unix/X{display[1:]}").exists()
                 or process.poll() is not None, 10)
        assert process.poll() is None, "Xvfb exited"
        yield display
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def pcscd(tmp_path: Path) -> Iterator[Pcscd]:
    daemon = Pcscd(tmp_path / "pcsc")
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


class KioskProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log = data_dir / "logs" / "kiosk.jsonl"

    def lines(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()
                if line.strip()]

    def wait_log(self, match: dict[str, Any], timeout: float = 15, after: int = 0
                 ) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            for line in self.lines()[after:]:
                if all(line.get(k) == v for k, v in match.items()):
                    return line
            return None
        try:
            found: dict[str, Any] = wait_for(f"kiosk log {match}", find, timeout)
        except AssertionError:
            seen = [(line.get("event"), line.get("scene")) for line in self.lines()]
            raise AssertionError(f"no kiosk log line {match}; saw {seen}") from None
        return found

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the kiosk's store while it runs (read-only: opening a Store would reset
        its in-flight events)."""
        uri = f"file:{self.data_dir / 'kiosk.sqlite3'}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            return db.execute(sql, params).fetchall()


def screenshot(display: str, name: str) -> Image.Image:
    """The X screen as the kiosk drew it, by FFmpeg's x11grab (bundled in PyAV's wheel)."""
    import av

    with av.open(display, format="x11grab",
                 options={"video_size": f"{SIZE[0]}x{SIZE[1]}", "framerate": "5",
                          "draw_mouse": "0"}) as grab:
        frame = next(grab.decode(video=0))
        image = frame.to_image().convert("RGB")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / f"{name}.png")
    return image


def xdotool(env: dict[str, str], *args: str) -> None:
    subprocess.run(["xdotool", *args], env=env, check=True, timeout=10)


# --- the same scene drawn here, for the screenshot and the click positions ---------------


@contextlib.contextmanager
def reference_app(folder: Path, kiosk: KioskProcess) -> Iterator[App]:
    """An App on SDL's dummy display fed with the running kiosk's roster, photo and cached
    scorecard: it draws the frames the kiosk should show and knows where its buttons are."""
    store = Store(folder / "reference.sqlite3")
    (roster, etag), = kiosk.query("SELECT body, etag FROM roster")
    store.save_roster(json.loads(roster), etag)
    (card,), = kiosk.query("SELECT body FROM scorecards WHERE worker = ? AND period = 'week'",
                           (WORKER,))
    store.save_scorecard(WORKER, "week", json.loads(card))
    for code, url, body in kiosk.query("SELECT worker, url, body FROM photos"):
        store.save_photo(code, url, body)
    window = open_window(False)
    try:
        # The kiosk has a video library, so its scorecard offers training: so does this.
        ctx = Context(store=store, speaker=FakeSpeaker(), sync=FakeSync(), workshop="W1",
                      videos=VideoLibrary(store, folder / "videos"))
        pygame.event.clear()
        yield App(KioskConfig(data_dir=folder), ctx, window, enrolled=True)
    finally:
        pygame.display.quit()
        store.close()


def difference(shot: Image.Image, reference: Image.Image) -> float:
    """The share of pixels below the top bar (clock, sync state) that differ at all (a
    panel's white on the background differs by about 12)."""
    box = (0, theme.TOP_BAR, SIZE[0], SIZE[1])
    diff = ImageChops.difference(shot.crop(box), reference.crop(box)).convert("L")
    changed = sum(diff.point(lambda v: 255 if v > 6 else 0).histogram()[255:])
    return changed / ((box[2] - box[0]) * (box[3] - box[1]))


def render(app: App) -> Image.Image:
    app.step()
    app.render()
    raw = pygame.image.tobytes(app.screen, "RGB")
    return Image.frombytes("RGB", app.screen.get_size(), raw)


# --- the test ----------------------------------------------------------------------------


def test_tap_scorecard_log_output_reaches_the_server_once(plant, xvfb, pcscd, tmp_path):
    started = time.monotonic()
    data_dir = tmp_path / "kiosk"
    env = {**os.environ, "DISPLAY": xvfb, "SDL_VIDEODRIVER": "x11", "SDL_AUDIODRIVER": "dummy",
           "PCSCLITE_CSOCK_NAME": str(pcscd.socket), "SHOPFLOOR_MDNS_INTERFACES": "127.0.0.1"}
    env.pop("XAUTHORITY", None)
    kiosk_cli = [sys.executable, "-m", "kiosk"]
    enrolled = subprocess.run(
        [*kiosk_cli, "enroll", plant.server.payload(plant.enrolment_code), "--server",
         plant.server.url, "--data-dir", str(data_dir)],
        env=env, capture_output=True, text=True, timeout=60)
    assert enrolled.returncode == 0, enrolled.stderr
    assert json.loads(enrolled.stdout.splitlines()[-1])["enrolled"] is True

    kiosk = KioskProcess(data_dir)
    with (tmp_path / "kiosk-stdout.log").open("wb") as out:
        process = subprocess.Popen(
            [*kiosk_cli, "run", "--server", plant.server.url, "--data-dir", str(data_dir)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    card = VirtualCard(pcscd.port, bytes.fromhex(plant.card_uid))
    try:
        kiosk.wait_log({"event": "scene_changed", "scene": "idle"}, timeout=30)
        roster = kiosk.wait_log({"event": "roster"}, timeout=15)
        assert roster["workers"] >= 18  # W1's people, supervisors included
        kiosk.wait_log({"event": "reader_added"}, timeout=10)
        wait_for("the photos", lambda: kiosk.query(
            "SELECT 1 FROM photos WHERE worker = ?", (WORKER,)), 10)
        time.sleep(0.3)
        screenshot(xvfb, "01-idle")

        # A card tap: the scorecard of the right worker, fetched from the server.
        mark = len(kiosk.lines())
        card.insert()
        read = kiosk.wait_log({"event": "badge_read"}, timeout=5, after=mark)
        assert read["kind"] == "card" and plant.card_uid.lower() not in json.dumps(read).lower()
        kiosk.wait_log({"event": "scene_changed", "scene": "scorecard", "worker": WORKER},
                       timeout=5, after=mark)
        body = json.loads(wait_for("the server's scorecard", lambda: kiosk.query(
            "SELECT body FROM scorecards WHERE worker = ? AND period = 'week'", (WORKER,)),
            10)[0][0])
        assert body["worker"]["code"] == WORKER
        assert [v["title"] for v in body["tasks"]["videos_due"]] == [VIDEO]
        card.remove()

        with reference_app(tmp_path, kiosk) as app:
            badge(app, card_credential(bytes.fromhex(plant.card_uid)))
            assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == WORKER
            reference = render(app)
            reference.save(ARTIFACTS / "02-scorecard-reference.png")
            assert difference(Image.new("RGB", SIZE, theme.BG), reference) > 0.3

            # Pixel for pixel the same scene, but for the "as of" note of the cached copy
            # (about 0.3 % of the screen); the kiosk draws the fresh card on its next frame.
            def same_scene() -> bool:
                return difference(screenshot(xvfb, "02-scorecard"), reference) < 0.006

            wait_for("the scorecard in the X window", same_scene, 10, every=0.3)
            where = {}
            for name in CLICKS:
                where[name] = next(b for b in app.scenes.top.buttons if b.name == name
                                   ).rect.center
                tap_button(app, name)

        # xdotool: log -> output -> 4 -> 2 -> done, as a person would click.
        mark = len(kiosk.lines())
        xdotool(env, "mousemove", "640", "400")
        for name in CLICKS:
            if name == "done":
                screenshot(xvfb, "03-output-42")
            x, y = where[name]
            xdotool(env, "mousemove", str(x), str(y), "click", "1")
            time.sleep(0.25)
        queued = kiosk.wait_log({"event": "event_queued", "kind": "output"}, 10, after=mark)
        assert queued["worker"] == WORKER
        kiosk.wait_log({"event": "scene_changed", "scene": "done"}, 5, after=mark)
        screenshot(xvfb, "04-done")

        # The server has it once: wait until the kiosk's outbox is empty, then count.
        wait_for("the output event on the server", lambda: stored_events(plant, "output"), 20)
        wait_for("an empty outbox", lambda: kiosk.query(
            "SELECT count(*) FROM outbox WHERE state != 'sent'")[0][0] == 0, 15)
    finally:
        card.remove()
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    assert process.returncode == 0, (tmp_path / "kiosk-stdout.log").read_text()[-3000:]

    outputs = server_events(plant, "output")
    assert len(outputs) == 1, outputs
    assert outputs[0]["worker"] == WORKER and outputs[0]["payload"]["count"] == 42
    assert outputs[0]["uuid"] == queued["uuid"]
    taps = [code for code, _ in stored_events(plant, "badge_in")]
    assert taps == [WORKER]  # the card lay on the reader for seconds: one tap
    assert time.monotonic() - started < 90
