"""Request-scoped helpers shared by the blueprints."""

from __future__ import annotations

import ipaddress
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

from flask import Request, Response, current_app, g, redirect, url_for
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from server.config import Config
from server.services.devices.keys import ServerKeys
from server.services.scores.standings import StandingsCache


def db_session() -> Session:
    """The request's session; closed when the app context ends. Views commit once."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["shopfloor.sessionmaker"]()
    session: Session = g.db_session
    return session


def app_config() -> Config:
    config: Config = current_app.config["SHOPFLOOR"]
    return config


def server_keys() -> ServerKeys:
    """The site key and the sealing key (`server.services.devices.keys`)."""
    keys: ServerKeys = current_app.extensions["shopfloor.keys"]
    return keys


def standings_cache() -> StandingsCache:
    """The app's standings cache (see `server.services.standings`)."""
    cache: StandingsCache = current_app.extensions["shopfloor.standings"]
    return cache


# What an answer for one device that must ask again each time says to caches.
PRIVATE = "private, no-cache"


def conditional(request: Request, etag: str, build: Callable[[], Response], *,
                private: bool = False) -> Response:
    """The answer to a request for something whose current version is `etag`.

    A GET or HEAD whose If-None-Match matches gets 304 with no body, and `build` is never
    called; anything else gets what `build()` makes. Either way the response carries the
    ETag, as a strong validator. The match is the weak comparison RFC 9110 (13.1.2) asks
    for with If-None-Match: `W/"x"` matches `"x"`, any tag of a list may match, and `*`
    matches whatever there is. `private`: an answer for one device that must ask again each
    time (`Cache-Control: private, no-cache`), as the kiosk API's are.
    """
    if request.method in ("GET", "HEAD") and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = build()
    response.set_etag(etag)
    if private:
        response.headers["Cache-Control"] = PRIVATE
    return response


SPOOL_LIMIT = 500 * 1024  # what werkzeug keeps in memory before it uses a file


class SpoolToDataDir(Request):
    """Uploads over `SPOOL_LIMIT` go to a temporary file in the data folder rather than
    the system's temporary folder, which may be a RAM disk: a video of a gigabyte never
    sits in memory, and lands on the file system it is kept on."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        if total_content_length is not None and total_content_length <= SPOOL_LIMIT:
            return super()._get_file_stream(total_content_length, content_type, filename,
                                            content_length)
        folder = app_config().data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        # Nameless, so nothing is left behind; the request closes it when it ends.
        return tempfile.TemporaryFile("wb+", dir=folder)  # noqa: SIM115


# What every answer carries unless its blueprint set its own (the admin sets a fuller
# policy): no content sniffing, no framing by any page, and no address (a wall link holds
# its display's token) sent on as a Referer.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def front_door() -> BaseResponse:
    """`/`: where a newcomer typing the server's address lands, the admin's login."""
    return redirect(url_for("admin.login"))


def security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class TrustedProxyFix:
    """werkzeug's ProxyFix, applied only to connections from the configured proxies.

    From any other peer `X-Forwarded-*` is ignored: a client cannot claim another address
    (the login throttle keys on it) or HTTPS (the Secure cookie flag, links) by sending the
    headers itself, whatever sits in front."""

    def __init__(self, app: Wsgi, addresses: Iterable[str], hops: int) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
        self.networks = [ipaddress.ip_network(a, strict=False) for a in addresses]

    def trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict[str, Any],
                 start_response: StartResponse) -> Iterable[bytes]:
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
