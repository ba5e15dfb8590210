"""argon2id hashing for passwords and PINs; sha256 for high-entropy tokens and badge data."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_secret(secret: str) -> str:
    """argon2id, for things people choose (passwords, PINs)."""
    return _hasher.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    """sha256 hex: enough for random tokens and codes, and fast to look up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def normalise_card_uid(uid: str) -> str:
    """Hex, any case, ':' and spaces dropped -> upper (docs/ARCHITECTURE.md, "The command line")."""
    cleaned = uid.replace(":", "").replace(" ", "").replace("-", "").upper()
    if not cleaned or len(cleaned) % 2 or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise ValueError(f"not a card UID in hex: {uid!r}")
    return cleaned


def card_credential_hash(uid: str) -> str:
    """What the roster carries for a card: sha256 of the normalised upper-case hex UID."""
    return hashlib.sha256(normalise_card_uid(uid).encode()).hexdigest()


def qr_credential_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
