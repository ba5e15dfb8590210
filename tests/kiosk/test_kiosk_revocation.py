"""The sync worker when the server stops taking the kiosk's token, when the kiosk enrols
again, and when the kiosk's clock is hours off."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from kiosk_fakes import FakeServer

from kiosk import events
from kiosk.background.sync import SyncWorker
from kiosk.errors import ConfigError
from kiosk.link.client import KioskClient
from kiosk.store import OutboxState


class Posted(list):
    def __call__(self, event_type: int, **attrs: object) -> None:
        self.append((event_type, attrs))

    def enrolments(self) -> list[dict[str, object]]:
        return [attrs for kind, attrs in self if kind == events.ENROLMENT]


def test_a_revoked_kiosk_keeps_its_events_and_sends_them_after_enrolling_again(store):
    server = FakeServer()
    posted = Posted()
    store.set_setting("token", "revoked-token")
    for n in range(3):
        store.enqueue("badge_in", "W001", {"n": n})

    def connect(url: str) -> KioskClient:
        return KioskClient(url, store.get_setting("token"), transport=server.transport())

    def enrol(code: str) -> dict[str, object]:
        if code != "SFK1:GOOD":
            raise ConfigError("not an enrolment code")
        store.set_setting("token", "tok-123")
        return {"enrolled": True, "kiosk": "Kiosk A"}

    worker = SyncWorker(store, None, post=posted, connect=connect, enrol=enrol,
                        discover=lambda: "https://10.0.0.5:8750", discovery_interval_s=0)
    worker.run_once()
    assert posted.enrolments() == [{"enrolled": False, "reason": "unauthorized"}]
    assert store.get_setting("token") is None and worker.client is None
    assert store.counts()[OutboxState.PENDING.value] == 3 and server.events == {}

    worker.run_once()  # not enrolled: nothing is tried
    assert worker.client is None and worker.online is False

    worker.request_enrolment("garbage")
    worker.run_once()
    assert posted.enrolments()[-1] == {"enrolled": False, "reason": "not an enrolment code"}

    worker.request_enrolment("SFK1:GOOD")
    worker.run_once()
    assert posted.enrolments()[-1] == {"enrolled": True, "reason": None, "kiosk": "Kiosk A"}
    assert sorted(e["payload"]["n"] for e in server.events.values()) == [0, 1, 2]
    assert store.depth() == 0 and worker.online
    worker.stop()


def test_a_kiosk_clock_hours_off_is_logged_once(store, caplog):
    server = FakeServer()
    skew = timedelta(0)

    def dated(request: httpx.Request) -> httpx.Response:
        response = server.handle(request)
        response.headers["Date"] = format_datetime(datetime.now(UTC) + skew, usegmt=True)
        return response

    client = KioskClient("http://server", "tok-123", transport=httpx.MockTransport(dated))
    worker = SyncWorker(store, client, post=lambda *a, **k: None)
    with caplog.at_level(logging.INFO, logger="kiosk.background.sync"):
        for hours in (-5, -5, 0):
            skew = timedelta(hours=hours)
            store.enqueue("badge_in", "W001", {})
            worker.run_once()
    fields = [getattr(r, "fields", {}) for r in caplog.records]
    skewed = [r for r in caplog.records if r.getMessage() == "clock_skew"]
    assert len(skewed) == 1 and abs(skewed[0].fields["offset_s"] + 5 * 3600) < 5, fields
    assert [r.getMessage() for r in caplog.records].count("clock_ok") == 1
    assert len(server.events) == 3, "a wrong clock stops nothing from being sent"
    worker.stop()
