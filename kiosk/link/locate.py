"""Finding the enrolled server and proving it is the one: the last good address first, then
mDNS, then ``--server``. Every candidate must complete a TLS handshake against the pinned
certificate and answer its health check with the pinned server id; a rogue server (the
same service, another certificate) fails the handshake before anything is sent to it and
is logged as ``server_refused``. A server that crashed is judged the same way: mDNS keeps
listing it for ~19 minutes, but its health check does not answer.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass

from kiosk.errors import ClientError
from kiosk.link.client import KioskClient
from kiosk.link.discovery import Candidate, candidates
from kiosk.link.trust import fingerprint_of_pem, pinned_context
from kiosk.logs import log_event
from kiosk.store import Store

logger = logging.getLogger(__name__)

# A kiosk whose clock is further off than this from the server's is logged: occurred_at
# then means little, though the server's received_at still does.
CLOCK_SKEW_WARN_S = 300.0
HEALTH_TIMEOUT_S = 3.0
MDNS_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Pin:
    server_id: str
    pem: str

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_pem(self.pem)

    def context(self) -> ssl.SSLContext:
        return pinned_context(self.pem)


def stored_pin(store: Store) -> Pin | None:
    server_id, pem = store.get_setting("server_id"), store.get_setting("server_cert")
    return Pin(server_id, pem) if server_id and pem else None


def _certificate_refused(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, ssl.SSLCertVerificationError):
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False


def check_clock(client: KioskClient) -> None:
    offset = client.clock_offset_s
    if offset is not None and abs(offset) > CLOCK_SKEW_WARN_S:
        log_event(logger, "clock_skew", logging.WARNING, offset_s=round(offset),
                  server=client.base_url)


def verify(url: str, pin: Pin, timeout: float = HEALTH_TIMEOUT_S) -> bool:
    """Whether ``url`` is the pinned server and answers; a rogue one is logged."""
    try:
        with KioskClient(url, tls=pin.context(), timeout=timeout) as client:
            answer = client.health()
            check_clock(client)
    except ClientError as exc:
        if _certificate_refused(exc):
            log_event(logger, "server_refused", logging.WARNING, url=url,
                      reason="certificate does not match the pin",
                      pinned=pin.fingerprint[:16])
        else:
            log_event(logger, "server_unreachable", logging.DEBUG, url=url, reason=str(exc))
        return False
    if answer.get("server_id") != pin.server_id:
        log_event(logger, "server_refused", logging.WARNING, url=url,
                  reason="another server id", server_id=answer.get("server_id"))
        return False
    return True


class Locator:
    """``find()``: a verified URL for the pinned server, or None."""

    def __init__(self, store: Store, configured_url: str | None,
                 browse: Callable[[], Iterable[Candidate]]) -> None:
        self.store = store
        self.configured_url = configured_url
        self._browse = browse

    def _urls(self, server_id: str) -> Generator[tuple[str, str]]:
        last = self.store.get_setting("server_url")
        if last:
            yield last, "last_known"
        for candidate in self._browse():
            if candidate.server_id == server_id and candidate.url != last:
                yield candidate.url, "mdns"
        if self.configured_url and self.configured_url != last:
            yield self.configured_url, "config"

    def find(self) -> str | None:
        pin = stored_pin(self.store)
        if pin is None:
            return None
        started = time.perf_counter()
        urls = self._urls(pin.server_id)
        try:
            for url, source in urls:
                if url.startswith("https://") and verify(url, pin):
                    self.store.set_setting("server_url", url)
                    log_event(logger, "server_found", url=url, source=source,
                              ms=round((time.perf_counter() - started) * 1000, 1))
                    return url
        finally:
            urls.close()  # stops an mDNS browse still running
        return None


def mdns_browser(interfaces: list[str] | None,
                 timeout_s: float = MDNS_TIMEOUT_S) -> Callable[[], Iterable[Candidate]]:
    return lambda: candidates(interfaces, timeout_s)
