"""The number printed on a card, in every card format a site may use: the bytes a reader's
typed number stands for (`card_hex`), the number printed for those bytes
(`printed_number`), spreadsheet numbers whose leading zeros Excel dropped, readers that
give the bytes the other way round, and the messages for numbers that do not fit.

The expected values are worked out by hand from the formats' definitions (the card's
last four bytes as 10 decimal digits or 8 hex digits, the last three as 8 decimal digits,
or the third-last byte and the last two as Wiegand-26's "facility,card"), not from the
functions under test."""

from __future__ import annotations

import random

import pytest

from shopfloor_trust.cards import (
    CARD_FORMATS,
    card_digest,
    card_format,
    card_hex,
    is_card_number,
    printed_number,
)

# One EM4100 card as its printed numbers: bytes 00 D1 CA AF (13748911 = 0xD1CAAF;
# 0xD1 = 209, 0xCAAF = 51887).
CARD = {
    "10D": ("0013748911", "00D1CAAF"),
    "8H": ("00D1CAAF", "00D1CAAF"),
    "6H8D": ("13748911", "D1CAAF"),
    "2H,4H": ("209,51887", "D1CAAF"),
}
# The issue's Wiegand-26 example: 111 = 0x6F, 27706 = 0x6C3A.
W26 = ("111,27706", "6F6C3A")


@pytest.mark.parametrize("fmt", CARD_FORMATS)
def test_the_printed_number_and_the_bytes_are_one_card(fmt):
    printed, hexadecimal = CARD[fmt]
    assert card_hex(printed, fmt, exact=True) == hexadecimal
    assert printed_number(hexadecimal, fmt) == printed
    assert is_card_number(printed, fmt)


def test_the_wiegand_example_of_the_issue():
    assert card_hex(W26[0], "2H,4H", exact=True) == W26[1]
    assert printed_number(W26[1], "2H,4H") == W26[0]
    # the same bytes as a 10D site prints them
    assert printed_number(W26[1], "10D") == "0007302202"  # 0x6F6C3A = 7302202


@pytest.mark.parametrize("fmt", CARD_FORMATS)
def test_every_number_round_trips(fmt):
    size = 4 if fmt in ("10D", "8H") else 3
    values = [0, 1, 255, 256, 65535, 65536, (1 << (8 * size)) - 1]
    values += random.Random(17).sample(range(1 << (8 * size)), 200)
    for value in values:
        hexadecimal = value.to_bytes(size, "big").hex().upper()
        for reverse in (False, True):
            printed = printed_number(hexadecimal, fmt, reverse=reverse)
            assert card_hex(printed, fmt, reverse=reverse, exact=True) == hexadecimal, \
                (fmt, reverse, hexadecimal, printed)
            assert is_card_number(printed, fmt)


def test_hex_digits_in_any_case():
    assert card_hex("00d1caaf", "8H", exact=True) == "00D1CAAF"
    assert printed_number("00:d1:ca:af", "10D") == "0013748911"


def test_a_longer_uid_prints_its_last_bytes():
    """A 7-byte MIFARE UID on a 10D reader: the reader types its last four bytes."""
    assert printed_number("04A1B2C3D4E5F6", "10D") == f"{0xC3D4E5F6:010d}"
    assert printed_number("04A1B2C3D4E5F6", "6H8D") == f"{0xD4E5F6:08d}"
    assert printed_number("04A1B2C3D4E5F6", "2H,4H") == f"{0xD4:03d},{0xE5F6:05d}"


# --- leading zeros Excel dropped ---------------------------------------------------------


@pytest.mark.parametrize(("fmt", "stripped", "hexadecimal"), [
    ("10D", "13748911", "00D1CAAF"),
    ("10D", "42", "0000002A"),
    ("8H", "D1CAAF", "00D1CAAF"),
    ("6H8D", "42", "00002A"),
    ("2H,4H", "9,42", "09002A"),
    ("2H,4H", "111,2770", "6F0AD2"),  # 2770 = 0x0AD2
])
def test_a_spreadsheet_number_without_its_leading_zeros(fmt, stripped, hexadecimal):
    assert card_hex(stripped, fmt) == hexadecimal
    # a reader always types every digit: typed like this it is not a card number
    assert not is_card_number(stripped, fmt)
    with pytest.raises(ValueError, match="exactly|expected facility,card"):
        card_hex(stripped, fmt, exact=True)


def test_surrounding_spaces_are_not_part_of_the_number():
    assert card_hex(" 0013748911 ", "10D", exact=True) == "00D1CAAF"


# --- reversed byte order -----------------------------------------------------------------


def test_reversed_readers_give_the_bytes_the_other_way_round():
    assert card_hex("0013748911", "10D", reverse=True, exact=True) == "AFCAD100"
    assert printed_number("AFCAD100", "10D", reverse=True) == "0013748911"
    assert card_hex("209,51887", "2H,4H", reverse=True, exact=True) == "AFCAD1"
    assert card_hex("00D1CAAF", "8H", reverse=True) == "AFCAD100"
    # the same number read both ways is two different cards, so two digests
    key = bytes(32)
    assert card_digest(card_hex("0013748911", "10D"), key) != \
        card_digest(card_hex("0013748911", "10D", reverse=True), key)


# --- the format's name -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "canonical"), [
    ("10D", "10D"), ("10d", "10D"), (" 8h ", "8H"), ("6H8D", "6H8D"), ("6H→8D", "6H8D"),
    ("6h->8d", "6H8D"), ("2H,4H", "2H,4H"), ("2h, 4h", "2H,4H"), ("W26", "2H,4H"),
    ("wiegand26", "2H,4H"),
])
def test_format_names(name, canonical):
    assert card_format(name) == canonical


@pytest.mark.parametrize("name", ["", "12D", "8D", "2H4H", "hex"])
def test_an_unknown_format_names_the_ones_there_are(name):
    with pytest.raises(ValueError, match=r"one of 10D, 8H, 6H8D, 2H,4H"):
        card_format(name)
    with pytest.raises(ValueError):
        card_hex("0013748911", name)


# --- numbers that do not fit -------------------------------------------------------------


@pytest.mark.parametrize(("text", "fmt", "message"), [
    ("001374891", "10D", r"exactly 10 digits \(10D\)"),
    ("00137489111", "10D", r"exactly 10 digits \(10D\)"),
    ("4294967296", "10D", "too large for 10D"),
    ("9999999999", "10D", "too large for 10D"),
    ("00D1CAAG", "8H", r"exactly 8 hex digits \(8H\)"),
    ("0D1CAAF", "8H", r"exactly 8 hex digits \(8H\)"),
    ("16777216", "6H8D", "too large for 6H8D"),
    ("1374891a", "6H8D", r"exactly 8 digits \(6H8D\)"),
    ("20951887", "2H,4H", "expected facility,card such as 111,27706"),
    ("209,5188", "2H,4H", "expected facility,card such as 111,27706"),
    ("256,00001", "2H,4H", "facility up to 255, card up to 65535"),
    ("209,65536", "2H,4H", "facility up to 255, card up to 65535"),
    ("", "10D", r"exactly 10 digits"),
    ("-013748911", "10D", r"exactly 10 digits"),
    ("１２３４５６７８９０", "10D", r"exactly 10 digits"),  # full-width digits from an IME
    ("１１１,２７７０６", "2H,4H", "expected facility,card such as 111,27706"),
    ("²²²,27706", "2H,4H", "expected facility,card such as 111,27706"),
    ("111,٢٧٧٠٦", "2H,4H", "expected facility,card such as 111,27706"),
])
def test_bad_numbers_say_what_is_wrong(text, fmt, message):
    with pytest.raises(ValueError, match=message):
        card_hex(text, fmt, exact=True)
    assert not is_card_number(text, fmt)


@pytest.mark.parametrize(("text", "message"), [
    ("00137489111", r"up to 10 digits \(10D\)"),
    ("12a4", r"up to 10 digits \(10D\)"),
])
def test_bad_spreadsheet_numbers_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        card_hex(text, "10D")


@pytest.mark.parametrize("text", ["SF-QR-8d1c2e7a44", "SFK1:abc:DEF:123", "0013748911x",
                                  "0013 748911", "13748911"])
def test_qr_secrets_and_codes_are_not_card_numbers(text):
    assert not is_card_number(text, "10D")
