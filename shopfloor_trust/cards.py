"""Card numbers as the roster carries them: a keyed, deliberately slow digest.

A card's number (its UID, or what a keyboard-wedge reader types) is all a clone card
needs, so it never travels or rests in the clear where a kiosk's roster, a plain backup or
a log could give it away. The digest is scrypt with the site key (32 random bytes the
server makes, handed to kiosks at enrolment) as salt: without the key nothing can be
tried at all, and with it (a stolen kiosk) each guess costs about 25 ms of a core and
16 MiB, so the 2^32 numbers of a 4-byte UID cost over three CPU-years.
"""

from __future__ import annotations

import hashlib

SITE_KEY_BYTES = 32
# n = 2^13, r = 8: ~25 ms and 8 MiB a digest on the 2-core test machine (measured in
# tests/bench/bench_card_digest.py). The roster's digests are made with these numbers:
# changing them means every card must be enrolled again, so they are fixed.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**13, 8, 1
_MAXMEM = 64 * 1024 * 1024


def normalise_uid(uid: str) -> str:
    """Hex, any case, with ':', '-' and spaces dropped -> upper case; ValueError if not hex."""
    cleaned = uid.replace(":", "").replace(" ", "").replace("-", "").upper()
    if not cleaned or len(cleaned) % 2 or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise ValueError(f"not a card number in hex ({len(uid)} characters)")
    return cleaned


def card_digest(uid_hex: str, site_key: bytes) -> str:
    """The roster's digest of a card: scrypt of the upper-case hex number, salted with the
    site key, as 64 hex digits."""
    if len(site_key) != SITE_KEY_BYTES:
        raise ValueError("the site key must be 32 bytes")
    return hashlib.scrypt(normalise_uid(uid_hex).encode(), salt=site_key, n=SCRYPT_N,
                          r=SCRYPT_R, p=SCRYPT_P, dklen=32, maxmem=_MAXMEM).hex()


def legacy_card_digest(uid_hex: str) -> str:
    """What rosters carried before the keyed digest: sha256 of the upper-case hex. The
    server keeps it only for cards not seen since, to recognise them once (people/badges.py)."""
    return hashlib.sha256(normalise_uid(uid_hex).encode()).hexdigest()
