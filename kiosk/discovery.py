"""Finding the server by mDNS (zeroconf): browse ``_shopfloor._tcp.local.`` for a while and
return what answered. Discovery only finds addresses; the sync worker prefers the server
whose id the kiosk already knows. Interfaces come from ``SHOPFLOOR_MDNS_INTERFACES``."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from zeroconf import InterfaceChoice, IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

logger = logging.getLogger(__name__)

SERVICE_TYPE = "_shopfloor._tcp.local."
PROTOCOL_VERSION = "1"


@dataclass(frozen=True)
class Candidate:
    url: str
    server_id: str | None


def _text(properties: dict[bytes, bytes | None], key: str) -> str | None:
    value = properties.get(key.encode())
    return value.decode("utf-8", "replace") if value is not None else None


def browse(interfaces: list[str] | None, timeout_s: float = 3.0) -> list[Candidate]:
    """Servers that answer within ``timeout_s``, first answer first."""
    found: list[Candidate] = []
    first = threading.Event()
    zc = Zeroconf(interfaces=interfaces or InterfaceChoice.All, ip_version=IPVersion.V4Only)

    def on_change(zeroconf: Zeroconf, service_type: str, name: str,
                  state_change: ServiceStateChange) -> None:
        if state_change is not ServiceStateChange.Added:
            return
        info = zeroconf.get_service_info(service_type, name, timeout=1500)
        if info is None or not info.parsed_addresses() or not info.port:
            return
        if _text(info.properties, "v") != PROTOCOL_VERSION:
            logger.warning("ignoring %s: protocol %s", name, _text(info.properties, "v"))
            return
        scheme = _text(info.properties, "scheme") or "http"
        url = f"{scheme}://{info.parsed_addresses()[0]}:{info.port}"
        found.append(Candidate(url, _text(info.properties, "id")))
        first.set()

    browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[on_change])
    try:
        first.wait(timeout_s)
    finally:
        browser.cancel()
        zc.close()
    return found


def choose(candidates: list[Candidate], server_id: str | None) -> Candidate | None:
    """The known server if it answered, else (for a kiosk that knows none) the first."""
    if server_id:
        return next((c for c in candidates if c.server_id == server_id), None)
    return candidates[0] if candidates else None
