"""The kiosk's clock, corrected by the server's.

A kiosk without a real-time clock may start in 1970, or hours off, and the server refuses
events older than its offline window or from the future (docs/ARCHITECTURE.md, "The
kiosk–server contract"). So every answer's ``Date`` header tells the kiosk how far its
clock is from the server's, and events are stamped with the corrected time
(``occurred_at``) beside the raw one (``kiosk_time``).

The offset is kept against the time since boot (``CLOCK_BOOTTIME``, which counts on
through a suspend and is never set back), not against the wall clock: NTP or a person
setting the clock later in the same boot then changes nothing. It holds for one boot only
(``/proc/sys/kernel/random/boot_id`` names it): after a reboot the count starts again
from zero, and events stamped before the server answered are corrected once it has.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_PROCESS_BOOT = f"process-{uuid.uuid4()}"  # where the system names no boot


@dataclass(frozen=True)
class Reading:
    """One moment as the kiosk sees it: the wall clock (``time.time()``), the seconds
    since boot, and which boot."""

    wall: float
    since_boot: float
    boot_id: str


class Clock(Protocol):
    def read(self) -> Reading: ...


@functools.cache
def boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip() or _PROCESS_BOOT
    except OSError:
        return _PROCESS_BOOT


def since_boot() -> float:
    """Seconds since boot, suspend included; a monotonic clock where Linux's is missing
    (that boot is then this process, see `boot_id`)."""
    clock_id = getattr(time, "CLOCK_BOOTTIME", None)
    if clock_id is None or boot_id() == _PROCESS_BOOT:
        return time.monotonic()
    return time.clock_gettime(clock_id)


class SystemClock:
    def read(self) -> Reading:
        return Reading(time.time(), since_boot(), boot_id())


def iso(timestamp: float) -> str:
    """A POSIX time as ISO 8601 with milliseconds and the local offset."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="milliseconds")


def stamps(reading: Reading, boot_offset_s: float | None) -> tuple[str, str, bool]:
    """``(occurred_at, kiosk_time, corrected)`` of an event made at ``reading``, given the
    server's time minus the time since this boot (None while the server has not said)."""
    kiosk_time = iso(reading.wall)
    if boot_offset_s is None:
        return kiosk_time, kiosk_time, False
    return iso(reading.since_boot + boot_offset_s), kiosk_time, True
