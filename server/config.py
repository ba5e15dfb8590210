"""One configuration object: environment variables plus defaults; tests pass overrides.

Every SHOPFLOOR_* setting of the server is read here, once, in `Config.from_env`; the rest
of server/ takes its values from the Config (tests/server/test_settings.py keeps it so).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shopfloor_trust.cards import card_format

SECRET_FILE_NAME = "secret_key"
# Training videos: an hour of 720p at 3 Mbit/s is about 1.4 GB; SHOPFLOOR_VIDEO_MAX_MB
# raises or lowers the limit.
DEFAULT_VIDEO_MAX_MB = 2048
# Where `run` and `demo` serve HTTPS, and plain HTTP for the wall displays beside it.
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8750
DEFAULT_WALL_PORT = 8751
DEFAULT_DATA_DIR = "var"
# How old a kiosk event may be when it arrives: a kiosk offline longer than this has its
# older events refused (kept for HR to book), so nothing can be backdated further.
DEFAULT_OFFLINE_WINDOW_DAYS = 14
MAX_OFFLINE_WINDOW_DAYS = 366
# An alert nobody acknowledged in this many minutes goes to the escalation targets.
DEFAULT_ESCALATE_AFTER_MIN = 15
# The number printed on the site's cards, as its keyboard-wedge readers type it
# (shopfloor_trust/cards.py): 10 decimal digits unless the site says otherwise.
DEFAULT_CARD_FORMAT = "10D"


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


def _urls(value: str | None) -> tuple[str, ...]:
    """Notification targets (apprise URLs), separated by commas, spaces or new lines."""
    return tuple(part for part in (value or "").replace(",", " ").split() if part)


def _minutes(name: str, value: str | None, default: int) -> int:
    if not value or not value.strip():
        return default
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 24 * 60:
        raise ValueError(f"{name}: {value!r} is not a whole number of minutes (1 to 1440)")
    return int(text)


def _clock_time(name: str, value: str | None) -> str | None:
    """HH:MM on a 24-hour clock, or None when unset."""
    if not value or not value.strip():
        return None
    hours, sep, minutes = value.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"{name}: {value!r} is not a time of day as HH:MM")
    return f"{int(hours):02d}:{minutes}"


def _card_format(name: str, value: str | None) -> str:
    try:
        return card_format(value or DEFAULT_CARD_FORMAT)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _days(name: str, value: str | None, default: int) -> int:
    """A number of days from the environment, 1 to MAX_OFFLINE_WINDOW_DAYS."""
    if not value or not value.strip():
        return default
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_OFFLINE_WINDOW_DAYS:
        raise ValueError(f"{name}: {value!r} is not a whole number of days (1 to "
                         f"{MAX_OFFLINE_WINDOW_DAYS})")
    return int(text)


def _port(name: str, value: str | None, default: int, *, lowest: int = 1) -> int:
    """A TCP port from the environment; one that is no port is refused at start."""
    if not value or not value.strip():
        return default
    text = value.strip()
    if not text.isdigit() or not lowest <= int(text) <= 65535:
        raise ValueError(f"{name}: {value!r} is not a port number ({lowest} to 65535)")
    return int(text)


def _flag(value: str | None) -> bool:
    return (value or "") in ("1", "true", "yes")


def _networks(name: str, value: str | None) -> tuple[str, ...]:
    """Comma-separated addresses or networks (127.0.0.1, 10.0.0.0/24, ::1), each checked."""
    found = []
    for part in (value or "").split(","):
        if not part.strip():
            continue
        try:
            found.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise ValueError(f"{name}: {part.strip()!r} is not an address or network") from None
    return tuple(found)


def _with_proxies(config: Config) -> Config:
    """Proxies are trusted by address: a count without addresses is refused at start (it
    would trust no one, or, as it once did, anyone); addresses without a count mean one."""
    if config.trusted_proxies and not config.trusted_proxy_addresses:
        raise ValueError("SHOPFLOOR_TRUSTED_PROXIES is set but not the proxies' addresses: "
                         "set SHOPFLOOR_TRUSTED_PROXY_ADDRESSES too (127.0.0.1 for nginx on "
                         "this host)")
    if config.trusted_proxy_addresses and not config.trusted_proxies:
        return replace(config, trusted_proxies=1)
    return config


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
    # The addresses (or networks) those proxies connect from: X-Forwarded-* is believed only
    # on a connection from one of them, never from any other peer.
    trusted_proxy_addresses: tuple[str, ...] = ()
    # Where `run` and `demo` serve (their --host/--port/--wall-port/--http override these,
    # and the app they serve carries the values they chose): HTTPS on `port`, plain HTTP for
    # the wall on `wall_port` (0: none), or, with `http`, plain HTTP only behind a proxy.
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    wall_port: int = DEFAULT_WALL_PORT
    http: bool = False
    # How TVs reach the wall when a reverse proxy stands in front (no trailing slash).
    public_url: str | None = None
    # A .ttf/.ttc font with Chinese glyphs for PDF files, tried before the system's own.
    pdf_font: str | None = None
    # The first admin's password for `init` and `demo`; unset, `init` makes one and writes
    # it to <data dir>/first-admin-password (the demo prints its own).
    admin_password: str | None = field(default=None, repr=False)
    # The passphrase of `backup --encrypt` and of restoring such a backup; unset, they read
    # it from stdin.
    backup_passphrase: str | None = field(default=None, repr=False)
    # Kiosk events older than this many days are refused and kept for HR to book.
    offline_window_days: int = DEFAULT_OFFLINE_WINDOW_DAYS
    # The site's card number format and whether its readers give the bytes reversed: the
    # import and every kiosk (through the roster) read card numbers with them.
    card_format: str = DEFAULT_CARD_FORMAT
    card_reversed: bool = False
    # Where alerts go (apprise URLs such as wecombot://KEY, dingtalk://TOKEN,
    # json://host/path), and where they go again when nobody acknowledged them in time.
    notify_urls: tuple[str, ...] = field(default=(), repr=False)
    escalate_urls: tuple[str, ...] = field(default=(), repr=False)
    escalate_after_min: int = DEFAULT_ESCALATE_AFTER_MIN
    # When the daily summary per workshop goes to `notify_urls` (HH:MM), None: never.
    daily_summary_at: str | None = None
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, *, default_data_dir: str | Path = DEFAULT_DATA_DIR,
                 **overrides: Any) -> Config:
        """The settings from the environment; `overrides` (field names) take precedence.
        A setting that is no valid value raises ValueError naming the variable."""
        env = os.environ
        data_dir = Path(overrides.pop("data_dir", None)
                        or env.get("SHOPFLOOR_DATA_DIR", str(default_data_dir)))
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
            trusted_proxy_addresses=_networks("SHOPFLOOR_TRUSTED_PROXY_ADDRESSES",
                                              env.get("SHOPFLOOR_TRUSTED_PROXY_ADDRESSES")),
            host=env.get("SHOPFLOOR_HOST", "").strip() or DEFAULT_HOST,
            port=_port("SHOPFLOOR_PORT", env.get("SHOPFLOOR_PORT"), DEFAULT_PORT),
            wall_port=_port("SHOPFLOOR_WALL_PORT", env.get("SHOPFLOOR_WALL_PORT"),
                            DEFAULT_WALL_PORT, lowest=0),
            http=_flag(env.get("SHOPFLOOR_HTTP")),
            public_url=env.get("SHOPFLOOR_PUBLIC_URL", "").strip().rstrip("/") or None,
            pdf_font=env.get("SHOPFLOOR_PDF_FONT") or None,
            admin_password=env.get("SHOPFLOOR_ADMIN_PASSWORD"),
            backup_passphrase=env.get("SHOPFLOOR_BACKUP_PASSPHRASE") or None,
            offline_window_days=_days("SHOPFLOOR_OFFLINE_WINDOW_DAYS",
                                      env.get("SHOPFLOOR_OFFLINE_WINDOW_DAYS"),
                                      DEFAULT_OFFLINE_WINDOW_DAYS),
            card_format=_card_format("SHOPFLOOR_CARD_FORMAT", env.get("SHOPFLOOR_CARD_FORMAT")),
            card_reversed=_flag(env.get("SHOPFLOOR_CARD_REVERSED")),
            notify_urls=_urls(env.get("SHOPFLOOR_NOTIFY_URLS")),
            escalate_urls=_urls(env.get("SHOPFLOOR_ESCALATE_URLS")),
            escalate_after_min=_minutes("SHOPFLOOR_ESCALATE_AFTER_MIN",
                                        env.get("SHOPFLOOR_ESCALATE_AFTER_MIN"),
                                        DEFAULT_ESCALATE_AFTER_MIN),
            daily_summary_at=_clock_time("SHOPFLOOR_DAILY_SUMMARY_AT",
                                         env.get("SHOPFLOOR_DAILY_SUMMARY_AT")),
        )
        config = replace(config, **overrides) if overrides else config
        return _with_proxies(config)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def offline_window(self) -> timedelta:
        return timedelta(days=self.offline_window_days)

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
