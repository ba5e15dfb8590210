"""Enrolment from the enrol scene's path and revocation, against a real server: the sync
worker enrols with a scanned code, loses its token when HR revokes the kiosk, keeps what it
could not send, and sends it exactly once after HR's next code is scanned."""

from __future__ import annotations

from fault_support import plant_server, stored

from kiosk import events
from kiosk.background.sync import SyncWorker
from kiosk.link.client import KioskClient
from kiosk.link.enrolment import enrol
from kiosk.link.locate import Locator, stored_pin
from kiosk.store import Store
from server.db import make_engine, make_sessionmaker
from server.services.devices.kiosks import issue_code, revoke_kiosk


def hr(server, action):  # type: ignore[no-untyped-def]
    engine = make_engine(server.env["SHOPFLOOR_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as session:
            result = action(session)
            session.commit()
            return result
    finally:
        engine.dispose()


def test_revoked_kiosk_keeps_its_events_and_sends_them_once_after_enrolling_again(tmp_path):
    server, code = plant_server(tmp_path / "server")
    server.start()
    store = Store(tmp_path / "kiosk" / "kiosk.sqlite3")
    posted: list[tuple[int, dict]] = []
    try:
        def connect(url: str) -> KioskClient:
            pin = stored_pin(store)
            assert pin is not None
            return KioskClient(url, store.get_setting("token"), tls=pin.context())

        worker = SyncWorker(
            store, None, post=lambda kind, **attrs: posted.append((kind, attrs)),
            discover=Locator(store, None, lambda: ()).find, connect=connect,
            enrol=lambda text: enrol(store, text, server_url=server.url),
            discovery_interval_s=0)
        worker.request_enrolment(server.payload(code))
        store.enqueue("badge_in", "A00", {"reader": "fault-0"})
        worker.run_once()
        assert posted[0] == (events.ENROLMENT, {"enrolled": True, "reason": None,
                                                "kiosk": "K1"})
        worker.run_once()
        assert store.depth() == 0 and len(stored(server)) == 1

        hr(server, lambda s: revoke_kiosk(s, "K1", "test"))
        made = [store.enqueue("badge_in", "A00", {"reader": f"fault-{n}"}) for n in (1, 2, 3)]
        worker.run_once()
        assert (events.ENROLMENT, {"enrolled": False, "reason": "unauthorized"}) in posted
        assert store.get_setting("token") is None and store.depth() == 3
        assert len(stored(server)) == 1

        again = hr(server, lambda s: issue_code(s, "K1", "test").code)
        worker.request_enrolment(server.payload(again))
        worker.run_once()  # enrols
        worker.run_once()  # finds the server with the new token and drains
        assert store.depth() == 0
        on_server = stored(server)
        assert set(made) <= set(on_server) and sorted(on_server.values()) == [0, 1, 2, 3]
        worker.stop()
    finally:
        store.close()
        server.stop()
