"""Card numbers, keyed digests and argon2: what the server keeps instead of a secret."""

import time

import pytest

from server.services.security import hash_secret, verify_secret
from shopfloor_trust.cards import card_digest, legacy_card_digest, normalise_uid

SITE_KEY = bytes(range(32))


@pytest.mark.parametrize("raw", ["04a1b2c3", "04:A1:B2:C3", " 04 a1 b2 c3 ", "04-A1-B2-C3"])
def test_card_numbers_are_read_in_any_case_with_separators(raw: str) -> None:
    assert normalise_uid(raw) == "04A1B2C3"
    assert card_digest(raw, SITE_KEY) == card_digest("04A1B2C3", SITE_KEY)


@pytest.mark.parametrize("raw", ["", "04A", "ZZ11", "04:A1:B2:C"])
def test_malformed_card_numbers_are_refused_without_repeating_them(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^not a card number in hex \(\d+ characters\)$"):
        normalise_uid(raw)


def test_a_keyed_digest_needs_the_site_key_and_costs_each_guess() -> None:
    other = bytes(32)
    assert card_digest("04A1B2C3", SITE_KEY) != card_digest("04A1B2C3", other)
    assert card_digest("04A1B2C3", SITE_KEY) != legacy_card_digest("04A1B2C3")
    started = time.perf_counter()
    for n in range(4):
        card_digest(f"{n:08X}", SITE_KEY)
    assert (time.perf_counter() - started) / 4 > 0.005, "each guess costs a slow digest"
    with pytest.raises(ValueError, match="32 bytes"):
        card_digest("04A1B2C3", b"short")


def test_argon2_hashes_verify_only_the_right_secret() -> None:
    stored = hash_secret("482910")
    assert stored.startswith("$argon2id$")
    assert verify_secret(stored, "482910")
    assert not verify_secret(stored, "482911")
    assert not verify_secret("not a hash", "482910")
