import pytest

from server.services.security import (
    card_credential_hash,
    hash_secret,
    normalise_card_uid,
    verify_secret,
)


@pytest.mark.parametrize("raw", ["04a1b2c3", "04:A1:B2:C3", " 04 a1 b2 c3 ", "04-A1-B2-C3"])
def test_card_uids_are_read_in_any_case_with_separators(raw: str) -> None:
    assert normalise_card_uid(raw) == "04A1B2C3"
    assert card_credential_hash(raw) == card_credential_hash("04A1B2C3")


@pytest.mark.parametrize("raw", ["", "04A", "ZZ11", "04:A1:B2:C"])
def test_malformed_card_uids_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a card UID"):
        normalise_card_uid(raw)


def test_argon2_hashes_verify_only_the_right_secret() -> None:
    stored = hash_secret("482910")
    assert stored.startswith("$argon2id$")
    assert verify_secret(stored, "482910")
    assert not verify_secret(stored, "482911")
    assert not verify_secret("not a hash", "482910")
