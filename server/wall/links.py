"""Where a TV opens its display link, the same from the admin page and from the CLI.

TVs reach the wall over plain HTTP (a TV browser cannot be told to trust the server's
own certificate), on the wall port beside HTTPS. An operator whose TVs go through a
reverse proxy names its address in SHOPFLOOR_PUBLIC_URL instead.
"""

from __future__ import annotations

import os

PUBLIC_URL_ENV = "SHOPFLOOR_PUBLIC_URL"
DEFAULT_PORT = 8750
DEFAULT_WALL_PORT = 8751


def public_url() -> str | None:
    configured = os.environ.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    return configured or None


def env_ports() -> tuple[int, int, bool]:
    """(HTTPS port, wall port, plain HTTP only) as the environment sets them for `run`."""
    http_only = os.environ.get("SHOPFLOOR_HTTP", "") in ("1", "true", "yes")
    return (int(os.environ.get("SHOPFLOOR_PORT", DEFAULT_PORT)),
            int(os.environ.get("SHOPFLOOR_WALL_PORT", DEFAULT_WALL_PORT)), http_only)


def wall_base_url(host: str, port: int, wall_port: int, http_only: bool) -> str:
    """The base of a display link for a server reached by the name `host`."""
    configured = public_url()
    if configured:
        return configured
    name = f"[{host}]" if ":" in host else host
    if http_only:
        return f"http://{name}:{port}"
    if wall_port:
        return f"http://{name}:{wall_port}"
    return f"https://{name}:{port}"
