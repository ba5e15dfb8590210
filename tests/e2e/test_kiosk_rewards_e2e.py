"""Issue 14 end to end, every part real: a worker with points redeems a reward on a kiosk
in an X window (Xvfb, xdotool clicks, a virtual card on a private pcscd + vpcd), the
`reward_redeem` goes through the outbox and the sync to `shopfloor-server run`, which
accepts it and lowers the balance; the cost and the balance after are spoken (the kiosk's
`speech` log lines); then a supervisor (badge + PIN) hands it over on the same kiosk.

Where to click comes from the same scenes drawn in this process from a copy of the
running kiosk's store (so entitlements or a long catalogue cannot move a button
unnoticed). Screenshots land in test-artifacts/kiosk-e2e/rewards-*.png.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("SHOPFLOOR_MDNS_INTERFACES", "127.0.0.1")

from e2e.test_kiosk_e2e import (  # noqa: E402
    KioskProcess,
    click,
    mirror,
    pcscd,  # noqa: F401  (a fixture)
    pytestmark,  # noqa: F401  (the same skip: Xvfb, xdotool, pcscd, vpcd)
    screenshot,
    stored_events,
    wait_for,
    where,
    xvfb,  # noqa: F401  (a fixture)
)
from kiosk_support import tap_card  # noqa: E402
from pcsc_support import VirtualCard  # noqa: E402

from server.config import Config  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.demo import build_demo, card_uid  # noqa: E402
from server.services.devices.kiosks import add_kiosk  # noqa: E402
from support.live_server import LiveServer  # noqa: E402

WORKER = "W003"  # a plain worker of W1 with a sample badge
SUPERVISOR = "W001"  # W1's first supervisor (the demo's worker index 1)
REWARD, REWARD_NAME, COST = "TOWEL", "毛巾", 50


@dataclass
class Plant:
    server: LiveServer
    database_url: str
    env: dict[str, str]
    enrolment_code: str
    worker_uid: str
    supervisor_uid: str
    supervisor_pin: str


def cli(plant_env: dict[str, str], *args: str) -> Any:
    result = subprocess.run([sys.executable, "-m", "server.cli", *args, "--json"],
                            env=plant_env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    folder = tmp_path / "server"
    folder.mkdir()
    url = f"sqlite:///{folder / 'shopfloor.db'}"
    config = Config.from_env(data_dir=folder, database_url=url, timezone="Asia/Shanghai")
    summary = build_demo(config, admin_password="e2e admin password")
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            code = add_kiosk(session, "e2e-rewards-kiosk", ["W1"], "e2e").code
            session.commit()
    finally:
        engine.dispose()
    env = {"SHOPFLOOR_DATABASE_URL": url, "SHOPFLOOR_TIMEZONE": "Asia/Shanghai"}
    server = LiveServer(folder, env=env)
    server.start(timeout=30)
    try:
        yield Plant(server, url, server.env, code, summary.sample_badges[WORKER],
                    card_uid(int(SUPERVISOR[1:])), summary.supervisors[SUPERVISOR])
    finally:
        server.stop()


def redemption_state(plant: Plant, uuid: str) -> str | None:
    path = plant.database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT state FROM redemptions WHERE event_uuid = ?",
                          (uuid,)).fetchall()
    return str(rows[0][0]) if rows else None


def cached(kiosk: KioskProcess, key: str) -> Any:
    rows = kiosk.query("SELECT body FROM cached WHERE key = ?", (key,))
    return json.loads(rows[0][0]) if rows else None


def test_redeem_then_hand_over(plant, xvfb, pcscd, tmp_path):  # noqa: F811
    balance_before = 120 + cli(plant.env, "points", "balance", WORKER)["balance"]
    cli(plant.env, "points", "add", WORKER, "--points", "120", "--reason", "e2e 奖励")
    cli(plant.env, "reward", "add", REWARD, "--name", REWARD_NAME, "--name-en", "Towel",
        "--cost", str(COST))

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

    kiosk = KioskProcess(data_dir)
    with (tmp_path / "kiosk-stdout.log").open("wb") as out:
        process = subprocess.Popen(
            [*kiosk_cli, "run", "--server", plant.server.url, "--data-dir", str(data_dir)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    worker_card = VirtualCard(pcscd.port, bytes.fromhex(plant.worker_uid))
    supervisor_card = VirtualCard(pcscd.port, bytes.fromhex(plant.supervisor_uid))
    try:
        kiosk.wait_log({"event": "scene_changed", "scene": "idle"}, timeout=30)
        kiosk.wait_log({"event": "roster"}, timeout=15)
        kiosk.wait_log({"event": "reader_added"}, timeout=10)
        # the roster reaches the screen after its photos (ROSTER_READY): a tap before
        # that is an unknown badge
        wait_for("the photos", lambda: kiosk.query(
            "SELECT 1 FROM photos WHERE worker = ?", (WORKER,)), 10)
        time.sleep(0.5)

        # The worker's card: the card, their account and the catalogue come in.
        mark = len(kiosk.lines())
        worker_card.insert()
        kiosk.wait_log({"event": "scene_changed", "scene": "scorecard", "worker": WORKER},
                       timeout=5, after=mark)
        account = wait_for("the points account", lambda: cached(kiosk, f"points:{WORKER}"), 15)
        assert account["balance"] == balance_before
        wait_for("the catalogue", lambda: any(
            r["code"] == REWARD for r in (cached(kiosk, "rewards") or {}).get("rewards", [])),
            15)
        worker_card.remove()
        time.sleep(0.5)
        screenshot(xvfb, "rewards-01-card")

        with mirror(tmp_path, kiosk) as app:
            tap_card(app, bytes.fromhex(plant.worker_uid))
            coin = next(b for b in app.scenes.top.buttons if b.name == "points")
            assert coin.amount == f"{balance_before:g}"
            taps = where(app, ["rewards", f"reward:{REWARD}:", "confirm"])
            spoken = [text for _, parts in app.ctx.speaker.said for _, text in parts]
        after = balance_before - COST
        assert f"兑换{REWARD_NAME}需要{COST}分，兑换后余额{after:g}分。" in spoken

        # Three clicks from the card, as a person would.
        mark = len(kiosk.lines())
        click(env, taps[:2])
        kiosk.wait_log({"event": "speech", "parts": ["say.redeem_cost"]}, timeout=10,
                       after=mark)
        screenshot(xvfb, "rewards-02-confirm")
        click(env, taps[2:])
        queued = kiosk.wait_log({"event": "event_queued", "kind": "reward_redeem"}, 10,
                                after=mark)
        assert queued["worker"] == WORKER
        kiosk.wait_log({"event": "speech", "parts": ["say.redeemed"]}, timeout=10, after=mark)
        screenshot(xvfb, "rewards-03-redeemed")

        # outbox -> sync -> the server takes it once and the balance is lower there.
        redeemed = wait_for("the redemption on the server",
                            lambda: stored_events(plant, "reward_redeem"), 20)
        assert redeemed == [(WORKER, {"reward": REWARD})]
        wait_for("an empty outbox", lambda: kiosk.query(
            "SELECT count(*) FROM outbox WHERE state != 'sent'")[0][0] == 0, 15)
        assert cli(plant.env, "points", "balance", WORKER)["balance"] == after
        assert redemption_state(plant, queued["uuid"]) == "pending"
        wait_for("the kiosk's fresh account", lambda: (cached(kiosk, f"points:{WORKER}") or {}
                                                       ).get("balance") == after, 15)

        # The supervisor hands it over: badge, PIN, "hand over", the card, confirm.
        time.sleep(2)  # the done scene returns to the card
        mark = len(kiosk.lines())
        supervisor_card.insert()
        kiosk.wait_log({"event": "scene_changed", "scene": "scorecard",
                        "worker": SUPERVISOR}, timeout=5, after=mark)
        supervisor_card.remove()
        with mirror(tmp_path, kiosk) as app:
            tap_card(app, bytes.fromhex(plant.supervisor_uid))
            to_list = where(app, ["supervisor", *[f"key:{d}" for d in plant.supervisor_pin],
                                  "ok", "handover"])
        click(env, to_list, pause=0.3)
        kiosk.wait_log({"event": "scene_changed", "scene": "handover"}, 10, after=mark)
        rows = wait_for("the hand-overs on the kiosk", lambda: [
            r for r in cached(kiosk, "redemptions:W1") or [] if r["uuid"] == queued["uuid"]],
            15)
        assert rows[0]["worker"] == WORKER and rows[0]["reward"] == REWARD
        time.sleep(0.5)
        screenshot(xvfb, "rewards-04-handover")
        with mirror(tmp_path, kiosk) as app:
            tap_card(app, bytes.fromhex(plant.supervisor_uid))
            where(app, ["supervisor", *[f"key:{d}" for d in plant.supervisor_pin], "ok",
                        "handover"])
            hand = where(app, [f"handover:{queued['uuid']}", "confirm"])
        mark = len(kiosk.lines())
        click(env, hand[:1])
        kiosk.wait_log({"event": "speech", "parts": ["say.handover_confirm"]}, 10, after=mark)
        screenshot(xvfb, "rewards-05-handover-confirm")
        click(env, hand[1:])
        handed = kiosk.wait_log({"event": "event_queued", "kind": "reward_handover"}, 10,
                                after=mark)
        assert handed["worker"] == WORKER and handed["supervisor"] == SUPERVISOR  # sealed
        wait_for("the hand-over on the server",
                 lambda: redemption_state(plant, queued["uuid"]) == "handed_over", 20)
        assert stored_events(plant, "reward_handover") == [
            (WORKER, {"redemption": queued["uuid"], "handed_by": SUPERVISOR})]
        assert cli(plant.env, "points", "balance", WORKER)["balance"] == after
    finally:
        worker_card.remove()
        supervisor_card.remove()
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    assert process.returncode == 0, (tmp_path / "kiosk-stdout.log").read_text()[-3000:]
