"""Who may read /metrics: a client on this host itself, or the bearer of a token of scope
`monitoring` (`shopfloor-server token add NAME --scope monitoring`). There is no default
secret: without such a token only this host can scrape.

"This host" is judged from the connection's own peer, never from what a client says: the
peer must be a loopback address and the request must carry no forwarding header
(X-Forwarded-For, Forwarded, X-Real-IP). A reverse proxy on the same host (nginx,
provisioning/server/nginx) connects from loopback too, and says who it relays for in those
headers: what comes through it needs the token like anyone else, even when the server
was not told to trust the proxy. A client that sends such a header itself only loses.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy.orm import Session

from server.services.devices.tokens import authenticate_integration

SCOPE = "monitoring"
FORWARDING = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
# Where werkzeug's ProxyFix (server.web.TrustedProxyFix) keeps the values it replaced.
PROXY_FIX_ORIGINAL = "werkzeug.proxy_fix.orig"


def connection_peer(environ: dict[str, Any]) -> str:
    """The address the connection came from, before any proxy header was believed."""
    original = environ.get(PROXY_FIX_ORIGINAL) or {}
    return str(original.get("REMOTE_ADDR") or environ.get("REMOTE_ADDR") or "")


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def from_this_host(environ: dict[str, Any]) -> bool:
    """A direct connection from this host, relayed by no proxy."""
    return is_loopback(connection_peer(environ)) and not any(
        header in environ for header in FORWARDING)


def authorize_scrape(session: Session, environ: dict[str, Any], token: str | None) -> None:
    """Return when the request may read the metrics; raise Unauthenticated (no token, or a
    wrong or revoked one: 401) or Forbidden (a kiosk's or another scope's token: 403)."""
    if from_this_host(environ):
        return
    authenticate_integration(session, token, SCOPE)
