"""The plain-HTTP listener beside HTTPS, for wall displays only.

TV browsers cannot be taught to trust a self-signed certificate, so the wall ("The parts",
docs/ARCHITECTURE.md) is reached by plain HTTP on a second port of the same workers
(serving/worker.py leaves that listener without TLS). :class:`PlainHttpGate` lets only the
wall and the health check through that port: any other GET is redirected to HTTPS,
anything else is refused. Logins, device tokens and the API never cross the network
unencrypted.

The redirect goes to a host the server knows, never to the one the request names in its
Host header: the public URL's host when one is set, else the address the server was told
to serve on, else the local address the connection reached.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from server.config import Config
from server.web import SECURITY_HEADERS

PLAIN_PREFIXES = ("/wall", "/api/v1/health")
WILDCARDS = ("", "0.0.0.0", "::")

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def plain_allowed(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PLAIN_PREFIXES)


def redirect_host(config: Config) -> str | None:
    """The host HTTPS redirects name, or None for the address each connection reached."""
    if config.public_url:
        return urlsplit(config.public_url).hostname or None
    return None if config.host in WILDCARDS else config.host


def _bracketed(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


class PlainHttpGate:
    """WSGI middleware: over plain HTTP only the wall and the health check are served."""

    def __init__(self, app: Wsgi, https_port: int, host: str | None = None) -> None:
        self.app = app
        self.https_port = https_port
        self.host = host

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if environ.get("wsgi.url_scheme") != "http" or plain_allowed(path):
            return self.app(environ, start_response)
        headers = list(SECURITY_HEADERS.items())
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            host = _bracketed(self.host or environ.get("SERVER_NAME") or "localhost")
            query = environ.get("QUERY_STRING")
            target = (f"https://{host}:{self.https_port}{quote(path.encode('latin-1'))}"
                      + (f"?{query}" if query else ""))
            start_response("308 Permanent Redirect", [("Location", target),
                                                       ("Content-Length", "0"), *headers])
            return [b""]
        body = b"plain HTTP serves only /wall and /api/v1/health; use HTTPS\n"
        start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body))), *headers])
        return [body]
