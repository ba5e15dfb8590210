"""Where a TV opens its display link, the same from the admin page and from the CLI.

TVs reach the wall over plain HTTP (a TV browser cannot be told to trust the server's
own certificate), on the wall port beside HTTPS. An operator whose TVs go through a
reverse proxy names its address in SHOPFLOOR_PUBLIC_URL instead (`Config.public_url`).
"""

from __future__ import annotations

from server.config import Config


def wall_base_url(config: Config, host: str) -> str:
    """The base of a display link for a server reached by the name `host`, serving on the
    ports (and in the mode) `config` names."""
    if config.public_url:
        return config.public_url
    name = f"[{host}]" if ":" in host else host
    if config.http:
        return f"http://{name}:{config.port}"
    if config.wall_port:
        return f"http://{name}:{config.wall_port}"
    return f"https://{name}:{config.port}"
