"""Supervisor PINs as the kiosk may know them: a typo check, never a hash.

The roster carried argon2 hashes of PINs once, and a random 4-digit PIN fell out of one in
minutes. Now the kiosk learns only a 6-bit check of each PIN: enough to catch 63 of 64
typos at once, while a stolen roster still leaves 1/64 of every PIN's candidates
(15,625 of a 6-digit PIN's million). Whether a PIN is right only the server knows, when it
opens the seal of an act (shopfloor_trust/seal.py); wrong PINs are counted there and here.
"""

from __future__ import annotations

import hashlib

CHECK_BUCKETS = 64
NEW_PIN_DIGITS = (6, 8)  # new PINs: 6 to 8 digits; shorter ones set before still work
MAX_WRONG_PINS = 5  # then the supervisor's acts are locked until HR unlocks them


def pin_check(worker_code: str, pin: str) -> int:
    """The typo check of `pin` for the supervisor `worker_code`: 0 to 63."""
    digest = hashlib.sha256(f"shopfloor-pin-check:{worker_code}:{pin}".encode()).digest()
    return digest[0] % CHECK_BUCKETS
