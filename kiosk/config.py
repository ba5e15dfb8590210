"""KioskConfig: the command line and environment, with defaults; tests pass overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path("./var/kiosk")
LOGICAL_SIZE = (1280, 800)


def _interfaces_from_env() -> list[str] | None:
    raw = os.environ.get("SHOPFLOOR_MDNS_INTERFACES", "").strip()
    if not raw:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


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
        """A site's recorded clips (`<lang>/<phrase key>.wav`): an installed kiosk has no
        source tree whose assets/voice could hold them."""
        return self.data_dir / "voice"
