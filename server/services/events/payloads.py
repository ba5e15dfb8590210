"""The payload of each kind of kiosk event (events/kinds.py puts each in its envelope),
and the checked strings and numbers they are made of.

Every model forbids unknown fields, so a misspelt field is an error that names it rather
than data silently dropped. Strings refuse control characters (PostgreSQL cannot store
NUL), and numbers refuse NaN and infinity.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shopfloor_trust.cards import normalise_uid
from shopfloor_trust.seal import MAX_ACT_ITEMS

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

# A proof's base64 fields: an X25519 key (32 bytes), a nonce (12), the sealed PIN (32).
Base64 = Annotated[str, StringConstraints(min_length=4, max_length=88,
                                          pattern=r"^[A-Za-z0-9+/]+={0,2}$")]


def _card_number(value: str) -> str:
    number = normalise_uid(value)
    if not 2 <= len(number) <= 32:
        raise ValueError("must be 2 to 32 hex digits")
    return number


# A card's number as the reader gave it, upper-case hex (any case, ':' and spaces taken).
CardNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f: -]{2,64}$"),
                      AfterValidator(_card_number)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class BadgeInPayload(Strict):
    """When the badge matched no worker the event's worker is null and the payload says
    what was read, so HR sees unknown or revoked badges used and can give a card out:
    `card_number` for a card (its number, over the pinned TLS link only; the server never
    stores or logs it beyond its unknown-taps list), `badge_hash` for a QR badge (sha256 of
    its text; older kiosks send it for cards too)."""

    badge_hash: Sha256Hex | None = None
    card_number: CardNumber | None = Field(
        default=None, description="a card that matched no worker: its number, upper-case hex")
    kind: Literal["card", "qr"] | None = Field(default=None, description="how the badge was read")
    reader: Note | None = Field(default=None, max_length=128,
                                description="which reader, for diagnosis")


class MachinePayload(Strict):
    machine: Code


class MachineFaultPayload(Strict):
    machine: Code
    fault: Code | None = Field(default=None, description="a fault code chosen from pictures")
    note: Note | None = None


class CountPayload(Strict):
    machine: Code | None = Field(
        default=None, description="default: the machine of the worker's latest machine_start or "
                          "machine_stop in the 16 hours before")
    count: int = Field(ge=1, le=100_000)


class QualityIssuePayload(Strict):
    machine: Code | None = None
    issue: Code | None = Field(default=None, description="an issue code chosen from pictures")
    note: Note | None = None


class PointClaimPayload(Strict):
    category: Code
    points: float | None = Field(
        default=None, gt=0, le=100,
        description="at most the category's points; default: those points")
    note: Note | None = None
    photo_jpeg: PhotoJpeg | None = Field(
        default=None, description="base64 JPEG shown to the supervisor who decides")


class RemarkPayload(Strict):
    """The event's worker receives the points; `given_by` is the supervisor who gave them
    (whose PIN the event's proof holds). A remark to many workers is one event for each,
    all with the same proof."""

    category: Code
    points: float | None = Field(
        default=None, gt=0, le=100,
        description="at most the category's points; default: those points")
    given_by: Code
    note: Note | None = None


class ClaimDecisionPayload(Strict):
    """`claim` is the point_claim event's UUID (the `id` in GET /claims); `decided_by` is
    the supervisor deciding it (whose PIN the event's proof holds), never the claimant.
    The event's worker is null or the claimant."""

    claim: UUID
    decision: Literal["approve", "reject"]
    decided_by: Code
    note: Note | None = None


class TrainingProgressPayload(Strict):
    video: int = Field(ge=1, le=2_147_483_647)
    seconds_watched: float = Field(ge=0, le=86_400)
    quiz_correct: int | None = Field(default=None, ge=0, le=5,
                                     description="right answers in the quiz just taken")
    quiz_total: int | None = Field(default=None, ge=1, le=5,
                                   description="questions in the quiz just taken")


class AppealPayload(Strict):
    period: Literal["day", "week", "month"]
    period_start: date | None = Field(
        default=None,
        description="first day of the disputed period; default: the period of the event"
    )
    dimension: Code
    reason: Code = Field(description="a reason code chosen from pictures")


# The languages a worker may have (server.models.Language; a test keeps the two alike).
WorkerLanguage = Literal["zh_CN", "en", "yue"]


class LanguageSetPayload(Strict):
    """The worker (the event's worker) chose the kiosk's language for themselves: the
    screen and speech they get from now on, on every kiosk."""

    language: WorkerLanguage = Field(description="zh_CN (中文), en (English) or yue (粵語, "
                                                 "Cantonese)")


class NoticeSeenPayload(Strict):
    """The kiosk showed and spoke a notice of the scorecard's `tasks.notices` to its
    worker (the event's worker) while the card was on screen."""

    notice: int = Field(ge=1, le=2_147_483_647, description="the notice's `id`")


class RewardRedeemPayload(Strict):
    """The event's worker spends the reward's cost in points (deducted once per event
    UUID); with `entitlement` (an id from GET /workers/<code>/points) a reward of that
    tier's menu at no cost."""

    reward: Code = Field(description="the reward's `code` (GET /rewards)")
    entitlement: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                    description="an unused entitlement of the worker")


class RewardHandoverPayload(Strict):
    """A supervisor of the redeeming worker's workshop hands the reward over."""

    redemption: UUID = Field(description="the reward_redeem event's UUID")
    handed_by: Code = Field(description="the supervisor handing it over (whose PIN the "
                                       "event's proof holds)")


class RemarkUndoPayload(Strict):
    """Takes back a remark sent by this kiosk at most 60 s before; the event's worker is
    the remark's worker."""

    remark: UUID = Field(description="the remark event's UUID")


class PinLockedPayload(Strict):
    """The kiosk locked the event's worker (a supervisor) after `failures` wrong PINs typed
    there, counted under the roster's `epoch`: the server locks their acts too, so HR sees
    every lock on one page. A report from before HR's last unlock changes nothing."""

    failures: int = Field(ge=1, le=1000)
    epoch: int = Field(ge=0, le=2_147_483_647, description="the roster's pin_epoch then")


class AlertAckPayload(Strict):
    """The event's worker, a supervisor of the alert's workshop, acknowledges the alert (a
    supervisor's act: the event's proof holds their PIN). Once: an alert acknowledged
    already, or of another workshop, is refused."""

    alert: int = Field(ge=1, le=2_147_483_647,
                       description="the alert's `id` (GET /alerts)")


class Proof(Strict):
    """A supervisor's PIN sealed at the kiosk to the server's sealing key, bound to the act
    (`shopfloor_trust.seal.seal_pin`): every event of one act carries the same proof, whose
    `items` hold a digest of each of them (`item_digest` of its uuid, worker, occurred_at and
    payload exactly as sent). The server opens it, checks the PIN and forgets it."""

    v: int = Field(ge=0, le=255, description="the seal's version, 1")
    key: str = Field(pattern=r"^[0-9a-f]{16}$", description="the sealing key's id")
    supervisor: Code = Field(description="the supervisor whose PIN is sealed")
    epk: Base64
    nonce: Base64
    ct: Base64
    items: list[Sha256Hex] = Field(min_length=1, max_length=MAX_ACT_ITEMS,
                                   description="a digest of each event of the act")
