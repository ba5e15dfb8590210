"""One configuration object: environment variables plus defaults; tests pass overrides."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SECRET_FILE_NAME = "secret_key"
# Training videos: an hour of 720p at 3 Mbit/s is about 1.4 GB; SHOPFLOOR_VIDEO_MAX_MB
# raises or lowers the limit.
DEFAULT_VIDEO_MAX_MB = 2048


def _local_zone_name() -> str:
    """The server's own time zone name, for when SHOPFLOOR_TIMEZONE is unset."""
    tz = os.environ.get("TZ")
    if tz:
        return tz
    try:
        target = os.readlink("/etc/localtime")
        return target.split("zoneinfo/", 1)[1]
    except (OSError, IndexError):
        return "UTC"


def _megabytes(value: str | None, default: int) -> int:
    """A size in MB from the environment, in bytes; a value that is no positive number
    is refused at start rather than guessed at."""
    if not value or not value.strip():
        return default * 1024 * 1024
    try:
        megabytes = int(value)
    except ValueError:
        raise ValueError(f"SHOPFLOOR_VIDEO_MAX_MB: {value!r} is not a whole number") from None
    if megabytes <= 0:
        raise ValueError(f"SHOPFLOOR_VIDEO_MAX_MB: {value!r} must be above 0")
    return megabytes * 1024 * 1024


def _count(name: str, value: str | None) -> int:
    if not value or not value.strip():
        return 0
    if not value.strip().isdigit():
        raise ValueError(f"{name}: {value!r} is not a whole number of 0 or more")
    return int(value)


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    timezone: str
    mdns_interfaces: tuple[str, ...] | None
    secret_key: str | None = None
    video_max_bytes: int = DEFAULT_VIDEO_MAX_MB * 1024 * 1024
    # How many reverse proxies in front may set X-Forwarded-*; 0 trusts none, so a client
    # cannot claim another address or HTTPS by sending the headers itself.
    trusted_proxies: int = 0
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        env = os.environ
        data_dir = Path(overrides.pop("data_dir", None) or env.get("SHOPFLOOR_DATA_DIR", "var"))
        database_url = overrides.pop("database_url", None) or env.get(
            "SHOPFLOOR_DATABASE_URL"
        ) or f"sqlite:///{(data_dir / 'shopfloor.db').resolve()}"
        interfaces = env.get("SHOPFLOOR_MDNS_INTERFACES", "").strip()
        config = cls(
            data_dir=data_dir,
            database_url=database_url,
            timezone=env.get("SHOPFLOOR_TIMEZONE") or _local_zone_name(),
            mdns_interfaces=tuple(i.strip() for i in interfaces.split(",") if i.strip())
            or None,
            secret_key=env.get("SHOPFLOOR_SECRET_KEY") or None,
            video_max_bytes=_megabytes(env.get("SHOPFLOOR_VIDEO_MAX_MB"), DEFAULT_VIDEO_MAX_MB),
            trusted_proxies=_count("SHOPFLOOR_TRUSTED_PROXIES",
                                   env.get("SHOPFLOOR_TRUSTED_PROXIES")),
        )
        return replace(config, **overrides) if overrides else config

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def ensure_secret_key(self) -> str:
        """The configured secret, or one made on first start and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / SECRET_FILE_NAME
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key
