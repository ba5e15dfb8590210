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


# --- the number printed on a card, as readers type it ------------------------------------
#
# A 125 kHz EM4100 "ID card" is read by a USB reader that types like a keyboard, and the
# number it types is the number printed on the card (喷号) and in HR's spreadsheet, in one
# of a few formats of the card's last bytes. A site uses one format (the server's
# SHOPFLOOR_CARD_FORMAT, sent to every kiosk in the roster); the import and every kiosk turn
# the number into the same bytes (`card_hex`), so all three are the same badge.
CARD_FORMATS = ("10D", "8H", "6H8D", "2H,4H")
_ALIASES = {"6H→8D": "6H8D", "6H->8D": "6H8D", "W26": "2H,4H", "WIEGAND26": "2H,4H"}
# How many digits each format types (a number from a spreadsheet may have lost its leading
# zeros, so imports take fewer; a reader always types them all).
_DIGITS = {"10D": 10, "8H": 8, "6H8D": 8}


def card_format(name: str) -> str:
    """The canonical name of a card format ("10D", "8H", "6H8D", "2H,4H"); ValueError else."""
    text = name.strip().upper().replace(" ", "")
    text = _ALIASES.get(text, text)
    if text not in CARD_FORMATS:
        raise ValueError(f"card format {name!r}: one of {', '.join(CARD_FORMATS)}")
    return text


def _ascii_digits(text: str) -> bool:
    """0-9 only: str.isdigit() also takes full-width and superscript digits."""
    return bool(text) and text.isascii() and text.isdigit()


def _bytes_hex(value: int, size: int, reverse: bool) -> str:
    raw = value.to_bytes(size, "big")
    return (raw[::-1] if reverse else raw).hex().upper()


def card_hex(text: str, fmt: str = "10D", *, reverse: bool = False,
             exact: bool = False) -> str:
    """The card's bytes (upper-case hex) from its number in format `fmt`; ValueError naming
    what does not fit. `exact`: as a reader types it (every digit, leading zeros included);
    otherwise leading zeros may be missing, as Excel drops them. `reverse`: the reader gives
    the bytes in the other order."""
    fmt = card_format(fmt)
    number = text.strip()
    if fmt == "2H,4H":
        facility, sep, card = number.partition(",")
        if not sep or not _ascii_digits(facility) or not _ascii_digits(card) \
                or (exact and (len(facility) != 3 or len(card) != 5)):
            raise ValueError(f"card number {number!r}: expected facility,card such as 111,27706")
        if int(facility) > 0xFF or int(card) > 0xFFFF:
            raise ValueError(f"card number {number!r}: facility up to 255, card up to 65535")
        return _bytes_hex(int(facility) << 16 | int(card), 3, reverse)
    digits = _DIGITS[fmt]
    hexadecimal = fmt == "8H"
    alphabet = "0123456789ABCDEFabcdef" if hexadecimal else "0123456789"
    if not number or any(c not in alphabet for c in number) or len(number) > digits \
            or (exact and len(number) != digits):
        kind = "hex digits" if hexadecimal else "digits"
        raise ValueError(f"card number {number!r}: {'exactly' if exact else 'up to'} "
                         f"{digits} {kind} ({fmt})")
    value = int(number, 16 if hexadecimal else 10)
    size = 3 if fmt == "6H8D" else 4
    if value >= 1 << (8 * size):
        raise ValueError(f"card number {number!r}: too large for {fmt}")
    return _bytes_hex(value, size, reverse)


def printed_number(hex_bytes: str, fmt: str = "10D", *, reverse: bool = False) -> str:
    """The number format `fmt` prints for the card with these bytes (the inverse of
    `card_hex`): what HR matches against the card in hand."""
    fmt = card_format(fmt)
    raw = bytes.fromhex(normalise_uid(hex_bytes))
    if reverse:
        raw = raw[::-1]
    value = int.from_bytes(raw, "big")
    if fmt == "10D":
        return f"{value & 0xFFFFFFFF:010d}"
    if fmt == "8H":
        return f"{value & 0xFFFFFFFF:08X}"
    low = value & 0xFFFFFF
    if fmt == "6H8D":
        return f"{low:08d}"
    return f"{low >> 16:03d},{low & 0xFFFF:05d}"


def is_card_number(text: str, fmt: str = "10D") -> bool:
    """Whether typed text is a card number as this site's readers type it (every digit),
    rather than a QR secret or an enrolment code."""
    try:
        card_hex(text, fmt, exact=True)
    except ValueError:
        return False
    return True
