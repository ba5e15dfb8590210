"""The server's identity as the kiosk knows it: the enrolment payload and the pinned
certificate.

HR's enrolment QR holds ``SFK1:<server id>:<certificate fingerprint>:<one-time code>``:
the fingerprint is the SHA-256 of the server's certificate (DER) in base32 (hex also
accepted), all in QR alphanumeric characters so the code stays small. At enrolment the
kiosk fetches the certificate an address presents, checks it against that fingerprint and
keeps it; from then on it is the only trust anchor of every TLS connection to the server,
so a server with any other certificate fails the handshake before a token is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from kiosk.errors import ConfigError

PAYLOAD_PREFIX = "SFK1"


class UntrustedServer(ConfigError):
    """An address answered with a certificate other than the one expected."""


@dataclass(frozen=True)
class EnrolmentPayload:
    server_id: str
    fingerprint: str  # lower-case hex SHA-256 of the certificate's DER bytes
    code: str

    def text(self) -> str:
        fp = base64.b32encode(bytes.fromhex(self.fingerprint)).decode().rstrip("=")
        return f"{PAYLOAD_PREFIX}:{self.server_id.upper()}:{fp}:{self.code}"


def _fingerprint(text: str) -> str:
    text = text.strip().replace(":", "").lower()
    if len(text) == 64:
        raw = bytes.fromhex(text)
    else:
        padded = text.upper() + "=" * (-len(text) % 8)
        raw = base64.b32decode(padded)
    if len(raw) != 32:
        raise ValueError("not a SHA-256 fingerprint")
    return raw.hex()


def is_payload(text: str) -> bool:
    return text.strip().upper().startswith(PAYLOAD_PREFIX + ":")


def parse_payload(text: str) -> EnrolmentPayload:
    """The payload of an enrolment QR, or ConfigError saying what is wrong with it."""
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[0].upper() != PAYLOAD_PREFIX:
        raise ConfigError("not an enrolment code (expected SFK1:<server>:<fingerprint>:<code>)")
    _, server_id, fingerprint, code = parts
    try:
        fp = _fingerprint(fingerprint)
    except (ValueError, binascii.Error):
        raise ConfigError("the enrolment code's certificate fingerprint is damaged") from None
    if not server_id or not code:
        raise ConfigError("the enrolment code has no server id or no one-time code")
    return EnrolmentPayload(server_id.lower(), fp, code)


def fingerprint_of_pem(pem: str) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"{url}: the kiosk talks to its server over https only")
    return parts.hostname, parts.port or 443


def fetch_certificate(url: str, timeout: float = 5.0) -> str:
    """The certificate ``url`` presents (PEM), unverified: only to compare with a pin."""
    host, port = host_port(url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise UntrustedServer(f"{url} presented no certificate")
    return ssl.DER_cert_to_PEM_cert(der)


def certificate_matching(url: str, fingerprint: str, timeout: float = 5.0) -> str:
    """The certificate at ``url`` if its fingerprint is ``fingerprint``, else UntrustedServer."""
    pem = fetch_certificate(url, timeout)
    found = fingerprint_of_pem(pem)
    if found != fingerprint:
        raise UntrustedServer(f"{url} presented certificate {found[:16]}…, "
                              f"expected {fingerprint[:16]}…")
    return pem


def pinned_context(pem: str) -> ssl.SSLContext:
    """TLS that trusts exactly the pinned certificate, whatever address the server has."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The pin is the identity; mDNS hands out IP addresses the certificate cannot name.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=pem)
    return context
