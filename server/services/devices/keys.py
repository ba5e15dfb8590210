"""The server's own keys for kiosks: the site key (the salt of every card digest,
shopfloor_trust/cards.py) and the sealing key pair (supervisors' PINs are sealed to its
public half, shopfloor_trust/seal.py).

Both are made on first start and kept in `<data dir>/keys/` (the folder 0700, the files
0600), never in the database: the roster, a plain backup, the audit log and the logs
never hold them. They go to a kiosk at enrolment (over the pinned TLS link) and into
encrypted backups only (services/backup.py). The sealing key is not the TLS key, so a
renewed certificate or a TLS-terminating proxy leaves every kiosk's seals working.
"""

from __future__ import annotations

import base64
import os
import secrets
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from shopfloor_trust.cards import SITE_KEY_BYTES, card_digest
from shopfloor_trust.seal import key_id

KEYS_DIR = "keys"
SITE_KEY_FILE = "site.key"
SEALING_KEY_FILE = "sealing.key"


@dataclass(frozen=True)
class ServerKeys:
    site_key: bytes
    sealing: X25519PrivateKey

    @property
    def sealing_public(self) -> bytes:
        return self.sealing.public_key().public_bytes_raw()

    @property
    def sealing_key_id(self) -> str:
        return key_id(self.sealing_public)

    def card_digest(self, number: str) -> str:
        """The roster's digest of a card number (hex; ValueError when it is not)."""
        return card_digest(number, self.site_key)

    def for_kiosk(self) -> dict[str, Any]:
        """What a kiosk is handed at enrolment (and by GET /api/v1/keys)."""
        return {"site_key": base64.b64encode(self.site_key).decode(),
                "sealing_key": base64.b64encode(self.sealing_public).decode(),
                "sealing_key_id": self.sealing_key_id}


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_keys(data_dir: Path) -> ServerKeys:
    """The keys in `data_dir`, made there on first use."""
    folder = data_dir / KEYS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    site_path, sealing_path = folder / SITE_KEY_FILE, folder / SEALING_KEY_FILE
    # (FileExistsError: another worker made it first, and that one is kept)
    if not site_path.exists():
        with suppress(FileExistsError):
            _write_new(site_path, secrets.token_bytes(SITE_KEY_BYTES).hex().encode())
    if not sealing_path.exists():
        with suppress(FileExistsError):
            _write_new(sealing_path, X25519PrivateKey.generate().private_bytes_raw().hex()
                       .encode())
    site_key = bytes.fromhex(site_path.read_text().strip())
    sealing = X25519PrivateKey.from_private_bytes(
        bytes.fromhex(sealing_path.read_text().strip()))
    if len(site_key) != SITE_KEY_BYTES:
        raise ValueError(f"{site_path}: not a site key")
    return ServerKeys(site_key, sealing)
