"""Enrolment: trade HR's one-time code for a device token and pin the server's certificate.

The code is normally the whole QR payload (kiosk/link/trust.py), which names the server and its
certificate: the kiosk looks for that server (``--server``, its last address, then mDNS),
checks the certificate each address presents against the payload's fingerprint, and only
then sends the code. A bare code needs ``--server`` and ``trust_first_use``: the kiosk then
pins whatever certificate that address presents, and says so in its log.

Enrolling again (after a revocation) keeps the outbox: unsent events go out with the new
token. But only to the server the kiosk trusts: once a server is pinned, a code for any
other (another server id, or the same id with another certificate) is refused before the
kiosk talks to it, however it arrives (the enrol scene after a 401, or the command line),
unless a technician runs ``sudo shopfloor-kiosk enroll --new-server CODE`` as root. That
moves the kiosk: it forgets what it learnt from the old server (`Store.forget_server_data`),
and the old server's unsent events stay in the outbox, held for it, never sent to the new
one (kiosk/store_outbox.py).

The answer's ``keys`` (the site key for card digests, the sealing key for supervisors'
PINs) are kept in the store; a server that sends none leaves them to the sync worker's
``GET /api/v1/keys``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator, Iterable
from typing import Any

from kiosk.errors import ApiError, ClientError, ConfigError
from kiosk.link.client import KioskClient
from kiosk.link.discovery import Candidate
from kiosk.link.locate import Pin, stored_pin
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


TECHNICIAN = "sudo shopfloor-kiosk enroll --new-server CODE"


class EnrolmentFailed(ClientError):
    """The server of the code was not found, or it refused the code."""


class ServerChangeRefused(ConfigError):
    """A code for another server than the pinned one, without a technician's --new-server
    (or with it, but not as root)."""


def _same_server(pin: Pin | None, server_id: str | None, fingerprint: str) -> bool:
    return pin is None or (fingerprint == pin.fingerprint
                           and server_id in (None, pin.server_id))


def _guard(pin: Pin | None, server_id: str | None, fingerprint: str, new_server: bool) -> None:
    """Refuse a code for another server than the pinned one unless a technician said so."""
    if new_server or _same_server(pin, server_id, fingerprint):
        return
    assert pin is not None
    other = (f"server {server_id}" if server_id not in (None, pin.server_id)
             else f"a server with another certificate ({fingerprint[:16]}…)")
    log_event(logger, "enrolment_refused", logging.WARNING, pinned=pin.server_id,
              offered=server_id, fingerprint=fingerprint[:16])
    raise ServerChangeRefused(
        f"this kiosk belongs to server {pin.server_id}; the code is for {other}. Moving it "
        f"to another server needs a technician: {TECHNICIAN}")


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
          browse: Callable[[], Iterable[Candidate]] | None = None,
          new_server: bool = False) -> dict[str, Any]:
    """Enrol with ``code`` (the QR payload, or a bare code with ``server_url`` and
    ``trust_first_use``); stores the token, the pinned certificate, the address and the
    server's keys. ``new_server`` (root only) lets a technician move the kiosk to a server
    other than the pinned one."""
    if new_server and os.geteuid() != 0:
        raise ServerChangeRefused(f"moving the kiosk to a new server needs a technician: "
                                  f"{TECHNICIAN}")
    pin = stored_pin(store)
    if is_payload(code):
        payload = parse_payload(code)
        _guard(pin, payload.server_id, payload.fingerprint, new_server)
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
        _guard(pin, None, fingerprint_of_pem(pem), new_server)
        log_event(logger, "trust_first_use", logging.WARNING, url=url,
                  fingerprint=fingerprint_of_pem(pem))
    try:
        with KioskClient(url, tls=pinned_context(pem)) as client:
            if expected_id is None and pin is not None and not new_server:
                expected_id = str(client.health().get("server_id") or "")
                _guard(pin, expected_id, fingerprint_of_pem(pem), new_server)
            answer = client.enroll(one_time)
    except ApiError as exc:
        raise EnrolmentFailed(f"the server refused the code: {exc.message}") from exc
    except ClientError as exc:
        raise EnrolmentFailed(str(exc)) from exc
    server_id = str(answer.get("server_id") or "")
    if expected_id is not None and server_id != expected_id:
        raise EnrolmentFailed(f"{url} is server {server_id}, not {expected_id}")
    _guard(pin, server_id, fingerprint_of_pem(pem), new_server)
    moved = not _same_server(pin, server_id, fingerprint_of_pem(pem))
    if moved:
        assert pin is not None
        log_event(logger, "server_changed", logging.WARNING, old=pin.server_id,
                  new=server_id, held=store.depth())
        store.forget_server_data()
    _keep_keys(store, answer.get("keys"))
    kiosk = answer.get("kiosk")
    name = kiosk.get("name") if isinstance(kiosk, dict) else kiosk
    workshops = kiosk.get("workshops") if isinstance(kiosk, dict) else None
    # One transaction, the token in it: a kiosk with a token is enrolled, and needs the
    # pin beside it.
    store.set_settings({"server_id": server_id, "server_cert": pem, "server_url": url,
                        "kiosk_name": str(name or ""),
                        "kiosk_workshop": "、".join(str(w) for w in workshops or []),
                        "token": str(answer["token"])})
    store.bind_unowned_events()
    log_event(logger, "enrolled", kiosk=name, server=url, server_id=server_id,
              fingerprint=fingerprint_of_pem(pem)[:16], queued=store.depth(),
              keys=store.sealing_key() is not None)
    return {"enrolled": True, "kiosk": name, "server": url, "server_id": server_id}


def _keep_keys(store: Store, keys: Any) -> None:
    """The answer's keys into the store; a server without them leaves it to the sync
    worker (GET /keys), and malformed ones are logged and left out."""
    if keys is None:
        return
    try:
        store.save_keys(keys)
    except ValueError as exc:
        log_event(logger, "keys_refused", logging.WARNING, reason=str(exc))
