"""Keyboard-wedge card readers: the USB readers of 125 kHz EM4100 "ID cards" that type the
card's printed number and Enter, like a keyboard.

A card number typed through the desktop goes through the keyboard layout and any input
method, which can change the digits (a Belgian layout types ``à&é"'(§è!ç`` for
``1234567890``). So a reader is read here through evdev, by key codes, with the device
grabbed (``EVIOCGRAB``): its keys never reach SDL or the screen, and no layout or input
method is involved. Which input devices are card readers:

- every keyboard-like device (it has the digit keys and Enter) with a USB ``VID:PID`` the
  kiosk was given (``shopfloor-kiosk run --card-reader VID:PID``);
- any keyboard-like device whose name says it is an RFID or ID-card reader (``RFID``,
  ``ID card``, ``ID&IC``, ``EM4100``, ``125 kHz``): conservative, so a QR scanner or a
  technician's keyboard is never taken.

Devices are found in sysfs (``/sys/class/input/event*``: name, USB ids, key capabilities),
so the kiosk can name a reader it may not open. One thread (``kiosk-wedge``) reads every
grabbed reader, looks for readers plugged in later, and digests card numbers with the
store's site key (~25 ms, never on the UI thread); it posts the same ``events.BADGE`` a
PC/SC reader posts (``kind="card"``, the number in memory only). Everything a grabbed
reader types is a card: in the site's card format (``card_hex``), or else its hex as is
(a reader set to type a MIFARE UID in hex).

When no reader can be opened (none found, no permission: the kiosk user must be in the
``input`` group, which Debian's udev gives ``/dev/input/event*``), one ``wedge_fallback``
line says why, and the kiosk reads readers as it reads QR scanners, from SDL's text input
(``qr.WedgeDecoder`` in the app), telling a card number from a QR secret by the site's
format (``typed_card``); the thread still digests those numbers (``WedgeReaders.typed``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import select
import struct
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kiosk.hardware.badge import BadgeCallback, Digest, hand_over, post_badge
from kiosk.logs import log_event
from kiosk.model import CardFormat
from shopfloor_trust.cards import card_hex, normalise_uid

logger = logging.getLogger(__name__)

SYS_INPUT = Path("/sys/class/input")
DEV_INPUT = Path("/dev/input")
RESCAN_S = 3.0  # how soon a reader plugged in later is taken
MAX_GAP_S = 0.5  # a pause longer than this between two keys starts a new number
MAX_LENGTH = 32  # longer is not a card number: dropped

# evdev's key codes (linux/input-event-codes.h): the only keys a card reader types.
EV_KEY = 0x01
KEY_DOWN = 1
_TOP_DIGITS = {2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0"}
_KEYPAD_DIGITS = {79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8",
                  73: "9", 82: "0"}
_HEX_LETTERS = {30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F"}
KEY_CHARS = {**_TOP_DIGITS, **_KEYPAD_DIGITS, **_HEX_LETTERS, 51: ",", 121: ","}  # , KP,
KEY_ENTER, KEY_KPENTER = 28, 96
# Shift (upper-case hex letters), Caps Lock and Num Lock change nothing here.
_NEUTRAL = {42, 54, 58, 69}

READER_NAME = re.compile(r"rfid|\bid\s*(?:card|&\s*ic)\b|\bem\s*4100\b|\b125\s*khz\b",
                         re.IGNORECASE)
_LONG_BITS = struct.calcsize("l") * 8  # sysfs prints capability bitmaps in C longs


class KeyEvent(Protocol):
    """What the decoder reads of an evdev ``InputEvent``."""

    type: int
    code: int
    value: int

    def timestamp(self) -> float: ...


class KeyDecoder:
    """A reader's key presses -> the text it typed, when Enter ends it; by key code, so the
    keyboard layout and input method do not matter. A key no card number has (or too
    many) spoils the number: Enter then gives nothing."""

    def __init__(self, max_gap_s: float = MAX_GAP_S) -> None:
        self.max_gap_s = max_gap_s
        self._chars: list[str] = []
        self._spoilt = False
        self._last = 0.0

    def feed(self, event: KeyEvent) -> str | None:
        if event.type != EV_KEY or event.value != KEY_DOWN or event.code in _NEUTRAL:
            return None  # releases, auto-repeat, modifiers, and everything but keys
        now = event.timestamp()
        if now - self._last > self.max_gap_s:
            self._chars, self._spoilt = [], False
        self._last = now
        if event.code in (KEY_ENTER, KEY_KPENTER):
            text = "".join(self._chars)
            spoilt, self._chars, self._spoilt = self._spoilt, [], False
            return text if text and not spoilt else None
        char = KEY_CHARS.get(event.code)
        if char is None or len(self._chars) >= MAX_LENGTH:
            self._spoilt = True
        else:
            self._chars.append(char)
        return None


def typed_card(text: str, fmt: CardFormat, *, any_hex: bool = False) -> str | None:
    """The card's bytes (upper-case hex) of text a reader typed: every digit of a number in
    the site's card format, or (``any_hex``: from a device known to be a card reader) the
    text itself when it is whole bytes of hex. None: not a card (a QR secret, a code)."""
    if fmt.format:
        try:
            return card_hex(text, fmt.format, reverse=fmt.reversed, exact=True)
        except ValueError:
            pass
    if any_hex:
        try:
            return normalise_uid(text)
        except ValueError:
            return None
    return None


# --- finding readers ---------------------------------------------------------------------


@dataclass(frozen=True)
class InputNode:
    """An evdev device as sysfs describes it."""

    path: str  # /dev/input/eventN
    name: str
    vendor: int
    product: int
    keyboard: bool  # types digits and Enter

    @property
    def usb(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"

    @property
    def label(self) -> str:
        """The reader's name in a BADGE event and the ``badge_in`` payload."""
        return self.name[:100] or self.usb


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _bits(bitmap: str) -> set[int]:
    """A sysfs capability bitmap (hex longs, most significant first) -> the bits set."""
    found: set[int] = set()
    for index, word in enumerate(reversed(bitmap.split())):
        try:
            value = int(word, 16)
        except ValueError:
            return set()
        found.update(index * _LONG_BITS + bit for bit in range(_LONG_BITS) if value >> bit & 1)
    return found


def input_nodes(sys_input: Path | None = None, dev_input: Path | None = None
                ) -> list[InputNode]:
    """Every evdev device the kernel has, in event-number order; none without sysfs."""
    sys_input, dev_input = sys_input or SYS_INPUT, dev_input or DEV_INPUT
    try:
        entries = [entry for entry in sys_input.iterdir() if entry.name.startswith("event")]
    except OSError:
        return []
    nodes = []
    for entry in sorted(entries, key=lambda e: int(e.name[5:]) if e.name[5:].isdigit() else -1):
        device = entry / "device"
        keys = _bits(_read(device / "capabilities" / "key"))
        digits = set(_TOP_DIGITS) <= keys or set(_KEYPAD_DIGITS) <= keys
        nodes.append(InputNode(
            path=str(dev_input / entry.name), name=_read(device / "name"),
            vendor=int(_read(device / "id" / "vendor") or "0", 16),
            product=int(_read(device / "id" / "product") or "0", 16),
            keyboard=digits and bool({KEY_ENTER, KEY_KPENTER} & keys)))
    return nodes


def is_card_reader(node: InputNode, configured: Collection[tuple[int, int]] = ()) -> bool:
    """A keyboard-like device set as a card reader by its USB ids, or named as one."""
    if not node.keyboard:
        return False
    return (node.vendor, node.product) in configured or bool(READER_NAME.search(node.name))


def card_reader_nodes(configured: Collection[tuple[int, int]] = (), *,
                      sys_input: Path | None = None, dev_input: Path | None = None
                      ) -> list[InputNode]:
    return [node for node in input_nodes(sys_input, dev_input)
            if is_card_reader(node, configured)]


class Device(Protocol):
    """What the thread needs of an ``evdev.InputDevice``."""

    def fileno(self) -> int: ...

    def read(self) -> Iterable[Any]: ...

    def close(self) -> None: ...


def open_grabbed(path: str) -> Device:
    """The device, opened and grabbed: from now on only this process sees its keys."""
    import evdev

    device = evdev.InputDevice(path)
    try:
        device.grab()
    except OSError:
        device.close()
        raise
    return device


@dataclass
class _Reader:
    node: InputNode
    device: Device
    decoder: KeyDecoder


class WedgeReaders:
    """Reads every keyboard-wedge card reader it may open, grabbed, on its own thread; and
    digests card numbers typed through SDL (``typed``) when it could open none."""

    def __init__(self, digest: Digest, card_format: Callable[[], CardFormat],
                 configured: Collection[tuple[int, int]] = (), *,
                 on_badge: BadgeCallback = post_badge,
                 open_device: Callable[[str], Device] = open_grabbed,
                 sys_input: Path | None = None, dev_input: Path | None = None,
                 rescan_s: float = RESCAN_S) -> None:
        self._digest = digest
        self._card_format = card_format
        self._configured = frozenset(configured)
        self._on_badge = on_badge
        self._open = open_device
        self._sys_input, self._dev_input = sys_input, dev_input
        self.rescan_s = rescan_s
        self._readers: dict[str, _Reader] = {}
        self._refused: dict[str, tuple[InputNode, str]] = {}
        self._typed: queue.SimpleQueue[tuple[str, str, float]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._wake: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # the app's side ------------------------------------------------------------------
    def start(self) -> None:
        """Find and grab the readers now (so the start-up ``readers`` line knows them),
        then read them on the thread."""
        self._scan()
        with self._lock:
            grabbed = bool(self._readers)
            refused = list(self._refused.values())
        if not grabbed:
            if refused:
                reason = "; ".join(f"{node.path} ({node.name or node.usb}): {why}"
                                   for node, why in refused)
            else:
                reason = "no card reader among the input devices"
            log_event(logger, "wedge_fallback", reason=reason,
                      reads="typed card numbers through SDL text input")
        wake = os.pipe()
        for fd in wake:  # never block the UI thread on a full pipe
            os.set_blocking(fd, False)
        with self._lock:
            self._wake = wake
        self._thread = threading.Thread(target=self._run, name="kiosk-wedge", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._poke()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._lock:
            readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            _close(reader.device)
        with self._lock:
            wake, self._wake = self._wake, None
        for fd in wake or ():
            os.close(fd)

    def typed(self, number_hex: str, reader: str, seen_at: float) -> None:
        """A card number typed through SDL (the fallback): digested on the thread, then
        posted like any card. Safe from the UI thread."""
        self._typed.put((number_hex, reader, seen_at))
        self._poke()

    def found(self) -> list[dict[str, object]]:
        """The card readers found: name, USB id, device, and whether they are read here
        (``grabbed``) or why not (``error``)."""
        with self._lock:
            rows = [{"name": r.node.name, "usb": r.node.usb, "path": r.node.path,
                     "grabbed": True} for r in self._readers.values()]
            rows += [{"name": node.name, "usb": node.usb, "path": node.path,
                      "grabbed": False, "error": why} for node, why in self._refused.values()]
        return sorted(rows, key=lambda row: str(row["path"]))

    def _poke(self) -> None:
        with self._lock, contextlib.suppress(OSError):  # a full pipe is awake already
            if self._wake is not None:
                os.write(self._wake[1], b"x")

    # the thread ---------------------------------------------------------------------
    def _scan(self) -> None:
        """Grab readers not yet read; forget those gone. A device refused once (no
        permission) is tried again only after it was unplugged."""
        nodes = {node.path: node for node in card_reader_nodes(
            self._configured, sys_input=self._sys_input, dev_input=self._dev_input)}
        with self._lock:
            for path in [p for p in self._refused if p not in nodes]:
                del self._refused[path]
            todo = [node for path, node in nodes.items()
                    if path not in self._readers and path not in self._refused]
        for node in todo:
            try:
                device = self._open(node.path)
            except OSError as exc:
                why = exc.strerror or type(exc).__name__
                with self._lock:
                    self._refused[node.path] = (node, why)
                log_event(logger, "wedge_refused", logging.WARNING, reader=node.name,
                          usb=node.usb, device=node.path, error=why)
                continue
            with self._lock:
                self._readers[node.path] = _Reader(node, device, KeyDecoder())
            log_event(logger, "reader_added", reader=node.name, usb=node.usb,
                      device=node.path, grabbed=True)

    def _run(self) -> None:
        next_scan = time.monotonic() + self.rescan_s
        while not self._stop.is_set():
            try:
                self._round(max(0.0, next_scan - time.monotonic()))
                if time.monotonic() >= next_scan and not self._stop.is_set():
                    self._scan()
                    next_scan = time.monotonic() + self.rescan_s
            except Exception as exc:  # never a traceback: its locals could hold a number
                log_event(logger, "wedge_failed", logging.ERROR, error=type(exc).__name__)
                self._stop.wait(1.0)

    def _round(self, timeout: float) -> None:
        """Wait for keys, a typed number or the stop, at most ``timeout`` s; handle them."""
        with self._lock:
            wake = self._wake
            readers = {r.device.fileno(): r for r in self._readers.values()}
        if wake is None:  # stopped
            return
        ready, _, _ = select.select([wake[0], *readers], [], [], timeout)
        if wake[0] in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake[0], 4096)
        while not self._typed.empty():
            number, reader, seen_at = self._typed.get()
            self._card(number, reader, seen_at)
        for fd in ready:
            if fd in readers and not self._stop.is_set():
                self._read(readers[fd])

    def _read(self, reader: _Reader) -> None:
        try:
            for event in reader.device.read():
                text = reader.decoder.feed(event)
                if text is None:
                    continue
                number = typed_card(text, self._card_format(), any_hex=True)
                if number is None:
                    log_event(logger, "badge_unreadable", logging.WARNING,
                              reader=reader.node.label,
                              reason="not a card number in the site's format")
                    continue
                self._card(number, reader.node.label, time.perf_counter())
        except BlockingIOError:
            return
        except OSError:  # unplugged
            with self._lock:
                self._readers.pop(reader.node.path, None)
            _close(reader.device)
            log_event(logger, "reader_removed", reader=reader.node.name,
                      device=reader.node.path)

    def _card(self, number: str, reader: str, seen_at: float) -> None:
        hand_over(number, reader, seen_at, self._digest, self._on_badge)


def _close(device: Device) -> None:
    with contextlib.suppress(OSError):
        device.close()  # closing releases the grab


class TypedCards(Protocol):
    """Where the app sends a card number typed through SDL: ``WedgeReaders`` (its thread
    digests it) or ``InlineCards``; either posts ``events.BADGE``."""

    def typed(self, number_hex: str, reader: str, seen_at: float) -> None: ...


class InlineCards:
    """``typed`` for an app without the reader thread (tests, tools): digests at once on
    the calling thread and posts the same event."""

    def __init__(self, digest: Digest, on_badge: BadgeCallback = post_badge) -> None:
        self._digest = digest
        self._on_badge = on_badge

    def typed(self, number_hex: str, reader: str, seen_at: float) -> None:
        self._on_badge(self._digest(number_hex), number_hex, reader, seen_at)
