"""argon2id hashing for passwords and PINs; sha256 for high-entropy tokens and badge data."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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


class PasswordChecks:
    """At most `limit` argon2 verifications at once in this process (each takes 64 MiB and
    a core for a while). A check that finds no slot within `wait` seconds is not run; the
    caller answers "busy" instead of queueing without bound. One per app, made by the
    admin's set-up; gunicorn forks it into each worker, so the bound is per worker."""

    def __init__(self, limit: int, wait: float) -> None:
        self.limit, self.wait = limit, wait
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """True inside when a slot was free within `wait`: only then verify."""
        got = self._slots.acquire(timeout=self.wait)
        try:
            yield got
        finally:
            if got:
                self._slots.release()


def token_digest(token: str) -> str:
    """sha256 hex: enough for random tokens and codes, and fast to look up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def qr_credential_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
