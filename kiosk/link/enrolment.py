"""Enrolment: trade HR's one-time code for a device token and pin the server's certificate.

The code is normally the whole QR payload (kiosk/link/trust.py), which names the server and its
certificate: the kiosk looks for that server (``--server``, its last address, then mDNS),
checks the certificate each address presents against the payload's fingerprint, and only
then sends the code. A bare code needs ``--server`` and ``trust_first_use``: the kiosk then
pins whatever certificate that address presents, and says so in its log.

Enrolling again (after a revocation) keeps the outbox: unsent events go out with the new
token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable
from typing import Any

from kiosk.errors import ApiError, ClientError, ConfigError
from kiosk.link.client import KioskClient
from kiosk.link.discovery import Candidate
from kiosk.link.trust import (
    EnrolmentPayload,
    UntrustedServer,
    certificate_matching,
    fetch_certificate,
    fingerprint_of_pem,
    is_payload,
    parse_payload,
    pinned_context,
)
from kiosk.logs import log_event
from kiosk.store import Store

logger = logging.getLogger(__name__)


class EnrolmentFailed(ClientError):
    """The server of the code was not found, or it refused the code."""


def _addresses(store: Store, server_url: str | None, server_id: str | None,
               browse: Callable[[], Iterable[Candidate]] | None) -> Generator[str]:
    seen: set[str] = set()
    for url in (server_url, store.get_setting("server_url")):
        if url and url not in seen:
            seen.add(url)
            yield url
    if browse is not None:
        for candidate in browse():
            if candidate.url not in seen and (server_id is None
                                              or candidate.server_id == server_id):
                seen.add(candidate.url)
                yield candidate.url


def _pinned_address(payload: EnrolmentPayload, addresses: Generator[str]) -> tuple[str, str]:
    """The first address whose certificate has the payload's fingerprint, and that PEM."""
    tried: list[str] = []
    try:
        for url in addresses:
            try:
                return url, certificate_matching(url, payload.fingerprint)
            except UntrustedServer as exc:
                log_event(logger, "server_refused", logging.WARNING, url=url, reason=str(exc))
                tried.append(f"{url}: another certificate")
            except (OSError, ConfigError) as exc:
                tried.append(f"{url}: {exc}")
    finally:
        addresses.close()
    raise EnrolmentFailed("the server of this enrolment code was not found"
                          + (f" ({'; '.join(tried)})" if tried else ": pass --server URL"))


def enrol(store: Store, code: str, *, server_url: str | None = None,
          trust_first_use: bool = False,
          browse: Callable[[], Iterable[Candidate]] | None = None) -> dict[str, Any]:
    """Enrol with ``code`` (the QR payload, or a bare code with ``server_url`` and
    ``trust_first_use``); stores the token, the pinned certificate and the address."""
    if is_payload(code):
        payload = parse_payload(code)
        url, pem = _pinned_address(payload, _addresses(store, server_url, payload.server_id,
                                                       browse))
        one_time, expected_id = payload.code, payload.server_id
    else:
        if not (server_url and trust_first_use):
            raise ConfigError("a bare code needs --server URL and --trust-first-use; "
                              "prefer the whole enrolment code (SFK1:…) from the QR")
        url, one_time, expected_id = server_url, code, None
        try:
            pem = fetch_certificate(url)
        except OSError as exc:
            raise EnrolmentFailed(f"{url}: {exc}") from exc
        log_event(logger, "trust_first_use", logging.WARNING, url=url,
                  fingerprint=fingerprint_of_pem(pem))
    try:
        with KioskClient(url, tls=pinned_context(pem)) as client:
            answer = client.enroll(one_time)
    except ApiError as exc:
        raise EnrolmentFailed(f"the server refused the code: {exc.message}") from exc
    except ClientError as exc:
        raise EnrolmentFailed(str(exc)) from exc
    server_id = str(answer.get("server_id") or "")
    if expected_id is not None and server_id != expected_id:
        raise EnrolmentFailed(f"{url} is server {server_id}, not {expected_id}")
    kiosk = answer.get("kiosk")
    name = kiosk.get("name") if isinstance(kiosk, dict) else kiosk
    workshops = kiosk.get("workshops") if isinstance(kiosk, dict) else None
    for key, value in (("server_id", server_id), ("server_cert", pem), ("server_url", url),
                       ("kiosk_name", str(name or "")),
                       ("kiosk_workshop", "、".join(str(w) for w in workshops or []))):
        store.set_setting(key, value)
    # The token last: a kiosk with a token is enrolled, and needs the pin beside it.
    store.set_setting("token", str(answer["token"]))
    log_event(logger, "enrolled", kiosk=name, server=url, server_id=server_id,
              fingerprint=fingerprint_of_pem(pem)[:16], queued=store.depth())
    return {"enrolled": True, "kiosk": name, "server": url, "server_id": server_id}
