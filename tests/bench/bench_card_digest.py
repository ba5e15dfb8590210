"""What one guess at a card number costs someone holding a stolen kiosk's data folder.

Run: .venv/bin/python -m pytest tests/bench/bench_card_digest.py -o python_files='bench_*.py' -s

The roster carries each card as `card_digest(number, site_key)` (shopfloor_trust/cards.py:
scrypt, n = 2^13, r = 8, the site key as salt). With the folder copied, the site key is
known, so the number of a card behind a digest can only be searched for, one scrypt a
guess. Measured here, on this machine, through the kiosk's own path
(`Store.card_credential`, which the badge reader calls off the UI thread):

- one digest, single-threaded (target: about 20 ms or more);
- 2^32 guesses (every 4-byte UID) on this machine's cores, in CPU-years;
- the old roster's plain sha256 for comparison (what a 4-byte UID cost before).

Figures are printed; nothing here asserts on time.
"""

from __future__ import annotations

import base64
import hashlib
import os
import statistics
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.store import Store
from shopfloor_trust.cards import card_digest
from shopfloor_trust.seal import key_id

RUNS = 40
SECONDS_A_YEAR = 365.25 * 86400


def test_one_keyed_digest_guess(tmp_path):
    store = Store(tmp_path / "kiosk.sqlite3")
    key = os.urandom(32)
    try:
        store.save_keys(_keys(key))
        times = []
        for n in range(RUNS):
            started = time.perf_counter()
            digest = store.card_credential(f"{n:08X}")
            times.append(time.perf_counter() - started)
            assert digest == card_digest(f"{n:08X}", key)
    finally:
        store.close()
    bare = []
    for n in range(RUNS):
        started = time.perf_counter()
        card_digest(f"{n:08X}", key)
        bare.append(time.perf_counter() - started)
    sha = []
    for n in range(RUNS * 100):
        started = time.perf_counter()
        hashlib.sha256(f"{n:08X}".encode()).hexdigest()
        sha.append(time.perf_counter() - started)
    one = statistics.median(bare)
    cores = os.cpu_count() or 1
    print(f"\nkeyed card digest: median {statistics.median(times) * 1000:.1f} ms through "
          f"Store.card_credential, {one * 1000:.1f} ms bare (target: ~20 ms or more)")
    print(f"2^32 guesses: {2**32 * one / SECONDS_A_YEAR:.1f} CPU-years, "
          f"{2**32 * one / SECONDS_A_YEAR / cores:.1f} years on this machine's {cores} cores")
    print(f"the old plain sha256: {statistics.median(sha) * 1e6:.2f} µs a guess, "
          f"2^32 in {2**32 * statistics.median(sha) / 60 / cores:.1f} minutes here")


def _keys(site_key: bytes) -> dict[str, str]:
    public = X25519PrivateKey.generate().public_key().public_bytes_raw()
    return {"site_key": base64.b64encode(site_key).decode(),
            "sealing_key": base64.b64encode(public).decode(), "sealing_key_id": key_id(public)}
