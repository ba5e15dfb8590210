"""What the store keeps so that the server need not take the kiosk's word: the server's
keys, the supervisors' wrong PINs, and the acts the server refused.

- Keys (from the enrolment answer, or ``GET /api/v1/keys`` for a kiosk enrolled before
  them): the site key, the salt of every card digest (shopfloor_trust/cards.py: the roster
  carries keyed digests, never a card number or its plain sha256), and the server's
  sealing public key with its id (shopfloor_trust/seal.py). They sit in the settings
  table of a file only the kiosk's user can read (kiosk/store_db.py).
- Wrong PINs, counted per supervisor and PIN epoch (the roster's ``pin_epoch``: HR setting
  a new PIN or unlocking starts a new one), kept across restarts.
- Refused acts: a remark, claim decision or hand-over the server answered ``rejected``
  (a wrong PIN in the seal, a locked supervisor, ...), kept until the supervisor who made
  it has been told.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any

from kiosk.store_db import StoreBase
from shopfloor_trust.cards import SITE_KEY_BYTES, card_digest
from shopfloor_trust.seal import key_id

KEY_SETTINGS = ("site_key", "sealing_key", "sealing_key_id")


@dataclass(frozen=True)
class Keys:
    site_key: bytes
    sealing_key: bytes  # raw X25519 public key
    sealing_key_id: str


def parse_keys(raw: Any) -> Keys:
    """The ``keys`` object of the enrolment answer (or of GET /keys); ValueError naming
    the field that does not fit."""
    if not isinstance(raw, dict):
        raise ValueError("keys: not an object")

    def raw_bytes(field: str) -> bytes:
        try:
            value = base64.b64decode(str(raw.get(field) or ""), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"keys.{field}: not base64") from None
        if len(value) != SITE_KEY_BYTES:
            raise ValueError(f"keys.{field}: not 32 bytes")
        return value

    site_key, sealing_key = raw_bytes("site_key"), raw_bytes("sealing_key")
    named = str(raw.get("sealing_key_id") or "")
    if named != key_id(sealing_key):
        raise ValueError("keys.sealing_key_id: does not name the sealing key")
    return Keys(site_key, sealing_key, named)


@dataclass(frozen=True)
class RefusedAct:
    uuid: str
    supervisor: str
    kind: str
    worker: str | None
    reason: str


class TrustMixin(StoreBase):
    # keys -------------------------------------------------------------------------------
    def save_keys(self, raw: dict[str, Any]) -> Keys:
        """Keep the server's keys (ValueError when they do not fit; nothing is kept then)."""
        keys = parse_keys(raw)
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("site_key", base64.b64encode(keys.site_key).decode()),
                 ("sealing_key", base64.b64encode(keys.sealing_key).decode()),
                 ("sealing_key_id", keys.sealing_key_id)])
        return keys

    def forget_keys(self) -> None:
        for name in KEY_SETTINGS:
            self.delete_setting(name)

    def _key(self, name: str) -> bytes | None:
        value = self.get_setting(name)
        return base64.b64decode(value) if value else None

    def site_key(self) -> bytes | None:
        return self._key("site_key")

    def sealing_key(self) -> bytes | None:
        return self._key("sealing_key")

    def sealing_key_id(self) -> str | None:
        return self.get_setting("sealing_key_id")

    def card_credential(self, number_hex: str) -> str | None:
        """The roster's digest of a card number (keyed and slow on purpose: ~25 ms; call it
        off the UI thread); None without a site key or for a number that is not hex."""
        site_key = self.site_key()
        if site_key is None:
            return None
        try:
            return card_digest(number_hex, site_key)
        except ValueError:
            return None

    # wrong PINs -------------------------------------------------------------------------
    def pin_failures(self, code: str, epoch: int) -> int:
        """Wrong PINs typed here for the supervisor ``code`` in PIN epoch ``epoch``."""
        rows = self._execute("SELECT epoch, failures FROM pin_failures WHERE supervisor = ?",
                             (code,))
        return int(rows[0][1]) if rows and int(rows[0][0]) == epoch else 0

    def note_pin_failure(self, code: str, epoch: int) -> int:
        """One more wrong PIN; the count in this epoch, this one included."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO pin_failures (supervisor, epoch, failures, last_at) "
                "VALUES (?, ?, 1, ?) ON CONFLICT (supervisor) DO UPDATE SET "
                "failures = CASE WHEN epoch = excluded.epoch THEN failures + 1 ELSE 1 END, "
                "epoch = excluded.epoch, last_at = excluded.last_at",
                (code, epoch, time.time()))
            row = db.execute("SELECT failures FROM pin_failures WHERE supervisor = ?",
                             (code,)).fetchone()
        return int(row[0])

    def clear_pin_failures(self, code: str) -> None:
        self._execute("DELETE FROM pin_failures WHERE supervisor = ?", (code,))

    # refused acts -----------------------------------------------------------------------
    def add_refused_act(self, event_uuid: str, supervisor: str, kind: str,
                        worker: str | None, reason: str) -> None:
        self._execute(
            "INSERT OR IGNORE INTO refused_acts (uuid, supervisor, kind, worker, reason, "
            "refused_at) VALUES (?, ?, ?, ?, ?, ?)",
            (event_uuid, supervisor, kind, worker, reason, time.time()))

    def untold_refused_acts(self, supervisor: str) -> list[RefusedAct]:
        rows = self._execute(
            "SELECT uuid, supervisor, kind, worker, reason FROM refused_acts "
            "WHERE supervisor = ? AND told_at IS NULL ORDER BY refused_at, uuid",
            (supervisor,))
        return [RefusedAct(*row) for row in rows]

    def mark_refused_acts_told(self, supervisor: str) -> None:
        self._execute("UPDATE refused_acts SET told_at = ? WHERE supervisor = ? "
                      "AND told_at IS NULL", (time.time(), supervisor))
