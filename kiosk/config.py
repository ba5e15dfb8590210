"""KioskConfig: the command line and environment, with defaults; tests pass overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.errors import ConfigError

DEFAULT_DATA_DIR = Path("./var/kiosk")
LOGICAL_SIZE = (1280, 800)


def _interfaces_from_env() -> list[str] | None:
    raw = os.environ.get("SHOPFLOOR_MDNS_INTERFACES", "").strip()
    if not raw:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


# Speech rate in words per minute (espeak-ng's measure): slower helps a listener who
# reads little; below 80 or above 260 words smear or run together.
SPEECH_RATE_DEFAULT = 150
SPEECH_RATE_MIN, SPEECH_RATE_MAX = 80, 260


def speech_rate(text: str | int) -> int:
    """A speech rate in words per minute, within SPEECH_RATE_MIN..SPEECH_RATE_MAX."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ConfigError(f"the speech rate is a whole number of words per minute, not "
                          f"{text!r}") from None
    if not SPEECH_RATE_MIN <= value <= SPEECH_RATE_MAX:
        raise ConfigError(f"the speech rate must be {SPEECH_RATE_MIN} to {SPEECH_RATE_MAX} "
                          f"words per minute, not {value}")
    return value


def _speech_rate_from_env() -> int:
    raw = os.environ.get("SHOPFLOOR_SPEECH_RATE", "").strip()
    return speech_rate(raw) if raw else SPEECH_RATE_DEFAULT


def usb_id(text: str) -> tuple[int, int]:
    """A USB device's ``VID:PID`` (4 hex digits each, as lsusb prints them) -> numbers."""
    vendor, sep, product = text.strip().partition(":")
    try:
        if not sep or len(vendor) != 4 or len(product) != 4:
            raise ValueError
        return int(vendor, 16), int(product, 16)
    except ValueError:
        raise ConfigError(f"a USB id is VID:PID in hex, as lsusb shows it (such as "
                          f"ffff:0035), not {text!r}") from None


@dataclass
class KioskConfig:
    data_dir: Path = DEFAULT_DATA_DIR
    server_url: str | None = None
    fullscreen: bool = False
    scene_timeout_s: float = 30.0
    default_language: str = "zh_CN"
    fps: int = 30
    sync_interval_s: float = 5.0
    roster_interval_s: float = 60.0
    mdns_interfaces: list[str] | None = field(default_factory=_interfaces_from_env)
    # Disk the training videos may use; required videos stay even beyond it.
    video_budget_bytes: int = 8 * 1024**3
    video_interval_s: float = 300.0
    # Keyboard-wedge readers whose every input is a card (--card-reader VID:PID): read
    # through evdev, grabbed (kiosk/hardware/wedge.py), beside any named as an RFID reader.
    card_readers: tuple[tuple[int, int], ...] = ()
    # words per minute (SHOPFLOOR_SPEECH_RATE, `run --speech-rate`), 80..260
    speech_rate: int = field(default_factory=_speech_rate_from_env)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def video_dir(self) -> Path:
        return self.data_dir / "videos"

    @property
    def speech_cache_dir(self) -> Path:
        return self.data_dir / "speech-cache"

    @property
    def voice_dir(self) -> Path:
        """The voice packs downloaded from the server: `<lang>` links to the language's
        pack under `packs/` (assets/voice/README.md; kiosk/background/downloads.py)."""
        return self.data_dir / "voice"
