"""The re-enrolment guard against real servers: after a 401 the kiosk shows its enrol
scene, and anyone may hold up an enrolment code there. A second real server (its own data,
id and certificate, advertised by mDNS) whose code is shown gets nothing: not the code's
answer, not a request, not one event of the outbox, whether its code names its own id or
claims the real server's. The real server's next code sends the outbox there, once. A
technician's `--new-server` (root) does move the kiosk, and even then the old server's
unsent events stay held, never sent to the new one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_support import event_count, hr, plant_server, stored
from sqlalchemy import select

from kiosk import events
from kiosk.background.sync import SyncWorker
from kiosk.link.client import KioskClient
from kiosk.link.discovery import Candidate
from kiosk.link.enrolment import enrol
from kiosk.link.locate import Locator, stored_pin
from kiosk.link.trust import EnrolmentPayload
from kiosk.store import Store
from server.models import Kiosk
from server.services.devices.kiosks import issue_code, revoke_kiosk
from support.live_server import LiveServer


class Posted(list):
    def __call__(self, event_type: int, **attrs: object) -> None:
        self.append((event_type, attrs))

    def enrolments(self) -> list[dict[str, object]]:
        return [attrs for kind, attrs in self if kind == events.ENROLMENT]


@pytest.fixture
def servers(tmp_path) -> Iterator[tuple[LiveServer, str, LiveServer, str]]:
    real, code = plant_server(tmp_path / "real")
    rogue, rogue_code = plant_server(tmp_path / "rogue")
    real.start()
    rogue.start()
    try:
        yield real, code, rogue, rogue_code
    finally:
        rogue.stop()
        real.stop()


def kiosk_sync(store: Store, real: LiveServer, rogue: LiveServer, posted: Posted,
               new_server: bool = False) -> SyncWorker:
    """The kiosk's sync worker as `shopfloor-kiosk run` builds it (its enrol scene's
    enrolments go through `enrol`), on a network where the rogue advertises itself."""
    rogue_id = rogue.server_id

    def connect(url: str) -> KioskClient:
        pin = stored_pin(store)
        assert pin is not None
        return KioskClient(url, store.get_setting("token"), tls=pin.context(),
                           server_id=pin.server_id)

    def browse() -> list[Candidate]:
        return [Candidate(rogue.url, rogue_id), Candidate(real.url, real.server_id)]

    return SyncWorker(
        store, None, post=posted, discover=Locator(store, None, browse).find, connect=connect,
        enrol=lambda text: enrol(store, text, browse=browse, new_server=new_server),
        discovery_interval_s=0)


def rogue_kiosk_enrolled(rogue: LiveServer) -> bool:
    return hr(rogue, lambda s: s.scalars(select(Kiosk.enrolled_at)).one()) is not None


def test_a_rogue_code_after_a_401_gets_nothing_and_the_real_server_gets_all_once(
        servers, tmp_path):
    real, code, rogue, rogue_code = servers
    store = Store(tmp_path / "kiosk" / "kiosk.sqlite3")
    posted = Posted()
    worker = kiosk_sync(store, real, rogue, posted)
    try:
        worker.request_enrolment(real.payload(code))
        worker.run_once()
        assert posted.enrolments()[-1]["enrolled"] is True
        hr(real, lambda s: revoke_kiosk(s, "K1", "test"))
        made = [store.enqueue("badge_in", "A00", {"reader": f"fault-{n}"}) for n in range(3)]
        worker.run_once()
        assert posted.enrolments()[-1] == {"enrolled": False, "reason": "unauthorized"}

        # Someone holds up the rogue's code: its own id, and then one that claims the
        # real server's id with the rogue's certificate.
        claims_real_id = EnrolmentPayload(real.server_id, rogue.fingerprint,
                                          rogue_code).text()
        for shown in (rogue.payload(rogue_code), claims_real_id):
            worker.request_enrolment(shown)
            worker.run_once()
            refused = posted.enrolments()[-1]
            assert refused["enrolled"] is False
            assert "sudo shopfloor-kiosk enroll --new-server" in str(refused["reason"])
        worker.run_once()
        assert event_count(rogue) == 0 and not rogue_kiosk_enrolled(rogue)
        assert store.depth() == 3 and stored_pin(store).server_id == real.server_id

        again = hr(real, lambda s: issue_code(s, "K1", "test").code)
        worker.request_enrolment(real.payload(again))
        worker.run_once()  # enrols
        worker.run_once()  # finds the real server with the new token and drains
        assert store.depth() == 0 and set(made) <= set(stored(real))
        assert event_count(rogue) == 0
    finally:
        worker.stop()
        store.close()


def test_a_technician_moves_the_kiosk_and_the_old_servers_events_stay_held(servers,
                                                                        tmp_path: Path):
    real, code, rogue, rogue_code = servers
    store = Store(tmp_path / "kiosk" / "kiosk.sqlite3")
    posted = Posted()
    worker = kiosk_sync(store, real, rogue, posted)
    try:
        worker.request_enrolment(real.payload(code))
        worker.run_once()
        hr(real, lambda s: revoke_kiosk(s, "K1", "test"))
        kept = store.enqueue("badge_in", "A00", {"reader": "fault-0"})
        worker.run_once()  # 401: the token is gone, the event stays
    finally:
        worker.stop()
    # `sudo shopfloor-kiosk enroll --new-server CODE` (the tests run as root)
    enrol(store, rogue.payload(rogue_code), server_url=rogue.url, new_server=True)
    worker = kiosk_sync(store, real, rogue, posted)
    try:
        made = store.enqueue("badge_in", "A00", {"reader": "fault-1"})
        worker.run_once()
        worker.run_once()
        assert list(stored(rogue)) == [made], "the new server gets only its own events"
        assert store.held() == {real.server_id: 1} and store.state_of(kept) is not None
        assert kept not in stored(real)
    finally:
        worker.stop()
        store.close()
