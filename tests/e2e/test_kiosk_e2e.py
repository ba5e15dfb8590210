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

A supervisor (card, PIN) gives a remark to two workers: one act, sealed with the PIN on
the kiosk, which the server opens and checks before it counts the points. A wrong PIN
that passes the kiosk's typo check is sealed just the same; the server refuses the act,
and the kiosk tells the supervisor at once, still on screen.
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
from kiosk_support import tap_button, tap_card  # noqa: E402
from pcsc_support import VPCD_DRIVER, Pcscd, VirtualCard  # noqa: E402
from PIL import Image, ImageChops  # noqa: E402

from kiosk.app import App  # noqa: E402
from kiosk.config import KioskConfig  # noqa: E402
from kiosk.scenes.base import Context  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui import theme  # noqa: E402
from kiosk.ui.window import open_window  # noqa: E402
from kiosk.videos import VideoLibrary  # noqa: E402
from server.config import Config  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.demo import build_demo, card_uid  # noqa: E402
from server.models import TrainingVideo, Workshop  # noqa: E402
from server.services.devices.kiosks import add_kiosk  # noqa: E402
from shopfloor_trust.pins import pin_check  # noqa: E402
from support.live_server import LiveServer  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "kiosk-e2e"
SIZE = (1280, 800)
WORKER = "W003"  # the demo's first sample badge: a plain worker of W1
SUPERVISOR = "W001"  # W1's first supervisor (the demo's worker index 1)
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
    supervisor_uid: str
    supervisor_pin: str


def build_plant(folder: Path) -> tuple[str, str, str, str]:
    """The demo factory, a required video for W1 and a kiosk for W1; returns the database
    URL, the kiosk's one-time code, the card UID of WORKER and SUPERVISOR's PIN."""
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
    return url, code, summary.sample_badges[WORKER], summary.supervisors[SUPERVISOR]


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    folder = tmp_path / "server"
    folder.mkdir()
    url, code, uid, pin = build_plant(folder)
    env = {"SHOPFLOOR_DATABASE_URL": url, "SHOPFLOOR_TIMEZONE": "Asia/Shanghai"}
    server = LiveServer(folder, env=env)
    server.start(timeout=30)
    try:
        yield Plant(server, url, server.env, code, uid, card_uid(int(SUPERVISOR[1:])), pin)
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
    for key, value in kiosk.query("SELECT key, value FROM settings WHERE key IN "
                                  "('site_key', 'sealing_key', 'sealing_key_id')"):
        store.set_setting(key, value)  # the site key: its card digests are the roster's
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


@contextlib.contextmanager
def mirror(folder: Path, kiosk: KioskProcess) -> Iterator[App]:
    """An App on SDL's dummy display over a copy of the running kiosk's store (its roster,
    caches, keys and counts): the same scenes, so it knows where their buttons are and
    what they say."""
    copy = folder / f"mirror-{time.monotonic_ns()}.sqlite3"
    with contextlib.closing(sqlite3.connect(
            f"file:{kiosk.data_dir / 'kiosk.sqlite3'}?mode=ro", uri=True)) as source, \
            contextlib.closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    store = Store(copy)
    window = open_window(False)
    try:
        ctx = Context(store=store, speaker=FakeSpeaker(), sync=FakeSync(), workshop="W1",
                      videos=VideoLibrary(store, folder / "videos"))
        pygame.event.clear()
        yield App(KioskConfig(data_dir=folder), ctx, window, enrolled=True)
    finally:
        pygame.display.quit()
        store.close()


def where(app: App, names: list[str]) -> list[tuple[int, int]]:
    """Tap through ``names`` in the mirror; the centre of each button on the way."""
    found = []
    for name in names:
        button = next((b for b in app.scenes.top.buttons if b.name == name), None)
        assert button is not None, (name, [b.name for b in app.scenes.top.buttons])
        found.append(button.rect.center)
        tap_button(app, name)
    return found


def click(env: dict[str, str], points: list[tuple[int, int]], pause: float = 0.4) -> None:
    xdotool(env, "mousemove", "640", "400")
    for x, y in points:
        xdotool(env, "mousemove", str(x), str(y), "click", "1")
        time.sleep(pause)


@contextlib.contextmanager
def running_kiosk(plant: Plant, display: str, pcscd: Pcscd, folder: Path
                  ) -> Iterator[tuple[KioskProcess, dict[str, str]]]:
    """`shopfloor-kiosk enroll`, then `run` in the X display, reading the private pcscd;
    once it shows idle with the roster and its photos: the kiosk and the environment for
    xdotool. It must exit cleanly when told to."""
    data_dir = folder / "kiosk"
    env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11",
           "SDL_AUDIODRIVER": "dummy", "PCSCLITE_CSOCK_NAME": str(pcscd.socket),
           "SHOPFLOOR_MDNS_INTERFACES": "127.0.0.1"}
    env.pop("XAUTHORITY", None)
    kiosk_cli = [sys.executable, "-m", "kiosk"]
    enrolled = subprocess.run(
        [*kiosk_cli, "enroll", plant.server.payload(plant.enrolment_code), "--server",
         plant.server.url, "--data-dir", str(data_dir)],
        env=env, capture_output=True, text=True, timeout=60)
    assert enrolled.returncode == 0, enrolled.stderr
    kiosk = KioskProcess(data_dir)
    with (folder / "kiosk-stdout.log").open("wb") as out:
        process = subprocess.Popen(
            [*kiosk_cli, "run", "--server", plant.server.url, "--data-dir", str(data_dir)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        kiosk.wait_log({"event": "scene_changed", "scene": "idle"}, timeout=30)
        kiosk.wait_log({"event": "roster"}, timeout=15)
        kiosk.wait_log({"event": "reader_added"}, timeout=10)
        # the roster reaches the screen after its photos (ROSTER_READY): a tap before
        # that is an unknown badge
        wait_for("the photos", lambda: kiosk.query(
            "SELECT 1 FROM photos WHERE worker = ?", (WORKER,)), 10)
        time.sleep(0.5)
        yield kiosk, env
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    assert process.returncode == 0, (folder / "kiosk-stdout.log").read_text()[-3000:]


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
            tap_card(app, bytes.fromhex(plant.card_uid))
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


def lucky_pin(code: str, right: str) -> str:
    """A wrong PIN of the same length that passes the kiosk's typo check (1 in 64 do)."""
    return next(pin for pin in (f"{n:0{len(right)}d}" for n in range(10 ** len(right)))
                if pin != right and pin_check(code, pin) == pin_check(code, right))


def test_a_supervisors_remark_is_verified_by_the_server(plant, xvfb, pcscd, tmp_path):
    card = VirtualCard(pcscd.port, bytes.fromhex(plant.supervisor_uid))

    def supervisor_in(kiosk: KioskProcess) -> int:
        mark = len(kiosk.lines())
        card.insert()
        kiosk.wait_log({"event": "scene_changed", "scene": "scorecard",
                        "worker": SUPERVISOR}, timeout=5, after=mark)
        card.remove()
        return mark

    def remark(kiosk: KioskProcess, env: dict[str, str], pin: str, workers: int
               ) -> tuple[int, list[str], str]:
        """Card, PIN, the first ``workers`` tiles, the first category, "send"; returns the
        log mark, the workers and the category."""
        mark = supervisor_in(kiosk)
        with mirror(tmp_path, kiosk) as app:
            tap_card(app, bytes.fromhex(plant.supervisor_uid))
            taps = where(app, ["supervisor", *[f"key:{d}" for d in pin], "ok"])
            assert app.scenes.top.name == "supervisor", app.scenes.names
            tiles = [t.name for t in app.scenes.top.tiles[:workers]]
            taps += where(app, [*tiles, "remark"])
            category = next(b.name for b in app.scenes.top.buttons
                            if b.name.startswith("category:"))
            taps += where(app, [category, "send"])
        click(env, taps, pause=0.3)
        return mark, [t.removeprefix("worker:") for t in tiles], category.split(":", 1)[1]

    try:
        with running_kiosk(plant, xvfb, pcscd, tmp_path) as (kiosk, env):
            # The right PIN: one act for two workers, which the server opens and counts.
            mark, workers, category = remark(kiosk, env, plant.supervisor_pin, 2)
            queued = [kiosk.wait_log({"event": "event_queued", "kind": "remark",
                                      "worker": code}, 10, after=mark) for code in workers]
            assert {q["act"] for q in queued} == {queued[0]["uuid"]}, "one act"
            kiosk.wait_log({"event": "scene_changed", "scene": "remark_undo"}, 5, after=mark)
            screenshot(xvfb, "supervisor-01-remark-sent")
            given = wait_for("the remarks on the server",
                             lambda: len(stored_events(plant, "remark")) == 2
                             and stored_events(plant, "remark"), 20)
            assert sorted(given) == sorted(
                (code, {"category": category, "given_by": SUPERVISOR}) for code in workers)
            proofs = kiosk.query("SELECT DISTINCT proof FROM outbox WHERE kind = 'remark'")
            assert len(proofs) <= 1 and plant.supervisor_pin not in json.dumps(proofs)

            # A wrong PIN the kiosk cannot tell from the right one: the server can.
            mark, _, _ = remark(kiosk, env, lucky_pin(SUPERVISOR, plant.supervisor_pin), 1)
            kiosk.wait_log({"event": "event_queued", "kind": "remark"}, 10, after=mark)
            refused = kiosk.wait_log({"event": "act_refused"}, 20, after=mark)
            assert refused["reason"].startswith("proof:") and "wrong PIN" in refused["reason"]
            kiosk.wait_log({"event": "scene_changed", "scene": "acts_refused",
                            "worker": SUPERVISOR}, 10, after=mark)
            kiosk.wait_log({"event": "speech", "parts": ["say.acts_refused",
                                                         "say.act_refused"]}, 10, after=mark)
            time.sleep(0.5)
            screenshot(xvfb, "supervisor-02-refused")
            assert len(stored_events(plant, "remark")) == 2, "the refused act gave nothing"
            assert kiosk.query("SELECT told_at IS NOT NULL FROM refused_acts") == [(1,)]
    finally:
        card.remove()
