"""The kiosk's events as pydantic models, one per kind, told apart by `kind`.

These models are the contract: the ingest service validates each event with them, and the
OpenAPI document is generated from them, so the two cannot drift apart. Every model
forbids unknown fields, so a misspelt field is an error that names it rather than data
silently dropped. Strings refuse control characters (PostgreSQL cannot store NUL), and
numbers refuse NaN and infinity.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

# A code (worker, machine, category, reason): printable, as long as the models allow.
Code = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]+$")
]
# Free text a person typed or chose: no NUL, bounded.
Note = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# A photo taken with a claim, base64 of a JPEG; about 750 kB of image at most.
PhotoJpeg = Annotated[
    str, StringConstraints(min_length=4, max_length=1_000_000, pattern=r"^[A-Za-z0-9+/]+={0,2}$")
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


# Kinds that change a production record: a machine run, or a count of pieces.
RUN_KINDS: tuple[str, ...] = (EventKind.MACHINE_START.value, EventKind.MACHINE_STOP.value)
COUNT_KINDS: tuple[str, ...] = (EventKind.OUTPUT.value, EventKind.DEFECT.value)
# Kinds a worker reports as trouble on the floor.
TROUBLE_KINDS: tuple[str, ...] = (EventKind.QUALITY_ISSUE.value, EventKind.MACHINE_FAULT.value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class BadgeInPayload(_Strict):
    """`badge_hash` (the roster's hash of what the reader saw) is set when the badge matched
    no worker and the event's worker is null, so HR sees unknown or revoked badges used."""

    badge_hash: Sha256Hex | None = None
    kind: Literal["card", "qr"] | None = Field(default=None, description="how the badge was read")
    reader: Note | None = Field(default=None, max_length=128,
                                description="which reader, for diagnosis")


class MachinePayload(_Strict):
    machine: Code


class MachineFaultPayload(_Strict):
    machine: Code
    fault: Code | None = Field(default=None, description="a fault code chosen from pictures")
    note: Note | None = None


class CountPayload(_Strict):
    machine: Code | None = Field(
        default=None, description="default: the machine of the worker's latest machine_start or "
                          "machine_stop in the 16 hours before")
    count: int = Field(ge=1, le=100_000)


class QualityIssuePayload(_Strict):
    machine: Code | None = None
    issue: Code | None = Field(default=None, description="an issue code chosen from pictures")
    note: Note | None = None


class PointClaimPayload(_Strict):
    category: Code
    points: float | None = Field(
        default=None, gt=0, le=100,
        description="at most the category's points; default: those points")
    note: Note | None = None
    photo_jpeg: PhotoJpeg | None = Field(
        default=None, description="base64 JPEG shown to the supervisor who decides")


class RemarkPayload(_Strict):
    """The event's worker receives the points; `given_by` is the supervisor who gave them
    (whose PIN the kiosk checked). A remark to many workers is one event for each."""

    category: Code
    points: float | None = Field(
        default=None, gt=0, le=100,
        description="at most the category's points; default: those points")
    given_by: Code
    note: Note | None = None


class ClaimDecisionPayload(_Strict):
    """`claim` is the point_claim event's UUID (the `id` in GET /claims); `decided_by` is
    the supervisor deciding it. The event's worker is null or the claimant."""

    claim: UUID
    decision: Literal["approve", "reject"]
    decided_by: Code
    note: Note | None = None


class TrainingProgressPayload(_Strict):
    video: int = Field(ge=1, le=2_147_483_647)
    seconds_watched: float = Field(ge=0, le=86_400)
    quiz_correct: int | None = Field(default=None, ge=0, le=5,
                                     description="right answers in the quiz just taken")
    quiz_total: int | None = Field(default=None, ge=1, le=5,
                                   description="questions in the quiz just taken")


class AppealPayload(_Strict):
    period: Literal["day", "week", "month"]
    period_start: date | None = Field(
        default=None,
        description="first day of the disputed period; default: the period of the event"
    )
    dimension: Code
    reason: Code = Field(description="a reason code chosen from pictures")


class NoticeSeenPayload(_Strict):
    """The kiosk showed and spoke a notice of the scorecard's `tasks.notices` to its
    worker (the event's worker) while the card was on screen."""

    notice: int = Field(ge=1, le=2_147_483_647, description="the notice's `id`")


class RewardRedeemPayload(_Strict):
    """The event's worker spends the reward's cost in points (deducted once per event
    UUID); with `entitlement` (an id from GET /workers/<code>/points) a reward of that
    tier's menu at no cost."""

    reward: Code = Field(description="the reward's `code` (GET /rewards)")
    entitlement: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                    description="an unused entitlement of the worker")


class RewardHandoverPayload(_Strict):
    """A supervisor of the redeeming worker's workshop hands the reward over."""

    redemption: UUID = Field(description="the reward_redeem event's UUID")
    handed_by: Code = Field(description="the supervisor handing it over (PIN checked)")


class RemarkUndoPayload(_Strict):
    """Takes back a remark sent by this kiosk at most 60 s before; the event's worker is
    the remark's worker."""

    remark: UUID = Field(description="the remark event's UUID")


class KioskEvent(_Strict):
    """What every kind has in common; the kinds below narrow `kind`, `worker`, `payload`."""

    uuid: UUID = Field(description="made by the kiosk; the same event always has the same UUID")
    kind: str
    worker: Code | None
    occurred_at: AwareDatetime = Field(description="with a UTC offset; stored in UTC")
    payload: BaseModel

    @field_validator("occurred_at")
    @classmethod
    def _in_range(cls, value: datetime) -> datetime:
        try:
            value = value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError("is out of range") from None
        if value < EARLIEST:
            raise ValueError("is before the year 2000")
        return value


class _Event(KioskEvent):
    worker: Code = Field(description="the code of the worker the event is about")


class BadgeIn(KioskEvent):
    kind: Literal["badge_in"]
    worker: Code | None = Field(default=None, description="null when the badge matched no worker")
    payload: BadgeInPayload = Field(default_factory=lambda: BadgeInPayload())

    @model_validator(mode="after")
    def _someone(self) -> BadgeIn:
        if self.worker is None and self.payload.badge_hash is None:
            raise ValueError("a badge_in needs a worker or payload.badge_hash")
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


EventIn = Annotated[
    BadgeIn | MachineStart | MachineStop | MachineFault | Output | Defect | QualityIssue
    | PointClaim | Remark | ClaimDecision | TrainingProgressEvent | AppealEvent | NoticeSeen
    | RewardRedeem | RewardHandover | RemarkUndo,
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
         "occurred_at": "2026-03-09T10:15:00+08:00", "payload": {"machine": "M1", "count": 12}},
        {"uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "kind": "badge_in", "worker": None,
         "occurred_at": "2026-03-09T10:16:00+08:00",
         "payload": {"badge_hash": "ab" * 32, "kind": "card"}},
    ]}]})

    events: list[EventIn] = Field(max_length=MAX_BATCH)


class RawBatch(BaseModel):
    """The batch's envelope, validated before the events one by one."""

    model_config = ConfigDict(extra="forbid")

    events: list[Any] = Field(max_length=MAX_BATCH)


# The JSON of a body to hash: keys sorted, no spaces, text as it is (made once; an encoder
# keeps no state between calls).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_payload(event: KioskEvent) -> dict[str, Any]:
    return event.payload.model_dump(mode="json", exclude_none=True)


def body_hash(event: KioskEvent, payload: dict[str, Any] | None = None) -> str:
    """sha256 over (uuid, kind, worker, occurred_at in UTC, payload), key order ignored.

    Two sends of the same event hash alike however the kiosk spelt the offset or ordered
    the keys; any change of meaning changes the hash. `payload`, when given, is the
    event's `canonical_payload`, already computed by the caller.
    """
    body = [
        str(event.uuid),
        event.kind,
        event.worker,
        event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
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
