"""Seal test acts the way a kiosk does: a supervisor's PIN sealed to the server's sealing key,
bound to every event of the act, and the same proof added to each event
(shopfloor_trust/seal.py; the kiosk's side is kiosk/store.py `enqueue_act`).

    keys = app.extensions["shopfloor.keys"]        # or load_keys(data_dir) for a live server
    post_events(*sealed(keys, SUPERVISOR_PIN, [remark_a, remark_b]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask

from server.services.devices.keys import ServerKeys
from shopfloor_trust.seal import item_digest, seal_pin

# Where each act names its supervisor (server.services.events.kinds.ACT_KINDS): a payload
# field, or "worker", the event's own worker (an alert_ack).
ACTING = {"remark": "given_by", "claim_decision": "decided_by", "reward_handover": "handed_by",
          "alert_ack": "worker"}


def acting(event: dict[str, Any]) -> str:
    """The supervisor an act's event names."""
    field = ACTING[event["kind"]]
    return str(event["worker"] if field == "worker" else event["payload"][field])


def app_keys(app: Flask) -> ServerKeys:
    keys: ServerKeys = app.extensions["shopfloor.keys"]
    return keys


def digest(event: dict[str, Any]) -> str:
    """The event's digest a proof lists: its uuid, worker, time and payload as sent."""
    return item_digest(event["uuid"], event.get("worker"), event["occurred_at"],
                       event["payload"])


def proof(keys: ServerKeys, pin: str, events: Sequence[dict[str, Any]], *,
          kind: str | None = None, supervisor: str | None = None) -> dict[str, Any]:
    """The proof of one act made of `events` (all of one kind); the kind and the supervisor
    are the events' own unless given."""
    kind = kind or events[0]["kind"]
    supervisor = supervisor or acting(events[0])
    return seal_pin(pin, keys.sealing_public, kind, supervisor, [digest(e) for e in events])


def sealed(keys: ServerKeys, pin: str, events: Sequence[dict[str, Any]], **how: Any
           ) -> list[dict[str, Any]]:
    """The events of one act, each with the same proof (`how`: `proof`'s kind, supervisor)."""
    made = proof(keys, pin, events, **how)
    return [{**event, "proof": made} for event in events]


def seal_one(keys: ServerKeys, pin: str, event: dict[str, Any], **how: Any) -> dict[str, Any]:
    """One event, an act of its own, with its proof."""
    return sealed(keys, pin, [event], **how)[0]
