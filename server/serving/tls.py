"""The server's own TLS identity: a key and a self-signed certificate made on first start.

No certificate authority is involved: kiosks learn the certificate's SHA-256 fingerprint
from the enrolment code and pin exactly that certificate, so a self-signed one is as good
as any and needs no operator. The files live in ``<data dir>/tls/``; delete them to make
a new identity (every kiosk must then be enrolled again).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

logger = logging.getLogger(__name__)

TLS_DIR = "tls"
CERT_FILE, KEY_FILE = "server.crt", "server.key"
# Kiosks pin this certificate for their whole life; it must not expire under them.
VALIDITY = timedelta(days=365 * 30)


@dataclass(frozen=True)
class TlsIdentity:
    certfile: Path
    keyfile: Path
    fingerprint: str  # sha256 of the certificate's DER bytes, lower-case hex


def fingerprint_of(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def fingerprint_b32(fingerprint_hex: str) -> str:
    """The fingerprint as 52 upper-case base32 letters: QR alphanumeric mode, no padding."""
    return base64.b32encode(bytes.fromhex(fingerprint_hex)).decode().rstrip("=")


def load_identity(data_dir: Path) -> TlsIdentity | None:
    folder = data_dir / TLS_DIR
    cert, key = folder / CERT_FILE, folder / KEY_FILE
    if not (cert.exists() and key.exists()):
        return None
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    der = parsed.public_bytes(serialization.Encoding.DER)
    return TlsIdentity(cert, key, fingerprint_of(der))


def ensure_identity(data_dir: Path) -> TlsIdentity:
    """The server's key and certificate, made on first call and kept in the data folder."""
    found = load_identity(data_dir)
    if found is not None:
        return found
    folder = data_dir / TLS_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"shopfloor-server {host}")])
    now = datetime.now(UTC)
    # Kiosks reach the server by whatever address mDNS or the operator gives and check the
    # pin, not the name; the names are here for browsers an operator points at it.
    alt_names: list[x509.GeneralName] = [x509.DNSName(host), x509.DNSName("localhost"),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        # The kiosk's TLS library takes the pinned certificate as its only trust anchor.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    # The certificate last: its presence says the pair is complete.
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    identity = TlsIdentity(cert_path, key_path,
                           fingerprint_of(cert.public_bytes(serialization.Encoding.DER)))
    logger.info("made a TLS identity", extra={"fingerprint": identity.fingerprint})
    return identity
