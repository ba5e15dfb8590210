"""The outbox: every event the kiosk made, until its server has it.

A state machine (see :class:`OutboxState`): an event is written ``pending`` with
``synchronous=FULL`` before the screen says "done"; the sync worker claims a batch
(``in_flight``), then acks each item (``sent``) or nacks it (back to ``pending`` to retry,
or ``failed`` when the server rejected it). Rows left ``in_flight`` by a crash go back to
``pending`` when the store opens; ``sent`` rows are pruned. ``attempts`` counts the claims:
an event never claimed has certainly not reached the server.

Each row belongs to the server it was made for (``server_id``: the one pinned then) and
is sent only to that server: after a technician enrolled the kiosk to another server
(``enroll --new-server``), the old server's rows stay, held, and ``shopfloor-kiosk status``
lists them; they never go to the new one.

Time: ``occurred_at`` is the kiosk's clock corrected by the server's (kiosk/clock.py) and
``kiosk_time`` the raw clock. An event made before the server's offset of this boot was
known is stamped with the raw clock and corrected when it becomes known, unless it has
been claimed once (the server may have it as it was) or it is a sealed act (its time is
bound into the seal).

A supervisor's act (:meth:`OutboxMixin.enqueue_act`) is written in one transaction: every
event gets its uuid and times, then the PIN is sealed to the server's sealing key, bound to
the digests of those events exactly as they will be sent (shopfloor_trust/seal.py), and
each row keeps that proof. The PIN itself is never written.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from kiosk.clock import iso, stamps
from kiosk.errors import NoSealingKey, StoreError
from kiosk.store_trust import TrustMixin
from shopfloor_trust.seal import MAX_ACT_ITEMS, item_digest, seal_pin

# The server an event is made for, and sent to: the pinned one.
PINNED_SERVER = "(SELECT value FROM settings WHERE key = 'server_id')"
# A new measurement of the server's clock replaces the kept one when they differ by more
# (the Date header has whole seconds).
CLOCK_KEEP_S = 2.0
# The payload field naming the supervisor of each kind of act; the proof must name the same.
ACT_SIGNERS = {"remark": "given_by", "claim_decision": "decided_by",
               "reward_handover": "handed_by"}
ACT_KINDS = frozenset({*ACT_SIGNERS, "alert_ack"})


class OutboxState(enum.Enum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutboxItem:
    uuid: str
    kind: str
    worker: str | None
    occurred_at: str
    payload: dict[str, Any]
    attempts: int
    kiosk_time: str | None = None
    proof: dict[str, Any] | None = None

    @property
    def supervisor(self) -> str | None:
        """Who made this event, when it is part of a supervisor's act."""
        if self.proof is not None and isinstance(self.proof.get("supervisor"), str):
            return str(self.proof["supervisor"])
        named = self.payload.get(ACT_SIGNERS.get(self.kind, ""))
        return str(named) if named else None

    def as_api(self) -> dict[str, Any]:
        """The event as sent: the envelope of docs/ARCHITECTURE.md."""
        event: dict[str, Any] = {
            "uuid": self.uuid,
            "kind": self.kind,
            "worker": self.worker,
            "occurred_at": self.occurred_at,
            "payload": self.payload,
        }
        if self.kiosk_time is not None:
            event["kiosk_time"] = self.kiosk_time
        if self.proof is not None:
            event["proof"] = self.proof
        return event


_COLUMNS = "uuid, kind, worker, occurred_at, payload, attempts, kiosk_time, proof"


def _item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6],
                      json.loads(row[7]) if row[7] else None)


def _as_sent(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The payload as stored (JSON text) and as it will be read back and sent."""
    text = json.dumps(payload, ensure_ascii=False)
    return text, json.loads(text)


class OutboxMixin(TrustMixin):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._execute(
            "UPDATE outbox SET state = ?, updated_at = ? WHERE state = ?",
            (OutboxState.PENDING.value, time.time(), OutboxState.IN_FLIGHT.value),
        )

    # the server's clock -----------------------------------------------------------------
    def server_clock(self) -> float | None:
        """The server's time minus the seconds since this boot, once a server answered in
        this boot; None before."""
        rows = self._execute("SELECT key, value FROM settings WHERE key IN "
                             "('clock_boot_id', 'clock_boot_offset')")
        kept = dict(rows)
        if kept.get("clock_boot_id") != self._clock.read().boot_id:
            return None
        try:
            return float(kept["clock_boot_offset"])
        except (KeyError, ValueError):
            return None

    def set_server_clock(self, boot_offset_s: float) -> int:
        """Keep the server's time minus the seconds since this boot, and correct the events
        of this boot stamped before it was known; how many were corrected."""
        reading = self._clock.read()
        kept = self.server_clock()
        with self._transaction() as db:
            if kept is None or abs(kept - boot_offset_s) > CLOCK_KEEP_S:
                db.executemany(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [("clock_boot_id", reading.boot_id),
                     ("clock_boot_offset", repr(boot_offset_s))])
            rows = db.execute(
                "SELECT seq, since_boot FROM outbox WHERE corrected = 0 AND boot_id = ? "
                "AND attempts = 0 AND state = ? AND proof IS NULL AND since_boot IS NOT NULL",
                (reading.boot_id, OutboxState.PENDING.value)).fetchall()
            db.executemany("UPDATE outbox SET occurred_at = ?, corrected = 1 WHERE seq = ?",
                           [(iso(since + boot_offset_s), seq) for seq, since in rows])
        return len(rows)

    # writing ----------------------------------------------------------------------------
    def enqueue(self, kind: str, worker: str | None, payload: dict[str, Any]) -> str:
        """Write an event durably and return its UUID; only then may the screen say done."""
        reading = self._clock.read()
        occurred_at, kiosk_time, corrected = stamps(reading, self.server_clock())
        event_uuid = str(uuid.uuid4())
        self._execute(
            "INSERT INTO outbox (uuid, kind, worker, occurred_at, kiosk_time, payload, state, "
            f"updated_at, server_id, boot_id, since_boot, corrected) VALUES "
            f"(?, ?, ?, ?, ?, ?, ?, ?, {PINNED_SERVER}, ?, ?, ?)",
            (event_uuid, kind, worker, occurred_at, kiosk_time,
             json.dumps(payload, ensure_ascii=False), OutboxState.PENDING.value, time.time(),
             reading.boot_id, reading.since_boot, int(corrected)),
        )
        return event_uuid

    def enqueue_act(self, kind: str, supervisor: str, pin: str,
                    items: list[tuple[str | None, dict[str, Any]]]) -> list[str]:
        """Write every event of a supervisor's act (``items``: worker and payload of each)
        in one transaction, each carrying the proof: ``pin`` sealed to the server's
        sealing key and bound to the act. Returns their UUIDs in order. NoSealingKey when
        the server's key has not come yet. An act of more than MAX_ACT_ITEMS events is
        sealed in parts of that many (each part its own seal of the same PIN)."""
        if not items:
            raise StoreError(f"a {kind} act needs at least one event")
        signer = ACT_SIGNERS.get(kind)
        if signer is not None and any(payload.get(signer) != supervisor for _, payload in items):
            raise StoreError(f"a {kind} act must name its supervisor {supervisor} as {signer}")
        key = self.sealing_key()
        if key is None:
            raise NoSealingKey("no sealing key from the server yet: supervisors' acts wait "
                               "for the next sync")
        reading = self._clock.read()
        occurred_at, kiosk_time, _ = stamps(reading, self.server_clock())
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(items), MAX_ACT_ITEMS):
            part = [(str(uuid.uuid4()), worker, *_as_sent(payload))
                    for worker, payload in items[start:start + MAX_ACT_ITEMS]]
            try:
                proof = seal_pin(pin, key, kind, supervisor,
                                 [item_digest(u, w, occurred_at, sent) for u, w, _, sent in part])
            except ValueError as exc:  # never names the PIN
                raise StoreError(f"cannot seal the {kind} act: {exc}") from exc
            sealed = json.dumps(proof)
            rows += [(u, kind, w, occurred_at, kiosk_time, text, sealed) for u, w, text, _ in part]
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO outbox (uuid, kind, worker, occurred_at, kiosk_time, payload, "
                "proof, state, updated_at, server_id, boot_id, since_boot, corrected) VALUES "
                f"(?, ?, ?, ?, ?, ?, ?, ?, ?, {PINNED_SERVER}, ?, ?, 1)",
                [(*row, OutboxState.PENDING.value, time.time(), reading.boot_id,
                  reading.since_boot) for row in rows])
        return [row[0] for row in rows]

    # sending ----------------------------------------------------------------------------
    def claim_batch(self, limit: int = 50, *, server_id: str | None = None) -> list[OutboxItem]:
        """Up to ``limit`` pending events of ``server_id`` (by default the pinned server),
        oldest first, now in flight."""
        target = "?" if server_id is not None else PINNED_SERVER
        params: tuple[Any, ...] = (OutboxState.PENDING.value,
                                   *((server_id,) if server_id is not None else ()), limit)
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = ? AND server_id IS {target} "
                "ORDER BY seq LIMIT ?", params).fetchall()
            db.executemany(
                "UPDATE outbox SET state = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE uuid = ?",
                [(OutboxState.IN_FLIGHT.value, time.time(), r[0]) for r in rows])
        return [_item(r) for r in rows]

    def ack(self, event_uuid: str) -> None:
        self._set_state(event_uuid, OutboxState.SENT, None)

    def nack(self, event_uuid: str, error: str, *, permanent: bool = False) -> None:
        state = OutboxState.FAILED if permanent else OutboxState.PENDING
        self._set_state(event_uuid, state, error)

    def _set_state(self, event_uuid: str, state: OutboxState, error: str | None) -> None:
        # A card number goes no further once the server refused its event for good.
        payload = ("json_remove(payload, '$.card_number')" if state is OutboxState.FAILED
                   else "payload")
        self._execute(
            f"UPDATE outbox SET state = ?, last_error = ?, updated_at = ?, payload = {payload} "
            "WHERE uuid = ? AND state = ?",
            (state.value, error, time.time(), event_uuid, OutboxState.IN_FLIGHT.value),
        )

    def prune_sent(self, older_than_s: float = 0.0) -> int:
        """Delete what the server has. Deleted rows are overwritten (``secure_delete``), and
        when one held a card number the WAL is emptied too: the number is gone from the
        disk."""
        cutoff = time.time() - older_than_s
        where = "WHERE state = ? AND updated_at <= ?"
        with self._transaction() as db:
            numbers = db.execute(f"SELECT COUNT(*) FROM outbox {where} AND "
                                 "json_extract(payload, '$.card_number') IS NOT NULL",
                                 (OutboxState.SENT.value, cutoff)).fetchone()[0]
            pruned = db.execute(f"DELETE FROM outbox {where}",
                                (OutboxState.SENT.value, cutoff)).rowcount
        if numbers:
            self._execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return pruned

    # reading ----------------------------------------------------------------------------
    def queued(self, kind: str, worker: str | None = None) -> list[OutboxItem]:
        """Events of ``kind`` for the pinned server not yet taken by it (pending or in
        flight)."""
        rows = self._execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE kind = ? AND state IN (?, ?) "
            f"AND server_id IS {PINNED_SERVER} AND (? IS NULL OR worker = ?) ORDER BY seq",
            (kind, OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value, worker, worker))
        return [_item(r) for r in rows]

    def depth(self) -> int:
        """Events waiting for the pinned server."""
        rows = self._execute(
            f"SELECT COUNT(*) FROM outbox WHERE state IN (?, ?) AND server_id IS {PINNED_SERVER}",
            (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value),
        )
        return int(rows[0][0])

    def held(self) -> dict[str, int]:
        """Unsent events made for another server than the pinned one, by server id: they
        are never sent (``"?"``: made before the kiosk knew any server)."""
        rows = self._execute(
            f"SELECT server_id, COUNT(*) FROM outbox WHERE state IN (?, ?) "
            f"AND server_id IS NOT {PINNED_SERVER} GROUP BY server_id",
            (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value))
        return {str(server) if server is not None else "?": int(n) for server, n in rows}

    def counts(self) -> dict[str, int]:
        rows = self._execute("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        counts = {state.value: 0 for state in OutboxState}
        counts.update({state: int(n) for state, n in rows})
        return counts

    def state_of(self, event_uuid: str) -> OutboxState | None:
        rows = self._execute("SELECT state FROM outbox WHERE uuid = ?", (event_uuid,))
        return OutboxState(rows[0][0]) if rows else None

    def bind_unowned_events(self) -> int:
        """Rows made before the kiosk pinned any server (an old kiosk's, kept through its
        first pinned enrolment) now belong to the pinned one."""
        with self._transaction() as db:
            cursor = db.execute(f"UPDATE outbox SET server_id = {PINNED_SERVER} "
                                "WHERE server_id IS NULL")
            return cursor.rowcount
