"""Proof that a supervisor was at the kiosk for their act: the PIN they typed, sealed there
to the server's sealing key and bound to every event of the act (shopfloor_trust/seal.py).

For each event of an act (ACT_KINDS) the proof must be there, name the supervisor the
event names (a payload field such as `given_by`, or for an alert_ack the event's own
`worker`: kinds.act_supervisor), list this event's digest (its uuid, worker, occurred_at
and payload exactly as sent, so a proof copied to another event, or an event whose points
or worker were changed, does not fit), open with the sealing key for this kind, supervisor
and list of events, and hold the supervisor's PIN (people/pins.py, which counts wrong PINs
once per seal and locks the supervisor's acts at the fifth). A seal opened once is not
opened again in the batch: an act of 50 events checks argon2 once. The PIN is never stored
or logged.

Every refusal's reason starts with "proof:", which the kiosk shows to the supervisor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.models import Worker
from server.services.devices.keys import ServerKeys
from server.services.events.batch import Rejected
from server.services.events.kinds import KioskEvent, act_supervisor
from server.services.people.pins import PinRefused, check_act_pin
from shopfloor_trust.seal import SealRefused, item_digest, open_seal, seal_digest

REQUIRED = "proof: required: a supervisor's act needs their PIN, sealed at the kiosk"
NOT_THIS_EVENT = "proof: not made for this event"


def refusal(message: str) -> str:
    """A seal's complaint as the kiosk is told it: "proof.key: ..." -> "proof: key: ..."."""
    if message.startswith("proof:"):
        return message
    return f"proof: {message.removeprefix('proof.')}"


class Proofs:
    """The proofs of one batch's supervisor acts."""

    def __init__(self, session: Session, keys: ServerKeys | None, actor: str,
                 now: datetime) -> None:
        self.session, self.keys, self.actor, self.now = session, keys, actor, now
        # Each proof checked in this batch, whole, with the kind it was checked for -> None
        # when its PIN was right, else the reason it was refused.
        self._outcomes: dict[tuple[object, ...], str | None] = {}

    def check(self, event: KioskEvent, sent: Mapping[str, Any],
              supervisor: Callable[[str, str], Worker]) -> None:
        """Raise Rejected unless `event` (a supervisor's act; `sent` is the event as the
        kiosk sent it) carries a proof that its supervisor typed their PIN for it.
        `supervisor(code, field)` looks the supervisor up (or raises Rejected)."""
        code, where = act_supervisor(event)
        proof = event.proof
        if proof is None:
            raise Rejected(REQUIRED)
        if code is None:  # (the kinds' models require the supervisor)
            raise Rejected(f"{where}: required: the supervisor acting")
        if proof.supervisor != code:
            raise Rejected(f"proof: sealed by {proof.supervisor!r}, not by {where} {code!r}")
        digest = item_digest(sent["uuid"], sent.get("worker"), sent["occurred_at"],
                             sent["payload"])
        if digest not in proof.items:
            raise Rejected(NOT_THIS_EVENT)
        key = (event.kind, proof.v, proof.key, proof.supervisor, proof.epk, proof.nonce,
               proof.ct, tuple(proof.items))
        if key not in self._outcomes:
            self._outcomes[key] = self._open(event.kind, proof.model_dump(),
                                             supervisor(code, where))
        reason = self._outcomes[key]
        if reason is not None:
            raise Rejected(reason)

    def _open(self, kind: str, sealed: dict[str, Any], supervisor: Worker) -> str | None:
        if self.keys is None:  # only HR's booking runs without keys, and it checks no proof
            raise RuntimeError("the server's keys are needed to check a proof")
        try:
            pin = open_seal(sealed, self.keys.sealing, kind)
            # The supervisor's count as it stands, and held until this batch commits: PINs
            # guessed at in parallel (from several kiosks) are counted one after another.
            self.session.flush()
            self.session.refresh(supervisor, with_for_update=True)
            check_act_pin(self.session, supervisor, pin, seal_digest(sealed), self.actor,
                          now=self.now)
        except SealRefused as refused:
            return refusal(str(refused))
        except PinRefused as refused:
            return refusal(f"proof: {refused}")
        return None
