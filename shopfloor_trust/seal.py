"""The seal of a supervisor's PIN: proof, checked by the server, that the supervisor was
at the kiosk when an act (a remark, a claim decision, a hand-over, an acknowledgement)
was made.

The kiosk never knows whether a PIN is right; it seals what was typed to the server's
sealing key (X25519, made by the server and handed to kiosks at enrolment: not the TLS
key, so certificate renewal and a TLS-terminating proxy leave it alone) and sends the seal
with every event of the act. The server opens it, checks the PIN against its argon2 hash
and forgets it.

A seal is bound to its act: the AEAD's associated data names the kind, the supervisor and
a digest of every event of the act (its UUID, worker, time and payload exactly as sent).
Changing any of them, or moving the seal to another event, makes it fail to open; since
an event's UUID is stored once, a copied seal replays nothing.

The sealing (kiosk) and the opening (server) live side by side here so they cannot drift.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
_INFO = b"shopfloor-kiosk pin seal v1"
# The PIN is padded to this many bytes, so a seal's length does not tell the PIN's.
_PADDED = 16
# The most events one act may cover (a remark to a whole workshop): the proof lists a
# digest of each, and every event of the act carries the proof.
MAX_ACT_ITEMS = 500

_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class SealRefused(ValueError):
    """The seal cannot be opened with this key for this act; the message says which."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (ValueError, TypeError):
        raise SealRefused(f"proof.{what}: not base64") from None


def key_id(public_key: bytes) -> str:
    """A short name for a sealing key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def item_digest(uuid: Any, worker: Any, occurred_at: Any, payload: Any) -> str:
    """One event of an act, as sent: its UUID, worker, time and payload exactly as the
    kiosk wrote them into the request (JSON keys sorted)."""
    return hashlib.sha256(
        _CANONICAL.encode([uuid, worker, occurred_at, payload]).encode()).hexdigest()


def _binding(kind: str, supervisor: str, items: Iterable[str]) -> bytes:
    return _CANONICAL.encode({"v": VERSION, "kind": kind, "supervisor": supervisor,
                              "items": sorted(items)}).encode()


def _key(shared: bytes, ephemeral: bytes, public_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + public_key,
                info=_INFO).derive(shared)


def seal_pin(pin: str, public_key: bytes, kind: str, supervisor: str,
             items: Iterable[str]) -> dict[str, Any]:
    """The proof to send beside each event of an act: the PIN sealed to the server's
    sealing key (raw 32 bytes), bound to `kind`, `supervisor` and the `items` (digests
    from `item_digest`, one per event)."""
    digests = sorted(set(items))
    if not digests or len(digests) > MAX_ACT_ITEMS:
        raise ValueError(f"an act covers 1 to {MAX_ACT_ITEMS} events")
    if not pin.isdigit() or len(pin) > _PADDED:
        raise ValueError("a PIN is digits only")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    nonce = os.urandom(12)
    sealed = ChaCha20Poly1305(_key(shared, ephemeral_public, public_key)).encrypt(
        nonce, pin.encode().ljust(_PADDED, b"\0"), _binding(kind, supervisor, digests))
    return {"v": VERSION, "key": key_id(public_key), "supervisor": supervisor,
            "epk": _b64(ephemeral_public), "nonce": _b64(nonce), "ct": _b64(sealed),
            "items": digests}


def seal_digest(proof: dict[str, Any]) -> str:
    """Names one seal (the same act sent again carries the same one)."""
    return hashlib.sha256(
        f"{proof.get('epk')}|{proof.get('nonce')}|{proof.get('ct')}".encode()).hexdigest()


def open_seal(proof: dict[str, Any], private_key: X25519PrivateKey, kind: str) -> str:
    """The PIN inside `proof`, if it was sealed to this key for exactly this act (`kind`,
    the proof's supervisor and items); SealRefused naming what does not fit otherwise.
    Whether a given event belongs to the act is the caller's check (its `item_digest`
    must be among the proof's items)."""
    if proof.get("v") != VERSION:
        raise SealRefused(f"proof.v: must be {VERSION}")
    public_key = private_key.public_key().public_bytes_raw()
    if proof.get("key") != key_id(public_key):
        raise SealRefused("proof.key: sealed to another server's key; enrol the kiosk "
                          "with this server")
    items = proof.get("items")
    if (not isinstance(items, list) or not items or len(items) > MAX_ACT_ITEMS
            or not all(isinstance(i, str) for i in items)):
        raise SealRefused(f"proof.items: 1 to {MAX_ACT_ITEMS} event digests")
    ephemeral = _unb64(proof.get("epk"), "epk")
    nonce = _unb64(proof.get("nonce"), "nonce")
    sealed = _unb64(proof.get("ct"), "ct")
    if len(ephemeral) != 32 or len(nonce) != 12:
        raise SealRefused("proof: damaged")
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        plain = ChaCha20Poly1305(_key(shared, ephemeral, public_key)).decrypt(
            nonce, sealed, _binding(kind, str(proof.get("supervisor")), items))
    except (InvalidTag, ValueError):
        raise SealRefused("proof: does not open for this act (altered, or made for "
                          "another act)") from None
    pin = plain.rstrip(b"\0").decode("ascii", "replace")
    if not pin.isdigit():
        raise SealRefused("proof: damaged")
    return pin
