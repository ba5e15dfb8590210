"""The kiosk with its real sync worker while the server goes away and comes back."""

from __future__ import annotations

import time

import pytest
from kiosk_fakes import ZHANG_UID, FakeServer, card_credential, scorecard_json
from kiosk_support import badge, screenshot, tap_button

from kiosk.background.sync import SyncWorker
from kiosk.link.client import KioskClient


def pump(app, until, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "timed out"
        app.step()
        time.sleep(0.01)


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def live_sync(store, server):
    client = KioskClient("http://127.0.0.1:9", "tok-123", transport=server.transport(),
                         queue_depth=store.depth)
    worker = SyncWorker(store, client, interval_s=0.05)
    yield worker
    worker.stop()
    client.close()


def test_offline_badge_in_shows_cache_and_queues_then_drains(make_app, store, server,
                                                             live_sync, speaker):
    app = make_app()
    app.ctx.sync = live_sync
    store.save_scorecard("W001", "week", scorecard_json())
    server.up = False
    live_sync.start()
    pump(app, lambda: app.ctx.status.online is False)
    badge(app, card_credential(ZHANG_UID))
    scene = app.scenes.top
    assert scene.name == "scorecard" and scene.cached and scene.card.total == 85.0
    assert speaker.said[-1][1][-1][0] == "say.offline"
    tap_button(app, "log")
    tap_button(app, "output")
    tap_button(app, "key:5")
    tap_button(app, "done")
    pump(app, lambda: app.ctx.status.depth == 2)
    screenshot(app, "offline_done_zh_CN")
    server.up = True
    live_sync.kick()
    pump(app, lambda: app.ctx.status.online and app.ctx.status.depth == 0)
    kinds = sorted(event["kind"] for event in server.events.values())
    assert kinds == ["badge_in", "output"]
    assert store.depth() == 0
