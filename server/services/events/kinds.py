"""The kiosk's events as pydantic models, one per kind, told apart by `kind`.

These models are the contract: the ingest service validates each event with them, and the
OpenAPI document is generated from them, so the two cannot drift apart. Each kind's
payload, and the checked strings and numbers they are made of, are in events/payloads.py;
here is the envelope every kind shares (uuid, worker, times, a supervisor's proof) and
what ingest needs of a whole batch.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from server.services.events.payloads import (
    AlertAckPayload,
    AppealPayload,
    BadgeInPayload,
    ClaimDecisionPayload,
    Code,
    CountPayload,
    LanguageSetPayload,
    MachineFaultPayload,
    MachinePayload,
    NoticeSeenPayload,
    PinLockedPayload,
    PointClaimPayload,
    Proof,
    QualityIssuePayload,
    RemarkPayload,
    RemarkUndoPayload,
    RewardHandoverPayload,
    RewardRedeemPayload,
    Strict,
    TrainingProgressPayload,
)

__all__ = [
    "ACT_BY_WORKER", "ACT_KINDS", "COUNT_KINDS", "KINDS", "MAX_BATCH", "RUN_KINDS",
    "TROUBLE_KINDS", "AlertAckPayload", "AppealPayload", "BadgeInPayload",
    "ClaimDecisionPayload", "Code", "CountPayload",
    "EventBatch", "EventIn", "EventKind", "KioskEvent", "LanguageSetPayload",
    "MachineFaultPayload",
    "MachinePayload", "NoticeSeenPayload", "PinLockedPayload", "PointClaimPayload", "Proof",
    "QualityIssuePayload", "RawBatch", "RemarkPayload", "RemarkUndoPayload",
    "RewardHandoverPayload", "RewardRedeemPayload", "TrainingProgressPayload",
    "act_supervisor", "body_hash", "canonical_payload", "describe", "event_adapter",
]

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class EventKind(StrEnum):
    """Every kind of event a kiosk sends; the one list the server keeps of them."""

    BADGE_IN = "badge_in"
    MACHINE_START = "machine_start"
    MACHINE_STOP = "machine_stop"
    MACHINE_FAULT = "machine_fault"
    OUTPUT = "output"
    DEFECT = "defect"
    QUALITY_ISSUE = "quality_issue"
    POINT_CLAIM = "point_claim"
    REMARK = "remark"
    CLAIM_DECISION = "claim_decision"
    TRAINING_PROGRESS = "training_progress"
    APPEAL = "appeal"
    NOTICE_SEEN = "notice_seen"
    REWARD_REDEEM = "reward_redeem"
    REWARD_HANDOVER = "reward_handover"
    REMARK_UNDO = "remark_undo"
    PIN_LOCKED = "pin_locked"
    ALERT_ACK = "alert_ack"
    LANGUAGE_SET = "language_set"


# Kinds that change a production record: a machine run, or a count of pieces.
RUN_KINDS: tuple[str, ...] = (EventKind.MACHINE_START.value, EventKind.MACHINE_STOP.value)
COUNT_KINDS: tuple[str, ...] = (EventKind.OUTPUT.value, EventKind.DEFECT.value)
# Kinds a worker reports as trouble on the floor.
TROUBLE_KINDS: tuple[str, ...] = (EventKind.QUALITY_ISSUE.value, EventKind.MACHINE_FAULT.value)
# A supervisor's acts: each event carries `proof`, the supervisor's PIN sealed at the kiosk,
# and where the event names the supervisor who acted: a field of its payload, or
# ACT_BY_WORKER, the event's own `worker` (`act_supervisor` reads either).
ACT_BY_WORKER = "worker"
ACT_KINDS: dict[str, str] = {
    EventKind.REMARK.value: "given_by",
    EventKind.CLAIM_DECISION.value: "decided_by",
    EventKind.REWARD_HANDOVER.value: "handed_by",
    EventKind.ALERT_ACK.value: ACT_BY_WORKER,
}


class KioskEvent(Strict):
    """What every kind has in common; the kinds below narrow `kind`, `worker`, `payload`."""

    uuid: UUID = Field(description="made by the kiosk; the same event always has the same UUID")
    kind: str
    worker: Code | None
    occurred_at: AwareDatetime = Field(
        description="with a UTC offset; stored in UTC. The kiosk's clock corrected by its "
                    "offset from the server's (the `Date` header)")
    kiosk_time: AwareDatetime | None = Field(
        default=None, description="the kiosk's own clock when it happened, uncorrected; "
                                  "kept beside occurred_at for diagnosis")
    proof: Proof | None = Field(
        default=None, description="required for a supervisor's act (remark, claim_decision, "
                                  "reward_handover, alert_ack): the PIN sealed at the kiosk")
    payload: BaseModel

    @field_validator("occurred_at")
    @classmethod
    def _in_range(cls, value: datetime) -> datetime:
        value = _utc(value)
        if value < EARLIEST:
            raise ValueError("is before the year 2000")
        return value

    @field_validator("kiosk_time")
    @classmethod
    def _representable(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None


class _Event(KioskEvent):
    worker: Code = Field(description="the code of the worker the event is about")


class BadgeIn(KioskEvent):
    kind: Literal["badge_in"]
    worker: Code | None = Field(default=None, description="null when the badge matched no worker")
    payload: BadgeInPayload = Field(default_factory=lambda: BadgeInPayload())

    @model_validator(mode="after")
    def _someone(self) -> BadgeIn:
        read = (self.payload.badge_hash, self.payload.card_number)
        if self.worker is None and read == (None, None):
            raise ValueError("a badge_in needs a worker, payload.card_number or "
                             "payload.badge_hash")
        if self.worker is not None and self.payload.card_number is not None:
            raise ValueError("payload.card_number is sent only for a badge that matched "
                             "no worker")
        if None not in read:
            raise ValueError("payload: card_number or badge_hash, not both")
        if self.payload.card_number is not None and self.payload.kind == "qr":
            raise ValueError("payload.card_number: a QR badge sends badge_hash")
        return self


class MachineStart(_Event):
    kind: Literal["machine_start"]
    payload: MachinePayload


class MachineStop(_Event):
    kind: Literal["machine_stop"]
    payload: MachinePayload


class MachineFault(_Event):
    kind: Literal["machine_fault"]
    payload: MachineFaultPayload


class Output(_Event):
    kind: Literal["output"]
    payload: CountPayload


class Defect(_Event):
    kind: Literal["defect"]
    payload: CountPayload


class QualityIssue(_Event):
    kind: Literal["quality_issue"]
    payload: QualityIssuePayload


class PointClaim(_Event):
    kind: Literal["point_claim"]
    payload: PointClaimPayload


class Remark(_Event):
    kind: Literal["remark"]
    payload: RemarkPayload


class ClaimDecision(KioskEvent):
    kind: Literal["claim_decision"]
    worker: Code | None = Field(default=None, description="null, or the claimant")
    payload: ClaimDecisionPayload


class TrainingProgressEvent(_Event):
    kind: Literal["training_progress"]
    payload: TrainingProgressPayload


class AppealEvent(_Event):
    kind: Literal["appeal"]
    payload: AppealPayload


class NoticeSeen(_Event):
    kind: Literal["notice_seen"]
    payload: NoticeSeenPayload


class RewardRedeem(_Event):
    kind: Literal["reward_redeem"]
    payload: RewardRedeemPayload


class RewardHandover(KioskEvent):
    kind: Literal["reward_handover"]
    worker: Code | None = Field(default=None, description="null, or the redeeming worker")
    payload: RewardHandoverPayload


class RemarkUndo(_Event):
    kind: Literal["remark_undo"]
    payload: RemarkUndoPayload


class PinLocked(_Event):
    kind: Literal["pin_locked"]
    payload: PinLockedPayload


class LanguageSet(_Event):
    kind: Literal["language_set"]
    payload: LanguageSetPayload


class AlertAck(_Event):
    kind: Literal["alert_ack"]
    worker: Code = Field(description="the supervisor acknowledging the alert (whose PIN the "
                                     "event's proof holds)")
    payload: AlertAckPayload


EventIn = Annotated[
    BadgeIn | MachineStart | MachineStop | MachineFault | Output | Defect | QualityIssue
    | PointClaim | Remark | ClaimDecision | TrainingProgressEvent | AppealEvent | NoticeSeen
    | RewardRedeem | RewardHandover | RemarkUndo | PinLocked | AlertAck | LanguageSet,
    Field(discriminator="kind"),
]
KINDS: tuple[str, ...] = tuple(kind.value for kind in EventKind)
MAX_BATCH = 500

event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)


class EventBatch(BaseModel):
    """What `POST /events` takes. Each event is checked on its own: one that does not fit
    is `rejected` with the field named, and the rest of the batch goes on."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"events": [
        {"uuid": "0f8fad5b-d9cb-469f-a165-70867728950e", "kind": "output", "worker": "W001",
         "occurred_at": "2026-03-09T10:15:00+08:00", "kiosk_time": "2026-03-09T10:14:41+08:00",
         "payload": {"machine": "M1", "count": 12}},
        {"uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "kind": "badge_in", "worker": None,
         "occurred_at": "2026-03-09T10:16:00+08:00",
         "payload": {"card_number": "04A23B1C", "kind": "card", "reader": "ACS 00 00"}},
    ]}]})

    events: list[EventIn] = Field(max_length=MAX_BATCH)


class RawBatch(BaseModel):
    """The batch's envelope, validated before the events one by one."""

    model_config = ConfigDict(extra="forbid")

    events: list[Any] = Field(max_length=MAX_BATCH)


def act_supervisor(event: KioskEvent) -> tuple[str | None, str]:
    """Who acts in a supervisor's act (ACT_KINDS), and where the event names them:
    ("S001", "payload.given_by") for a remark, ("S001", "worker") for an alert_ack."""
    field = ACT_KINDS[event.kind]
    if field == ACT_BY_WORKER:
        return event.worker, "worker"
    code = getattr(event.payload, field)
    return (None if code is None else str(code)), f"payload.{field}"


# The JSON of a body to hash: keys sorted, no spaces, text as it is (made once; an encoder
# keeps no state between calls).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_payload(event: KioskEvent) -> dict[str, Any]:
    """The payload as stored (and hashed): never a card's number, nor the unsalted digest
    of one (an older kiosk's `badge_hash` of a card), which 2^32 guesses would undo."""
    payload = event.payload.model_dump(mode="json", exclude_none=True)
    if isinstance(event.payload, BadgeInPayload):
        payload.pop("card_number", None)
        if event.payload.kind != "qr":
            payload.pop("badge_hash", None)
    return payload


def body_hash(event: KioskEvent, payload: dict[str, Any] | None = None,
              uuid: str | None = None) -> str:
    """sha256 over (uuid, kind, worker, occurred_at in UTC, payload), key order ignored.

    Two sends of the same event hash alike however the kiosk spelt the offset or ordered
    the keys; any change of meaning changes the hash. `payload` and `uuid`, when given,
    are the event's `canonical_payload` and `str(event.uuid)`, computed by the caller.
    """
    at = event.occurred_at  # in UTC already (KioskEvent._in_range), unless made otherwise
    body = [
        str(event.uuid) if uuid is None else uuid,
        event.kind,
        event.worker,
        (at if at.tzinfo is UTC else at.astimezone(UTC)).isoformat(timespec="microseconds"),
        canonical_payload(event) if payload is None else payload,
    ]
    return hashlib.sha256(_CANONICAL.encode(body).encode()).hexdigest()


def describe(error: Any, kind: object = None) -> str:
    """A pydantic ValidationError as one line that names the fields, without the tag."""
    parts = []
    for item in error.errors(include_url=False):
        loc = list(item["loc"])
        if loc and kind is not None and loc[0] == kind:
            loc = loc[1:]
        where = ".".join(str(p) for p in loc) or "event"
        message = item["msg"]
        if item["type"] == "union_tag_not_found":
            where, message = "kind", f"Field required (one of {', '.join(KINDS)})"
        elif item["type"] == "union_tag_invalid":
            where, message = "kind", f"must be one of {', '.join(KINDS)}"
        parts.append(f"{where}: {message}")
    return "; ".join(parts[:5])
