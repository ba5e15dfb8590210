"""The PC/SC badge adapter through a real pcscd, vsmartcard's vpcd and our card emulator:
the card's number is digested with the site key on the reader's thread and goes on, in
memory only, beside the digest."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator

import pytest
from kiosk_fakes import LI_UID, ZHANG_UID, card_credential
from pcsc_support import READER, VPCD_DRIVER, Pcscd, VirtualCard, point_client_at

from kiosk.hardware.badge import PcscBadgeReader

pytestmark = pytest.mark.skipif(
    not (shutil.which("pcscd") and shutil.which("unshare") and VPCD_DRIVER.exists()),
    reason="needs pcscd and vsmartcard-vpcd (scripts/packages/test-kiosk.txt)",
)


REMOVAL_S = 1.0  # pcscd polls vpcd about every 400 ms; let it see the card go


Tap = tuple[str | None, str, float]


class Taps:
    def __init__(self) -> None:
        self.items: list[Tap] = []
        self.numbers: list[str] = []
        self.threads: set[str] = set()
        self.arrived = threading.Condition()

    def __call__(self, credential: str | None, number: str, reader: str, seen_at: float
                 ) -> None:
        with self.arrived:
            self.items.append((credential, reader, seen_at))
            self.numbers.append(number)
            self.arrived.notify_all()

    def wait(self, count: int, timeout: float = 3.0) -> list[Tap]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.items) >= count, timeout)
        return list(self.items)


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory) -> Iterator[Pcscd]:
    daemon = Pcscd(tmp_path_factory.mktemp("pcscd"))
    daemon.start()
    point_client_at(daemon)
    yield daemon
    daemon.stop()


@pytest.fixture
def taps() -> Taps:
    return Taps()


def digest(number: str) -> str:
    """What the kiosk passes the reader: the store's keyed digest (here the test key's)."""
    return card_credential(bytes.fromhex(number))


@pytest.fixture
def reader(pcscd, taps) -> Iterator[PcscBadgeReader]:
    reader = PcscBadgeReader(digest, on_badge=taps)
    reader.start()
    wait_until(lambda: len(reader.readers) == 2)
    yield reader
    reader.stop()


@pytest.fixture
def cards(pcscd) -> Iterator[list[VirtualCard]]:
    made: list[VirtualCard] = []
    yield made
    for card in made:
        card.remove()
    if made:
        time.sleep(REMOVAL_S)


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_tap_reads_the_uid_once_while_held(reader, taps, cards, pcscd):
    card = VirtualCard(pcscd.port, ZHANG_UID)
    cards.append(card)
    card.insert()
    (credential, name, _), = taps.wait(1)
    assert credential == card_credential(ZHANG_UID)
    assert taps.numbers == [ZHANG_UID.hex().upper()]
    assert name == f"{READER} 00 00"
    time.sleep(1.5)
    assert len(taps.items) == 1
    card.remove()
    time.sleep(REMOVAL_S)
    card.insert()
    assert len(taps.wait(2)) == 2


def test_two_readers(reader, taps, cards, pcscd):
    first = VirtualCard(pcscd.port, ZHANG_UID)
    second = VirtualCard(pcscd.port + 1, LI_UID)
    cards += [first, second]
    first.insert()
    second.insert()
    got = taps.wait(2)
    assert {(c, r) for c, r, _ in got} == {
        (card_credential(ZHANG_UID), f"{READER} 00 00"),
        (card_credential(LI_UID), f"{READER} 00 01"),
    }


def test_survives_pcscd_going_away_and_back(reader, taps, cards, pcscd):
    pcscd.stop()
    wait_until(lambda: reader.readers == [], timeout=5)
    pcscd.start()
    wait_until(lambda: len(reader.readers) == 2, timeout=8)
    card = VirtualCard(pcscd.port, ZHANG_UID)
    cards.append(card)
    card.insert()
    assert taps.wait(1, timeout=4)[0][0] == card_credential(ZHANG_UID)


def test_no_site_key_yet_still_reports_the_number(reader, taps, cards, pcscd):
    reader._digest = lambda number: None  # enrolled before keys: the roster cannot match
    card = VirtualCard(pcscd.port, LI_UID)
    cards.append(card)
    card.insert()
    assert taps.wait(1)[0][0] is None and taps.numbers == ["0BADC0DE"]


def test_a_failing_digest_is_logged_without_the_number(reader, taps, cards, pcscd, caplog):
    def broken(number: str) -> str:
        raise ValueError(f"cannot digest {number}")

    reader._digest = broken
    card = VirtualCard(pcscd.port, LI_UID)
    cards.append(card)
    card.insert()
    assert taps.wait(1)[0][0] is None
    text = " ".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "badge_digest_failed" in text and "0BADC0DE" not in text.upper()


def test_stop_is_prompt(pcscd, taps):
    reader = PcscBadgeReader(digest, on_badge=taps)
    reader.start()
    wait_until(lambda: len(reader.readers) == 2)
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 1.0


def test_card_tap_shows_the_scorecard(pcscd, make_app, cards, store):
    from kiosk_fakes import give_test_keys, scorecard_json

    app = make_app()
    give_test_keys(store)
    store.save_scorecard("W001", "week", scorecard_json())
    reader = PcscBadgeReader(store.card_credential)
    reader.start()
    try:
        wait_until(lambda: len(reader.readers) == 2)
        card = VirtualCard(pcscd.port, ZHANG_UID)
        cards.append(card)
        card.insert()
        deadline = time.monotonic() + 3
        while app.scenes.top.name != "scorecard" and time.monotonic() < deadline:
            app.step()
            time.sleep(0.005)
        app.step()
    finally:
        reader.stop()
    assert app.scenes.top.worker.code == "W001"
    assert app.scorecard_latencies[0] < 0.25
