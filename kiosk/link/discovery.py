"""Finding the server by mDNS (zeroconf): browse ``_shopfloor._tcp.local.`` and hand out
what answers, as it answers. Discovery only finds addresses: kiosk/link/locate.py checks each
against the pinned certificate. Interfaces come from ``SHOPFLOOR_MDNS_INTERFACES``."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass

from zeroconf import (
    DNSQuestionType,
    InterfaceChoice,
    IPVersion,
    ServiceBrowser,
    ServiceStateChange,
    Zeroconf,
)

logger = logging.getLogger(__name__)

SERVICE_TYPE = "_shopfloor._tcp.local."
PROTOCOL_VERSION = "1"


@dataclass(frozen=True)
class Candidate:
    url: str
    server_id: str | None
    name: str | None = None  # the DNS-SD instance, for logs


def _text(properties: dict[bytes, bytes | None], key: str) -> str | None:
    value = properties.get(key.encode())
    return value.decode("utf-8", "replace") if value is not None else None


def candidates(interfaces: list[str] | None, timeout_s: float = 3.0) -> Iterator[Candidate]:
    """Servers as they answer, for at most ``timeout_s``; closing the iterator stops early."""
    found: queue.SimpleQueue[Candidate] = queue.SimpleQueue()
    # Our own thread and loop, always: a caller's thread may hold an asyncio loop that is
    # not running (zeroconf would attach to it and wait forever).
    zc = Zeroconf(interfaces=interfaces or InterfaceChoice.All, ip_version=IPVersion.V4Only,
                  use_asyncio=False)

    def on_change(zeroconf: Zeroconf, service_type: str, name: str,
                  state_change: ServiceStateChange) -> None:
        if state_change is not ServiceStateChange.Added:
            return
        info = zeroconf.get_service_info(service_type, name, timeout=1500)
        addresses = info.parsed_addresses(IPVersion.V4Only) if info else []
        if info is None or not addresses or not info.port:
            return
        if _text(info.properties, "v") != PROTOCOL_VERSION:
            logger.warning("ignoring %s: protocol %s", name, _text(info.properties, "v"))
            return
        # Kiosks speak HTTPS only: the server advertises itself only when it serves it.
        for address in addresses:
            found.put(Candidate(f"https://{address}:{info.port}", _text(info.properties, "id"),
                                name))

    # Ask for multicast answers: a unicast answer goes to one of the sockets sharing port
    # 5353 on this host, perhaps not ours, and the next query comes only a second later.
    browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[on_change],
                             question_type=DNSQuestionType.QM)
    deadline = time.monotonic() + timeout_s
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                yield found.get(timeout=left)
            except queue.Empty:
                return
    finally:
        browser.cancel()
        zc.close()

