"""The plain-HTTP listener beside HTTPS, for wall displays only.

TV browsers cannot be taught to trust a self-signed certificate, so the wall ("The parts",
docs/ARCHITECTURE.md) is reached by plain HTTP on a second port of the gunicorn workers. gunicorn
wraps every listener in TLS once a certificate is set; :class:`ShopfloorWorker` leaves the
wall port unwrapped, and :class:`PlainHttpGate` lets only the wall and the health check
through that port: any other GET is redirected to HTTPS, anything else is refused. Logins,
device tokens and the API never cross the network unencrypted.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

PLAIN_PREFIXES = ("/wall", "/api/v1/health")

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _PlainConfig:
    """gunicorn's settings as seen by one plain connection: the same, minus TLS."""

    is_ssl = False

    def __init__(self, cfg: Any) -> None:
        self._cfg = cfg

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cfg, name)


class ShopfloorWorker(ThreadWorker):
    """gunicorn's threaded worker; connections to a plain port skip the TLS wrap."""

    plain_ports: frozenset[int] = frozenset()

    def accept(self, listener: Any) -> None:
        address = listener.getsockname()
        if not isinstance(address, tuple) or address[1] not in self.plain_ports:
            super().accept(listener)
            return
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            client_sock.setblocking(True)
            conn = TConn(_PlainConfig(self.cfg), client_sock, client_addr, address)
            self.enqueue_req(conn)
        except OSError as e:  # the same tolerance as gunicorn's own accept
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise


def plain_allowed(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PLAIN_PREFIXES)


class PlainHttpGate:
    """WSGI middleware: over plain HTTP only the wall and the health check are served."""

    def __init__(self, app: Wsgi, https_port: int) -> None:
        self.app = app
        self.https_port = https_port

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if environ.get("wsgi.url_scheme") != "http" or plain_allowed(path):
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            host = (environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost"))
            host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            query = environ.get("QUERY_STRING")
            target = f"https://{host}:{self.https_port}{path}" + (f"?{query}" if query else "")
            start_response("308 Permanent Redirect", [("Location", target),
                                                       ("Content-Length", "0")])
            return [b""]
        body = b"plain HTTP serves only /wall and /api/v1/health; use HTTPS\n"
        start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body)))])
        return [body]
