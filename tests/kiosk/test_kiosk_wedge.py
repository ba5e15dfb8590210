"""Keyboard-wedge card readers (kiosk/hardware/wedge.py and the app's SDL path).

- The evdev key decoding, with evdev's own event objects built by hand.
- Which input devices are card readers, from a sysfs tree made in the test.
- The reader thread with devices that behave like grabbed evdev devices (a pipe for the
  file descriptor): a number typed, a bad one, a reader unplugged, one refused.
- The app: digits typed through SDL in the roster's card format are a card, anything else
  stays a QR badge; reversed and `2H,4H` formats.
- Through real parts: `shopfloor-server run` with SHOPFLOOR_CARD_REVERSED, a card assigned
  with `shopfloor-server badge assign --uid` of `card_hex` of its printed number, and
  `shopfloor-kiosk run` in an Xvfb window into which `xdotool type` types that number: the
  worker's scorecard opens and the server gets `badge_in` with `kind: card`.
- Through evdev with a virtual keyboard on /dev/uinput, where the kernel has it (skipped,
  with the reason, where it does not).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest
from evdev import InputEvent, ecodes
from kiosk_fakes import ALICE_QR, card_credential, give_test_keys, roster_json

from kiosk.app import App
from kiosk.hardware import wedge
from kiosk.hardware.wedge import (
    KEY_CHARS,
    InputNode,
    KeyDecoder,
    WedgeReaders,
    card_reader_nodes,
    input_nodes,
    is_card_reader,
    typed_card,
)
from kiosk.model import CardFormat, Roster
from shopfloor_trust.cards import card_hex

PRINTED = "0013748911"  # the number on the card, as a 10D reader types it
HEX = card_hex(PRINTED, "10D")  # 00D1CAAF
SYC = "Sycreader RFID Technology Co., Ltd SYC ID&IC USB Reader"

# --- evdev events as a reader sends them -------------------------------------------------

_CODES = {**{str(d): getattr(ecodes, f"KEY_{d}") for d in range(10)},
          **{c: getattr(ecodes, f"KEY_{c}") for c in "ABCDEF"}, ",": ecodes.KEY_COMMA}


def keystrokes(text: str, start: float = 1000.0, gap: float = 0.004, *,
               enter: int = ecodes.KEY_ENTER, shift_letters: bool = True) -> list[InputEvent]:
    """What a reader's key presses look like on an event device: down, SYN, up, SYN per key
    (with Shift around upper-case letters), then Enter."""
    made: list[InputEvent] = []
    clock = [start]

    def key(code: int, value: int) -> None:
        clock[0] += gap / 4
        sec, usec = int(clock[0]), int(clock[0] % 1 * 1e6)
        made.append(InputEvent(sec, usec, ecodes.EV_KEY, code, value))
        made.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))

    for char in text:
        shifted = shift_letters and char.isalpha()
        if shifted:
            key(ecodes.KEY_LEFTSHIFT, 1)
        key(_CODES[char.upper()], 1)
        key(_CODES[char.upper()], 0)
        if shifted:
            key(ecodes.KEY_LEFTSHIFT, 0)
    key(enter, 1)
    key(enter, 0)
    return made


def decode(decoder: KeyDecoder, items: list[InputEvent]) -> list[str]:
    return [text for text in map(decoder.feed, items) if text is not None]


# --- the key decoder ---------------------------------------------------------------------


def test_the_key_table_is_evdevs():
    """The decoder's own key codes (it imports no evdev) are linux/input-event-codes.h's."""
    names = {code: ecodes.KEY[code] for code in KEY_CHARS}
    for code, char in KEY_CHARS.items():
        name = names[code]
        assert name in (f"KEY_{char}", f"KEY_KP{char}") or (char == "," and name in (
            "KEY_COMMA", "KEY_KPCOMMA")), (code, char, name)
    assert (wedge.KEY_ENTER, wedge.KEY_KPENTER) == (ecodes.KEY_ENTER, ecodes.KEY_KPENTER)
    assert wedge.EV_KEY == ecodes.EV_KEY


def test_a_number_and_enter():
    assert decode(KeyDecoder(), keystrokes(PRINTED)) == [PRINTED]


def test_keypad_digits_and_keypad_enter_whatever_num_lock_says():
    keypad = {str(d): getattr(ecodes, f"KEY_KP{d}") for d in range(10)}
    made = [InputEvent(1000, i * 1000, ecodes.EV_KEY, keypad[c], 1)
            for i, c in enumerate(PRINTED)]
    made += [InputEvent(1000, 20000, ecodes.EV_KEY, ecodes.KEY_NUMLOCK, 1),
             InputEvent(1000, 21000, ecodes.EV_KEY, ecodes.KEY_KPENTER, 1)]
    assert decode(KeyDecoder(), made) == [PRINTED]


def test_hex_letters_with_or_without_shift_and_the_comma():
    decoder = KeyDecoder()
    assert decode(decoder, keystrokes("00d1caaf")) == ["00D1CAAF"]
    assert decode(decoder, keystrokes("00d1caaf", start=2000, shift_letters=False)) == \
        ["00D1CAAF"]
    assert decode(decoder, keystrokes("111,27706", start=3000)) == ["111,27706"]


def test_releases_repeats_and_syn_type_nothing():
    made = keystrokes("12")
    made.insert(2, InputEvent(1000, 1500, ecodes.EV_KEY, ecodes.KEY_1, 2))  # auto-repeat
    assert decode(KeyDecoder(), made) == ["12"]


def test_a_key_no_card_number_has_spoils_the_number():
    made = keystrokes("0013748911")
    made.insert(6, InputEvent(1000, 2500, ecodes.EV_KEY, ecodes.KEY_Q, 1))
    decoder = KeyDecoder()
    assert decode(decoder, made) == []
    # the next number is read again
    assert decode(decoder, keystrokes(PRINTED, start=1000.1)) == [PRINTED]


def test_a_pause_starts_a_new_number():
    """Half a number (a card pulled away mid-read) must not prefix the next one."""
    half = [e for e in keystrokes("00137")[:-4]]  # no Enter
    rest = keystrokes(PRINTED, start=1005.0)
    assert decode(KeyDecoder(), half + rest) == [PRINTED]


def test_enter_alone_and_overlong_input_give_nothing():
    decoder = KeyDecoder()
    assert decode(decoder, keystrokes("")) == []
    assert decode(decoder, keystrokes("1" * (wedge.MAX_LENGTH + 1), start=2000)) == []
    assert decode(decoder, keystrokes("1" * wedge.MAX_LENGTH, start=3000)) == \
        ["1" * wedge.MAX_LENGTH]


# --- card number or QR secret ------------------------------------------------------------


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    (PRINTED, CardFormat("10D"), HEX),
    (PRINTED, CardFormat("10D", reversed=True), "AFCAD100"),
    ("00d1caaf", CardFormat("8H"), HEX),
    ("111,27706", CardFormat("2H,4H"), "6F6C3A"),
    ("13748911", CardFormat("6H8D"), "D1CAAF"),
    ("13748911", CardFormat("10D"), None),  # a reader types every digit
    ("SF-QR-8d1c2e7a44", CardFormat("10D"), None),
    ("SFK1:abc:DEF:123", CardFormat("10D"), None),
    (PRINTED, CardFormat(""), None),  # a format this kiosk does not know
])
def test_typed_text_is_a_card_only_in_the_sites_format(text, fmt, expected):
    assert typed_card(text, fmt) == expected


def test_a_card_readers_other_output_is_its_hex():
    """From a device known to be a card reader, hex that is not the site's format is the
    card's bytes as the reader gives them (a reader set to type MIFARE UIDs)."""
    assert typed_card("04a1b2c3d4e5f6", CardFormat("10D"), any_hex=True) == "04A1B2C3D4E5F6"
    assert typed_card(PRINTED, CardFormat("10D"), any_hex=True) == HEX  # the format first
    assert typed_card("123", CardFormat("10D"), any_hex=True) is None  # half a byte
    assert typed_card("111,27706", CardFormat("10D"), any_hex=True) is None


def test_the_roster_carries_the_format():
    assert Roster.from_json({"workers": []}).card_format == CardFormat("10D", False)
    body = {"card_format": {"format": "2h,4h", "reversed": True}}
    assert Roster.from_json(body).card_format == CardFormat("2H,4H", True)
    assert Roster.from_json({"card_format": {"format": "99Z"}}).card_format.format == ""
    assert Roster.from_json({"card_format": "10D"}).card_format == CardFormat()
    assert Roster.from_json({"card_format": {"reversed": "yes"}}).card_format == CardFormat()


# --- which devices are card readers ------------------------------------------------------

KEYBOARD_KEYS = set(range(1, 89)) | {96}  # a full keyboard's first keys and keypad Enter
DIGITS_ENTER = {*range(2, 12), 28}


def bitmap(codes: set[int]) -> str:
    """A capability bitmap as sysfs prints it: hex longs, most significant first."""
    words: dict[int, int] = {}
    for code in codes:
        words[code // 64] = words.get(code // 64, 0) | 1 << code % 64
    top = max(words, default=0)
    return " ".join(f"{words.get(i, 0):x}" for i in range(top, -1, -1))


def make_node(sys_input: Path, number: int, name: str, usb: str, keys: set[int]) -> None:
    device = sys_input / f"event{number}" / "device"
    (device / "id").mkdir(parents=True)
    (device / "capabilities").mkdir()
    (device / "name").write_text(name + "\n")
    vendor, product = usb.split(":")
    (device / "id" / "vendor").write_text(vendor + "\n")
    (device / "id" / "product").write_text(product + "\n")
    (device / "capabilities" / "key").write_text(bitmap(keys) + "\n")


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    """A kiosk's input devices: a keyboard, a mouse, a QR scanner, a card reader that says
    so, its consumer-control node, an unnamed reader, a reader that types on the keypad."""
    root = tmp_path / "sys-class-input"
    root.mkdir()
    make_node(root, 0, "AT Translated Set 2 keyboard", "0001:0001", KEYBOARD_KEYS)
    make_node(root, 1, "Logitech USB Optical Mouse", "046d:c077", {272, 273, 274})
    make_node(root, 2, "Newland Auto-ID NLS-HR22 Barcode Scanner", "1eab:1a03",
              KEYBOARD_KEYS)
    make_node(root, 3, SYC, "ffff:0035", KEYBOARD_KEYS)
    make_node(root, 4, SYC + " Consumer Control", "ffff:0035", {113, 114, 115})
    make_node(root, 10, "USB Reader", "08ff:0009", DIGITS_ENTER)
    make_node(root, 11, "RFIDeas USB Keyboard", "0c27:3bfa",
              {*range(71, 83), 96} - {74, 78})  # keypad digits and keypad Enter only
    return root


def test_input_nodes_from_sysfs(sysfs):
    nodes = {node.path: node for node in input_nodes(sysfs, Path("/dev/input"))}
    assert list(nodes)[:3] == ["/dev/input/event0", "/dev/input/event1", "/dev/input/event2"]
    reader = nodes["/dev/input/event3"]
    assert (reader.name, reader.usb, reader.keyboard) == (SYC, "ffff:0035", True)
    assert not nodes["/dev/input/event1"].keyboard
    assert not nodes["/dev/input/event4"].keyboard
    assert nodes["/dev/input/event11"].keyboard  # keypad digits count
    assert list(nodes)[-2:] == ["/dev/input/event10", "/dev/input/event11"]  # by number


def test_readers_are_found_by_name_conservatively(sysfs):
    found = [n.path for n in card_reader_nodes(sys_input=sysfs, dev_input=Path("/dev/input"))]
    # not the keyboard, the mouse, the QR scanner, the consumer-control node or the
    # reader whose name says nothing
    assert found == ["/dev/input/event3", "/dev/input/event11"]


def test_readers_are_found_by_usb_id(sysfs):
    found = [n.path for n in card_reader_nodes({(0x08FF, 0x0009)}, sys_input=sysfs,
                                               dev_input=Path("/dev/input"))]
    assert found == ["/dev/input/event3", "/dev/input/event10", "/dev/input/event11"]
    # a configured id that is not keyboard-like is still not taken
    mouse = InputNode("/dev/input/event1", "Mouse", 0x046D, 0xC077, keyboard=False)
    assert not is_card_reader(mouse, {(0x046D, 0xC077)})


@pytest.mark.parametrize(("name", "reader"), [
    ("IC Reader RFID Reader", True), ("HID OMNIKEY 5427 CK id card reader", True),
    ("SYC ID&IC USB Reader", True), ("EM4100 125KHz Reader", True),
    ("Generic 125 kHz Proximity", True),
    ("USB Keyboard", False), ("Honeywell Barcode Scanner", False),
    ("Smart Card Reader Keyboard", False), ("Android ID Cardboard", False), ("", False),
])
def test_reader_names(name, reader):
    node = InputNode("/dev/input/event9", name, 1, 2, keyboard=True)
    assert is_card_reader(node) is reader


def test_no_sysfs_means_no_devices(tmp_path):
    assert input_nodes(tmp_path / "missing", Path("/dev/input")) == []


# --- the reader thread -------------------------------------------------------------------


class FakeDevice:
    """Behaves like a grabbed, non-blocking evdev device: a pipe is its file descriptor,
    ``read`` hands over what was typed or raises BlockingIOError, and an unplugged one
    raises ENODEV."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._pending: deque[InputEvent] = deque()
        self._lock = threading.Lock()
        self.gone = False
        self.closed = False

    def fileno(self) -> int:
        return self._r

    def type(self, items: list[InputEvent]) -> None:
        with self._lock:
            self._pending.extend(items)
        os.write(self._w, b"k")

    def unplug(self) -> None:
        self.gone = True
        os.write(self._w, b"x")

    def read(self) -> Iterator[InputEvent]:
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        with contextlib.suppress(BlockingIOError):
            os.read(self._r, 4096)
        with self._lock:
            if not self._pending:
                raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
            taken, self._pending = list(self._pending), deque()
        return iter(taken)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._r)
            os.close(self._w)


class Devices:
    """open_device for WedgeReaders: FakeDevices by path, or an error for refused paths."""

    def __init__(self, refuse: dict[str, OSError] | None = None) -> None:
        self.opened: dict[str, FakeDevice] = {}
        self.refuse = refuse or {}

    def __call__(self, path: str) -> FakeDevice:
        if path in self.refuse:
            raise self.refuse[path]
        self.opened[path] = FakeDevice(path)
        return self.opened[path]


class Cards:
    """on_badge: what the thread posts, and on which thread."""

    def __init__(self) -> None:
        self.items: list[tuple[str | None, str, str, str]] = []
        self.arrived = threading.Condition()

    def __call__(self, credential: str | None, number: str, reader: str, seen_at: float
                 ) -> None:
        with self.arrived:
            self.items.append((credential, number, reader, threading.current_thread().name))
            self.arrived.notify_all()

    def wait(self, count: int, timeout: float = 3.0) -> list[tuple[str | None, str, str, str]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.items) >= count, timeout)
        return list(self.items)


def digest(number: str) -> str:
    return card_credential(bytes.fromhex(number))


def log_lines(caplog: pytest.LogCaptureFixture, event: str | None = None) -> list[dict]:
    return [{"event": r.getMessage(), **getattr(r, "fields", {})} for r in caplog.records
            if r.name.startswith("kiosk") and (event is None or r.getMessage() == event)]


@contextlib.contextmanager
def readers(sysfs: Path, devices: Devices, cards: Cards,
            fmt: Callable[[], CardFormat] = CardFormat, **options: Any
            ) -> Iterator[WedgeReaders]:
    service = WedgeReaders(digest, fmt, on_badge=cards, open_device=devices,
                           sys_input=sysfs, dev_input=Path("/dev/input"), **options)
    service.start()
    try:
        yield service
    finally:
        service.stop()


def test_a_grabbed_reader_types_a_card(sysfs, caplog):
    devices, cards = Devices(), Cards()
    caplog.set_level("INFO", logger="kiosk")
    with readers(sysfs, devices, cards) as service:
        assert sorted(devices.opened) == ["/dev/input/event11", "/dev/input/event3"]
        devices.opened["/dev/input/event3"].type(keystrokes(PRINTED))
        (credential, number, reader, thread), = cards.wait(1)
    assert (credential, number, reader) == (digest(HEX), HEX, SYC)
    assert thread == "kiosk-wedge"  # the ~25 ms digest never on the UI thread
    assert all(device.closed for device in devices.opened.values())  # the grab let go
    added = log_lines(caplog, "reader_added")
    assert {line["usb"] for line in added} == {"ffff:0035", "0c27:3bfa"}
    assert log_lines(caplog, "wedge_fallback") == []
    assert service.found() == []  # stopped: nothing held
    text = json.dumps(log_lines(caplog), ensure_ascii=False)
    assert PRINTED not in text and HEX not in text.upper()


def test_the_roster_format_in_force_when_the_card_is_read(sysfs):
    devices, cards = Devices(), Cards()
    current = [CardFormat("10D")]
    with readers(sysfs, devices, cards, fmt=lambda: current[0]):
        current[0] = CardFormat("10D", reversed=True)  # a new roster came
        devices.opened["/dev/input/event3"].type(keystrokes(PRINTED))
        assert cards.wait(1)[0][1] == "AFCAD100"


def test_everything_a_reader_types_is_a_card_or_nothing(sysfs, caplog):
    """Hex in another layout is the card's bytes; text that is not a card is dropped with
    a line that does not repeat it; nothing of it goes on as a QR badge."""
    devices, cards = Devices(), Cards()
    caplog.set_level("INFO", logger="kiosk")
    with readers(sysfs, devices, cards):
        reader = devices.opened["/dev/input/event3"]
        reader.type(keystrokes("04a1b2c3d4e5f6"))
        assert cards.wait(1)[0][1] == "04A1B2C3D4E5F6"
        reader.type(keystrokes("123", start=2000))
        deadline = time.monotonic() + 3
        while not log_lines(caplog, "badge_unreadable") and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(cards.items) == 1
    (line,) = log_lines(caplog, "badge_unreadable")
    assert line["reader"] == SYC and "123" not in json.dumps(line)


def test_a_reader_unplugged_is_let_go_and_one_plugged_in_is_taken(sysfs, tmp_path, caplog):
    devices, cards = Devices(), Cards()
    caplog.set_level("INFO", logger="kiosk")
    with readers(sysfs, devices, cards, rescan_s=0.05) as service:
        devices.opened["/dev/input/event3"].unplug()
        deadline = time.monotonic() + 3
        while not log_lines(caplog, "reader_removed") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert log_lines(caplog, "reader_removed")[0]["device"] == "/dev/input/event3"
        assert devices.opened["/dev/input/event3"].closed
        shutil.rmtree(sysfs / "event3")
        make_node(sysfs, 12, "OKE RFID Reader", "1a86:dd01", DIGITS_ENTER)
        deadline = time.monotonic() + 3
        while "/dev/input/event12" not in devices.opened and time.monotonic() < deadline:
            time.sleep(0.01)
        devices.opened["/dev/input/event12"].type(keystrokes(PRINTED))
        assert cards.wait(1)[0][1:3] == (HEX, "OKE RFID Reader")
        assert [row["path"] for row in service.found()] == ["/dev/input/event11",
                                                            "/dev/input/event12"]


def test_no_reader_to_open_falls_back_to_sdl_in_one_line(sysfs, caplog):
    denied = PermissionError(errno.EACCES, "Permission denied")
    devices = Devices(refuse={"/dev/input/event3": denied, "/dev/input/event11": denied})
    caplog.set_level("INFO", logger="kiosk")
    with readers(sysfs, devices, Cards()) as service:
        found = service.found()
    (line,) = log_lines(caplog, "wedge_fallback")
    assert "/dev/input/event3 (" + SYC + "): Permission denied" in line["reason"]
    assert "SDL" in line["reads"]
    assert [(row["path"], row["grabbed"], row["error"]) for row in found] == [
        ("/dev/input/event11", False, "Permission denied"),
        ("/dev/input/event3", False, "Permission denied")]
    assert len(log_lines(caplog, "wedge_refused")) == 2


def test_no_reader_at_all_falls_back_too(tmp_path, caplog):
    caplog.set_level("INFO", logger="kiosk")
    with readers(tmp_path / "no-sysfs", Devices(), Cards()):
        pass
    (line,) = log_lines(caplog, "wedge_fallback")
    assert line["reason"] == "no card reader among the input devices"


def test_numbers_typed_through_sdl_are_digested_on_the_wedge_thread(tmp_path):
    cards = Cards()
    with readers(tmp_path / "no-sysfs", Devices(), cards) as service:
        service.typed(HEX, "keyboard", time.perf_counter())
        assert cards.wait(1) == [(digest(HEX), HEX, "keyboard", "kiosk-wedge")]


def test_a_failing_digest_or_callback_does_not_stop_the_thread(sysfs, caplog):
    devices, cards = Devices(), Cards()
    calls = []

    def flaky(number: str) -> str:
        calls.append(number)
        if len(calls) == 1:
            raise ValueError(f"cannot digest {number}")
        return digest(number)

    caplog.set_level("INFO", logger="kiosk")
    service = WedgeReaders(flaky, CardFormat, on_badge=cards, open_device=devices,
                           sys_input=sysfs, dev_input=Path("/dev/input"))
    service.start()
    try:
        reader = devices.opened["/dev/input/event3"]
        reader.type(keystrokes(PRINTED))
        reader.type(keystrokes(PRINTED, start=2000))
        items = cards.wait(2)
    finally:
        service.stop()
    assert [item[0] for item in items] == [None, digest(HEX)]  # the first goes by number
    assert PRINTED not in json.dumps(log_lines(caplog)) and HEX not in json.dumps(
        log_lines(caplog))


# --- the app: typed through SDL ----------------------------------------------------------


def type_text(app: App, text: str) -> None:
    """A reader (or scanner) typing through SDL: TEXTINPUT per character, then Return."""
    for char in text:
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=char))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="\r", scancode=40))
    app.step()  # the burst -> a BADGE event (the digest is made on the way)
    app.step()  # the BADGE -> the card


def sent(app: App) -> list[tuple[str | None, dict[str, Any]]]:
    return [(item.worker, item.payload) for item in app.ctx.store.claim_batch(100)
            if item.kind == "badge_in"]


def with_card(number_hex: str, card_format: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sample roster with A's card W100 (王芳) by its bytes, and the site's format."""
    roster = roster_json()
    worker = next(w for w in roster["workers"] if w["code"] == "W100")
    worker["badges"] = [{"kind": "card", "hash": digest(number_hex)}]
    if card_format is not None:
        roster["card_format"] = card_format
    return roster


@pytest.fixture
def card_app(make_app, store) -> Callable[..., App]:
    def make(roster: dict[str, Any]) -> App:
        give_test_keys(store)
        app = make_app(roster=False)
        store.save_roster(roster, '"r-wedge"')
        app.reload_roster()
        return app
    return make


def test_a_typed_card_number_opens_the_workers_card(card_app):
    app = card_app(with_card(HEX))
    type_text(app, PRINTED)
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == "W100"
    assert sent(app) == [("W100", {"kind": "card", "reader": "keyboard"})]


def test_an_unknown_typed_card_goes_to_hr_by_its_bytes(card_app):
    app = card_app(with_card(HEX))
    type_text(app, "0000000042")
    assert app.scenes.top.name == "unknown_badge"
    assert sent(app) == [(None, {"card_number": "0000002A", "kind": "card",
                                 "reader": "keyboard"})]


def test_a_qr_secret_typed_stays_a_qr_badge(card_app):
    app = card_app(with_card(HEX))
    type_text(app, ALICE_QR)
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == "W002"
    assert sent(app) == [("W002", {"kind": "qr", "reader": "keyboard"})]


def test_digits_not_in_the_sites_format_are_not_a_card(card_app):
    """A 10D site: eight digits are no card number (a reader types all ten)."""
    app = card_app(with_card(HEX))
    type_text(app, "13748911")
    assert sent(app)[0][1]["kind"] == "qr"


@pytest.mark.parametrize(("card_format", "typed", "number_hex"), [
    ({"format": "10D", "reversed": True}, PRINTED, "AFCAD100"),
    ({"format": "2H,4H", "reversed": False}, "111,27706", "6F6C3A"),
    ({"format": "8H", "reversed": False}, "00d1caaf", HEX),
])
def test_the_rosters_format_decides(card_app, card_format, typed, number_hex):
    app = card_app(with_card(number_hex, card_format))
    type_text(app, typed)
    assert app.scenes.top.name == "scorecard" and app.scenes.top.worker.code == "W100"
    assert sent(app)[0][1]["kind"] == "card"


def test_the_app_hands_typed_numbers_to_the_wedge_thread(make_app, store, tmp_path):
    """In `shopfloor-kiosk run` the wedge service takes the app's typed numbers: the card
    is digested on its thread and comes back as the same BADGE event."""
    give_test_keys(store)
    threads: list[str] = []

    def credential(number: str) -> str | None:
        threads.append(threading.current_thread().name)
        return store.card_credential(number)

    service = WedgeReaders(credential, lambda: app.roster.card_format,
                           sys_input=tmp_path / "no-sysfs")
    app = make_app(roster=False)
    store.save_roster(with_card(HEX), '"r-wedge"')
    app.reload_roster()
    app.cards = service
    service.start()
    try:
        for char in PRINTED:
            pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=char))
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                             unicode="\r", scancode=40))
        deadline = time.monotonic() + 5
        while app.scenes.top.name != "scorecard" and time.monotonic() < deadline:
            app.step()
            time.sleep(0.01)
    finally:
        service.stop()
    assert app.scenes.top.worker.code == "W100"
    assert threads == ["kiosk-wedge"]


# --- the command line ----------------------------------------------------------------------


def test_card_readers_on_the_command_line(tmp_path):
    from kiosk.__main__ import make_config, parse_args

    args = parse_args(["run", "--card-reader", "ffff:0035", "--card-reader", "08FF:0009"])
    assert make_config(args).card_readers == ((0xFFFF, 0x0035), (0x08FF, 0x0009))
    assert make_config(parse_args(["run"])).card_readers == ()


@pytest.mark.parametrize("bad", ["ffff", "ffff:35", "xyz1:0035", "ffff:0035:1", ":"])
def test_a_bad_usb_id_is_a_usage_error(bad, capsys):
    from kiosk.__main__ import parse_args

    with pytest.raises(SystemExit) as exit_:
        parse_args(["run", "--card-reader", bad])
    assert exit_.value.code == 2
    assert "VID:PID in hex" in capsys.readouterr().err


def test_status_lists_the_readers(tmp_path, capsys, monkeypatch, sysfs):
    from kiosk.__main__ import main

    dev_input = tmp_path / "dev-input"
    dev_input.mkdir()
    (dev_input / "event3").write_bytes(b"")  # the one device node this user may open
    monkeypatch.setattr(wedge, "SYS_INPUT", sysfs)
    monkeypatch.setattr(wedge, "DEV_INPUT", dev_input)
    assert main(["status", "--data-dir", str(tmp_path), "--json", "--card-reader",
                 "08ff:0009"]) == 0
    found = json.loads(capsys.readouterr().out)["readers"]
    assert isinstance(found["pcsc"], list) and isinstance(found["cameras"], list)
    assert [(Path(row["path"]).name, row["usb"], row["card_reader"], row["readable"])
            for row in found["wedge"]] == [
        ("event0", "0001:0001", False, False),
        ("event2", "1eab:1a03", False, False),
        ("event3", "ffff:0035", True, True),
        ("event10", "08ff:0009", True, False),
        ("event11", "0c27:3bfa", True, False)]


# --- through evdev: a virtual keyboard on /dev/uinput -------------------------------------


def test_a_virtual_reader_on_uinput_is_grabbed_and_read():
    """python-evdev makes a keyboard named as an RFID reader through /dev/uinput; the
    service finds it in sysfs, grabs it and reads the number by key codes; a second
    reader of the same device sees none of its keys while it is grabbed."""
    if not os.path.exists("/dev/uinput"):
        pytest.skip("needs /dev/uinput (the uinput kernel module) to make a virtual "
                    "keyboard; this kernel or container has none")
    from evdev import InputDevice, UInput, UInputError

    keys = [*(getattr(ecodes, f"KEY_{d}") for d in range(10)), ecodes.KEY_ENTER]
    try:
        virtual = UInput({ecodes.EV_KEY: keys}, name="Test RFID Reader", vendor=0xFFFF,
                         product=0x0035)
    except (OSError, UInputError) as exc:
        pytest.skip(f"needs /dev/uinput that makes a virtual keyboard with its /dev/input "
                    f"node (writable, udev or devtmpfs): {exc!r}")
    cards = Cards()
    try:
        deadline = time.monotonic() + 5
        while virtual.device is None or not os.path.exists(virtual.device.path):
            if time.monotonic() > deadline:
                pytest.skip("no /dev/input node appeared for the virtual keyboard (udev "
                            "does not run here)")
            time.sleep(0.05)
        path = virtual.device.path
        service = WedgeReaders(digest, CardFormat, on_badge=cards)
        service.start()
        try:
            assert {"path": path, "grabbed": True}.items() <= next(
                row for row in service.found() if row["path"] == path).items()
            onlooker = InputDevice(path)
            try:
                for char in PRINTED:
                    virtual.write(ecodes.EV_KEY, _CODES[char], 1)
                    virtual.write(ecodes.EV_KEY, _CODES[char], 0)
                    virtual.syn()
                virtual.write(ecodes.EV_KEY, ecodes.KEY_ENTER, 1)
                virtual.write(ecodes.EV_KEY, ecodes.KEY_ENTER, 0)
                virtual.syn()
                assert cards.wait(1)[0][:3] == (digest(HEX), HEX, "Test RFID Reader")
                assert onlooker.read_one() is None, "the grab let keys through"
            finally:
                onlooker.close()
        finally:
            service.stop()
    finally:
        virtual.close()


# --- through real parts: the server, the kiosk in an X window, xdotool --------------------

needs_x = pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                             reason="needs xvfb and xdotool (scripts/packages/test-kiosk.txt)")
WORKER = "A03"


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def build_site(folder: Path) -> tuple[str, str]:
    """Workshop W1 with three workers and a kiosk; returns the database URL and the
    kiosk's one-time code."""
    from server.db import make_engine, make_sessionmaker, migrate
    from server.models import Worker, Workshop
    from server.services.devices.identity import ensure_server_id
    from server.services.devices.kiosks import add_kiosk

    url = f"sqlite:///{folder / 'shopfloor.db'}"
    engine = make_engine(url)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            ensure_server_id(session)
            w1 = Workshop(code="W1", name="机加工车间")
            session.add_all([w1, *(Worker(code=f"A0{i}", name=f"工人{i}", workshop=w1)
                                   for i in range(1, 4))])
            session.flush()
            code = add_kiosk(session, "wedge-kiosk", ["W1"], "test").code
            session.commit()
    finally:
        engine.dispose()
    return url, code


class KioskLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8")
                .splitlines() if line.strip()]

    def wait(self, match: dict[str, Any], timeout: float = 15, after: int = 0
             ) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            return next((line for line in self.lines()[after:]
                         if all(line.get(k) == v for k, v in match.items())), None)
        try:
            found: dict[str, Any] = wait_for(f"kiosk log {match}", find, timeout)
        except AssertionError:
            seen = [(line.get("event"), line.get("scene")) for line in self.lines()]
            raise AssertionError(f"no kiosk log line {match}; saw {seen}") from None
        return found


def server_badge_ins(database_url: str) -> list[tuple[str | None, dict[str, Any]]]:
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT w.code, e.payload FROM events e LEFT JOIN workers w ON w.id = e.worker_id "
            "WHERE e.kind = 'badge_in' ORDER BY e.id").fetchall()
    return [(code, json.loads(payload)) for code, payload in rows]


def unknown_taps(database_url: str) -> list[tuple[str, str | None]]:
    path = database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return db.execute("SELECT kind, number FROM unknown_taps ORDER BY id").fetchall()


@needs_x
@pytest.mark.slow
def test_a_card_typed_into_the_kiosk_window_opens_its_workers_card(tmp_path):
    from support.live_server import LiveServer
    from support.xvfb import xvfb_display

    folder = tmp_path / "server"
    folder.mkdir()
    database_url, code = build_site(folder)
    # A reversed site: a kiosk that ignored the roster's card_format would read another card.
    server = LiveServer(folder, env={"SHOPFLOOR_DATABASE_URL": database_url,
                                     "SHOPFLOOR_CARD_FORMAT": "10D",
                                     "SHOPFLOOR_CARD_REVERSED": "1"})
    number_hex = card_hex(PRINTED, "10D", reverse=True)
    assert number_hex == "AFCAD100"
    server.start(timeout=60)
    try:
        assigned = subprocess.run(
            [sys.executable, "-m", "server.cli", "badge", "assign", WORKER, "--uid",
             number_hex, "--json"], env=server.env, capture_output=True, text=True,
            timeout=60)
        assert assigned.returncode == 0, assigned.stderr
        with xvfb_display() as display:
            run_kiosk_and_type(server, database_url, code, display, tmp_path / "kiosk")
    finally:
        server.stop()


def run_kiosk_and_type(server: Any, database_url: str, code: str, display: str,
                       data_dir: Path) -> None:
    env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11",
           "SDL_AUDIODRIVER": "dummy", "SHOPFLOOR_MDNS_INTERFACES": "127.0.0.1",
           "PCSCLITE_CSOCK_NAME": str(data_dir.parent / "no-pcscd.comm")}
    env.pop("XAUTHORITY", None)
    kiosk_cli = [sys.executable, "-m", "kiosk"]
    enrolled = subprocess.run([*kiosk_cli, "enroll", server.payload(code), "--server",
                               server.url, "--data-dir", str(data_dir)],
                              env=env, capture_output=True, text=True, timeout=60)
    assert enrolled.returncode == 0, enrolled.stderr
    log = KioskLog(data_dir / "logs" / "kiosk.jsonl")
    stdout = data_dir.parent / "kiosk-stdout.log"
    with stdout.open("wb") as out:
        process = subprocess.Popen([*kiosk_cli, "run", "--server", server.url, "--data-dir",
                                    str(data_dir)], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        log.wait({"event": "scene_changed", "scene": "idle"}, timeout=30)
        readers_line = log.wait({"event": "readers"}, timeout=5)
        assert set(readers_line) >= {"pcsc", "wedge", "cameras"}
        if not any(row["grabbed"] for row in readers_line["wedge"]):  # a real reader here?
            assert log.wait({"event": "wedge_fallback"}, timeout=1)["reads"].startswith(
                "typed")
        log.wait({"event": "roster"}, timeout=20)
        time.sleep(0.5)  # the roster reaches the screen with ROSTER_READY

        xdotool = ["xdotool"]
        subprocess.run([*xdotool, "mousemove", "640", "400"], env=env, check=True, timeout=10)
        mark = len(log.lines())
        subprocess.run([*xdotool, "type", "--delay", "8", PRINTED], env=env, check=True,
                       timeout=10)
        subprocess.run([*xdotool, "key", "Return"], env=env, check=True, timeout=10)
        read = log.wait({"event": "badge_read"}, timeout=5, after=mark)
        assert (read["kind"], read["reader"], read["worker"]) == ("card", "keyboard", WORKER)
        log.wait({"event": "scene_changed", "scene": "scorecard", "worker": WORKER},
                 timeout=5, after=mark)
        wait_for("the badge_in on the server", lambda: (
            WORKER, {"kind": "card", "reader": "keyboard"}) in server_badge_ins(database_url),
            15)

        # A card nobody has: HR gets its bytes, as the PC/SC path sends them.
        time.sleep(0.3)
        mark = len(log.lines())
        subprocess.run([*xdotool, "type", "--delay", "8", "0000000042"], env=env, check=True,
                       timeout=10)
        subprocess.run([*xdotool, "key", "Return"], env=env, check=True, timeout=10)
        log.wait({"event": "scene_changed", "scene": "unknown_badge"}, timeout=5, after=mark)
        wait_for("the unknown card on the server", lambda: any(
            code is None and payload["kind"] == "card"
            for code, payload in server_badge_ins(database_url)), 15)
        assert unknown_taps(database_url) == [("card", "2A000000")]  # HR's page, 24 h

        text = log.path.read_text(encoding="utf-8").upper()
        for secret in (PRINTED, "AFCAD100", "0000000042", "2A000000"):
            assert secret not in text, f"{secret} in the kiosk's log"
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    assert process.returncode == 0, stdout.read_text()[-3000:]

    status = subprocess.run([*kiosk_cli, "status", "--data-dir", str(data_dir), "--json"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)["readers"]
    assert set(found) >= {"pcsc", "wedge", "cameras"} and isinstance(found["wedge"], list)
