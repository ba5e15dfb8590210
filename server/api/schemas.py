"""The API's request and answer models (the events' models live in services.events.kinds).

Requests forbid unknown fields, so a typo is a 422 naming it. Answers allow fields added
later, so a kiosk written against this version keeps working when the server grows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from server.services.events.kinds import Code
from server.services.metrics.feed import MAX_METRIC_ROWS, MetricRowIn
from server.services.production.feed import MAX_PRODUCTION_ROWS, ProductionRowIn

# Scorecards are computed for dates the factory's calendar can hold; this keeps time-zone
# arithmetic away from the ends of Python's calendar.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)

Period = Literal["day", "week", "month"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(_Answer):
    code: str
    message: str


class ErrorResponse(_Answer):
    error: ErrorBody


class Health(_Answer):
    status: Literal["ok"]
    version: str
    server_id: str


# --- enrolment ------------------------------------------------------------------------


class EnrollRequest(_Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "ABCD-EFGH-JKLM"}]})

    code: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]


class KioskOut(_Answer):
    name: str
    workshops: list[str]


class KeysOut(_Answer):
    site_key: str = Field(description="base64 of the 32-byte site key: the salt of the "
                          "roster's card digests (scrypt, shopfloor_trust/cards.py)")
    sealing_key: str = Field(description="base64 of the server's raw X25519 public key "
                             "(32 bytes) supervisors' PINs are sealed to")
    sealing_key_id: str = Field(description="the first 16 hex digits of sha256 of the "
                                "sealing key; a seal names it")


class EnrollResponse(_Answer):
    token: str = Field(description="the device token: send it as `Authorization: Bearer`")
    kiosk: KioskOut
    server_id: str
    keys: KeysOut


class KioskKeys(_Answer):
    keys: KeysOut


# --- roster ---------------------------------------------------------------------------


class BadgeOut(_Answer):
    kind: Literal["card", "qr"]
    hash: str = Field(description="a card: the keyed digest of its upper-case hex number "
                      "(scrypt with the site key); a QR badge: sha256 hex of its text")


class RosterWorker(_Answer):
    code: str
    name: str
    language: Literal["zh_CN", "en", "yue"] = Field(
        description="the worker's language as stored: zh_CN, en or yue (Cantonese; shown "
                    "in the roster's yue_script, spoken by espeak-ng's yue voice)")
    role: Literal["worker", "supervisor"]
    workshop: str
    photo_url: str | None
    badges: list[BadgeOut]
    pin_check: int | None = Field(ge=0, le=63, description="a supervisor's PIN typo "
                                  "check (shopfloor_trust/pins.py); null when unknown or "
                                  "not a supervisor")
    pin_locked: bool = Field(description="the supervisor's acts are locked after wrong "
                             "PINs until HR unlocks them")
    pin_epoch: int = Field(description="counts HR's unlocks and new PINs: a kiosk forgets "
                           "its own count of wrong PINs when it changes")


class WorkshopOut(_Answer):
    code: str
    name: str


class MachineOut(_Answer):
    code: str
    name: str
    workshop: str


class CategoryOut(_Answer):
    code: str
    name: str
    name_en: str | None
    level: Literal["A", "B", "C"]
    points: float
    needs_approval: bool
    pictogram: str = Field(description="the picture the kiosk shows (kiosk/ui/icons.py)")


class ReasonOut(_Answer):
    code: str = Field(description="send it as a machine_fault's payload.fault or a "
                                  "quality_issue's payload.issue")
    name: str
    name_en: str | None
    kind: Literal["machine_fault", "quality_issue"]
    pictogram: str


class CardFormatOut(_Answer):
    format: Literal["10D", "8H", "6H8D", "2H,4H"] = Field(
        description="how the site's keyboard-wedge readers type a card's number "
                    "(SHOPFLOOR_CARD_FORMAT; shopfloor_trust/cards.py)")
    reversed: bool = Field(description="the readers give the card's bytes in the other "
                                       "order (SHOPFLOOR_CARD_REVERSED)")


class Roster(_Answer):
    kiosk: str
    workshops: list[WorkshopOut]
    workers: list[RosterWorker]
    machines: list[MachineOut]
    categories: list[CategoryOut]
    reasons: list[ReasonOut] = Field(description="the active fault and quality reasons")
    card_format: CardFormatOut
    yue_script: Literal["traditional", "simplified"] = Field(
        description="how the kiosks write Cantonese (a yue worker's screen), as HR set it")


# --- scorecards and leaderboards -------------------------------------------------------


class _PeriodQuery(_Request):
    period: Period = "week"
    date: dt.date | None = Field(default=None, description="a day in the period; default: today")

    @field_validator("date")
    @classmethod
    def _calendar(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
        return value


class ScorecardQuery(_PeriodQuery):
    pass


class LeaderboardQuery(_PeriodQuery):
    workshop: Code


class SchemeOut(_Answer):
    name: str
    version: int
    mode: str


class DailyOut(_Answer):
    date: str
    value: float | None


class DimensionOut(_Answer):
    key: str
    value: float | None
    target: float | None
    met: bool | None
    points: float
    max_points: float | None
    no_data: bool
    record_ids: list[int]
    daily: list[DailyOut]
    better: Literal["higher", "lower"] = Field(
        description="which way the value improves (a defect rate: lower)")
    lower_is_better: bool = Field(default=False, description="`better` == \"lower\"")
    unit: Literal["percent", "count", "points"] = Field(
        description="percent: a share from 0 to 1, read as a percentage")
    daily_met: dict[str, bool] = Field(
        description="per day of `daily` (by its date): whether that day's value meets the "
                    "target, judged as the period's `met` is (with its tolerance)")
    target_full: float | None = Field(
        default=None, description="the whole period's target; differs from `target` only "
                                  "when `pro_rated` (absent on cards settled before it was "
                                  "sent)")
    pro_rated: bool = Field(
        default=False, description="true while the period runs for a sum (output, points): "
                                   "`target` and `met` are for the days elapsed so far, "
                                   "`target_full` is the whole period's")
    fault_minutes: dict[str, float] | None = Field(
        default=None, description="uptime only: minutes the worker's machines stood still "
                                  "for faults (reported that day, until the machine's next "
                                  "start), by day (YYYY-MM-DD), days with some only")
    metric: MetricOut | None = Field(
        default=None, description="a dimension measured by a site-defined metric: its names")
    track: Literal["process", "result"] | None = Field(
        default=None, description="the line of the dual track it counts on, when the scheme "
                                  "has tracks")


class MetricOut(_Answer):
    code: str
    name: str | None = None
    name_en: str | None = None
    unit: str | None = None


class TrackOut(_Answer):
    key: Literal["process", "result"]
    weight: float
    points: float = Field(description="the track's part of the total: percent x weight")
    percent: float = Field(description="its dimensions' points as a share of their maximum, "
                                       "0 to 1")
    complete: bool


class TrackWeeks(_Answer):
    weeks: list[str] = Field(description="ISO week labels, oldest first")
    process: list[float | None] = Field(description="per week: the process share, 0 to 1; "
                                                    "null without tracks or data")
    result: list[float | None]


class TierOut(_Answer):
    key: str
    name: str = Field(description="the name the scheme gives the tier; kiosk, wall and admin "
                                  "show this, not the key")
    stars: int = Field(ge=0, le=3, description="stars drawn for it: 3 for the narrowest top "
                                               "tier, then 2, then 1; 1 for most improved")


class NextTierOut(TierOut):
    points_needed: float


class ScorecardWorker(_Answer):
    code: str
    name: str
    language: str
    workshop: str


class _PeriodHeader(_Answer):
    period: Period
    period_label: str
    period_start: str
    period_end: str
    scheme: SchemeOut
    tiers: list[TierOut] = Field(description="the scheme's tiers, in the scheme's order")


class VideoDue(_Answer):
    id: int
    title: str
    title_en: str | None
    required_by: str | None = Field(description="ISO date; null means due now")
    progress: float = Field(description="share watched, 0 to 1")
    seconds_watched: float
    duration_s: float


class ClaimDecided(_Answer):
    id: int = Field(description="the point entry")
    claim: str | None = Field(description="the point_claim event's uuid")
    category: str | None
    points: float
    status: Literal["approved", "rejected"]
    decided_at: str
    note: str | None


class AppealAnswered(_Answer):
    id: int
    dimension: str
    period: str
    period_start: str
    status: Literal["upheld", "rejected"]
    resolution: str | None
    resolved_at: str


class NoticeOut(_Answer):
    id: int = Field(description="what a `notice_seen` event names")
    kind: Literal["appeal_upheld", "appeal_rejected", "claim_approved", "claim_rejected"]
    subject: int = Field(description="the appeal's or the point entry's id")
    dimension: str | None = Field(description="the appealed score item (appeals)")
    category: str | None = Field(description="the claim's category code (claims)")
    points: float | None = Field(description="what the decision changed the total by; null "
                                             "when it changed nothing the server can tell")
    period: str | None = Field(description="the appealed period: day, week or month")
    period_start: str | None
    correction: Literal["record", "points", "adjustment"] | None = Field(
        description="what an upheld appeal corrected: a production record, an added point "
                    "entry, a manual adjustment; null when nothing was corrected with it")
    booked_on: str | None = Field(description="when the appealed period is closed: the day "
                                              "of the open period the change was booked on")
    note: str | None = Field(description="HR's or the supervisor's note")
    created_at: str


class AppealOpen(_Answer):
    id: int
    dimension: str
    period: str
    period_start: str
    created_at: str


class ClaimPending(_Answer):
    id: int = Field(description="the point entry")
    claim: str | None = Field(description="the point_claim event's uuid")
    category: str | None
    points: float
    date: str


class Tasks(_Answer):
    since: str = Field(description="the worker's previous badge-in (or a week ago when none): "
                                   "decisions after it are listed")
    last_visit: str | None
    notices: list[NoticeOut] = Field(
        description="decisions not yet told: shown and spoken on every visit until a kiosk "
                    "sends `notice_seen` for them; oldest first")
    videos_due: list[VideoDue] = Field(description="required videos not yet finished, "
                                                   "most urgent first")
    appeals_open: list[AppealOpen] = Field(description="the worker's appeals HR has not "
                                                       "resolved, oldest first")
    claims_pending: list[ClaimPending] = Field(description="the worker's claims waiting for "
                                                           "a decision, oldest first")
    claims_decided: list[ClaimDecided] = Field(description="since the last visit, newest "
                                                           "first (kiosks before `notices`)")
    appeals_answered: list[AppealAnswered] = Field(description="since the last visit, newest "
                                                               "first (kiosks before `notices`)")
    rewards_handed_over: list[dict[str, Any]] = Field(
        default_factory=list, description="rewards a supervisor handed over since the last "
                                          "visit, newest first (id, reward, title, title_en, "
                                          "points, handed_over_at): the kiosk says each")


class AdjustmentOut(_Answer):
    id: int
    points: float
    booked_on: str = Field(description="the day of this period it counts on")
    original_date: str = Field(description="the day the change belongs to, in a closed "
                                           "period")
    source: str = Field(description="production | points | event | appeal | manual | "
                                    "reversal")
    reason: str
    period_kind: str = Field(default="", description="the closed period it belongs to: "
                                                     "week | month (empty when unknown)")
    period_label: str = Field(default="", description="its label, e.g. 2026-W47 or 2026-11")


class PointEntryOut(_Answer):
    id: int | None = Field(description="null on the `cap` line")
    date: str
    category: str = Field(description="the category's code (empty for HR's lines)")
    category_name: str
    category_name_en: str
    pictogram: str = Field(description="the category's picture (assets/pictograms)")
    points: float
    given_by_name: str = Field(description="who gave or approved it, by display name")
    kind: str = Field(description="remark | claim | hr | appeal | cap (the points the "
                                  "scheme's points_cap leaves out, negative)")
    counted: bool = Field(description="false when a `points` dimension counts the entries "
                                      "(its points hold them): not added again")


class SettledOut(_Answer):
    period: str = Field(description="2026-11 or 2026-W47")
    version: int = Field(description="the snapshot's version: 2 after a reopen and a new "
                                     "close")
    closed_at: str | None
    closed_by: str | None


class Scorecard(_PeriodHeader):
    worker: ScorecardWorker
    total: float
    max_total: float | None
    complete: bool
    dimensions: list[DimensionOut]
    hourly_points: float
    point_entries_total: float
    point_entry_ids: list[int]
    point_entries: list[PointEntryOut] = Field(
        default_factory=list,
        description="every point entry of the period: the dimensions' points, "
                    "`hourly_points`, the counted entries and `adjustments` add up to `total`")
    rank: int | None = Field(description="to a kiosk only in the top 20 % of the workshop, "
                                         "else null (like `rank_of`); `next_tier` stays")
    rank_of: int | None
    tier: TierOut | None
    next_tier: NextTierOut | None
    awards: list[str]
    today_points: float | None
    projected_total: float | None
    projected_tier: str | None
    as_of: str
    adjustment_points: float = Field(description="points booked into this period for late "
                                                 "changes to closed ones (in the total)")
    adjustments: list[AdjustmentOut]
    settled: SettledOut | None = Field(
        default=None, description="present when the period is closed: the card is its "
                                  "snapshot and never moves")
    tasks: Tasks = Field(description="today's tasks: decisions to tell, videos to watch, "
                                     "open appeals and pending claims")
    balance: float = Field(description="the worker's points balance now (never resets; "
                                       "GET /workers/<code>/points has the lines)")
    tracks: list[TrackOut] | None = Field(
        default=None, description="the dual track, when the scheme has one (docs/scoring.md, "
                                  "\"Tracks\")")
    track_weeks: TrackWeeks | None = Field(
        default=None, description="the last 8 weeks of each track, for the kiosk's lines")


class Standing(_Answer):
    rank: int | None = Field(description="null for a worker without data in the period "
                                         "(no record, entry or adjustment): listed last, "
                                         "by code, with no tier")
    code: str
    name: str
    total: float
    tier: TierOut | None
    awards: list[str]


class Improved(Standing):
    improvement: float | None


class Star(_Answer):
    code: str
    name: str
    improvement: float | None


class Leaderboard(_PeriodHeader):
    workshop: WorkshopOut
    standings: list[Standing]
    most_improved: list[Improved]
    as_of: str | None
    settled: SettledOut | None = Field(default=None, description="present when the period is "
                                                                 "closed (a snapshot)")
    star: Star | None = Field(default=None, description="a closed month's improvement star")


# --- events and claims ----------------------------------------------------------------


class EventResult(_Answer):
    uuid: str | None = Field(description="as sent; null when the event had no string uuid")
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = Field(default=None, description="why it was rejected, naming the field")


class EventResults(_Answer):
    results: list[EventResult] = Field(description="one per event, in the order sent")


class ClaimsQuery(_Request):
    workshop: Code | None = Field(default=None,
                                  description="default: all of this kiosk's workshops")
    status: Literal["pending"] = "pending"


class Claim(_Answer):
    id: str = Field(description="the point_claim event's UUID; a claim_decision names it")
    worker: str
    worker_name: str
    workshop: str
    category: str
    points: float
    note: str | None
    occurred_at: str
    photo_jpeg: str | None


class Claims(_Answer):
    claims: list[Claim]


# --- points and rewards ---------------------------------------------------------------


class LedgerLineOut(_Answer):
    id: int
    at: str
    points: float = Field(description="+ earned or refunded, - spent, paid out or forfeited")
    source: Literal["remark", "claim", "hr", "tier_award", "redemption", "refund",
                    "adjustment", "payout", "forfeit"]
    reason: str | None
    category: str | None


class EntitlementOut(_Answer):
    id: int = Field(description="name it in a reward_redeem's payload.entitlement")
    tier: str
    tier_name: str | None
    period: str
    rewards: list[str] = Field(description="codes of the tier's menu, one to choose")


class OpenRedemption(_Answer):
    uuid: str = Field(description="the reward_redeem event's UUID")
    reward: str
    state: Literal["pending_approval", "pending"]
    at: str


class PointsAccount(_Answer):
    worker: str
    balance: float
    lines: list[LedgerLineOut] = Field(description="newest first, at most 20")
    entitlements: list[EntitlementOut] = Field(description="unused tier-menu entitlements")
    redemptions: list[OpenRedemption] = Field(description="not yet handed over or cancelled")


class RewardOut(_Answer):
    code: str
    name: str
    name_en: str | None
    cost: float
    stock: int | None = Field(description="null: unlimited")
    tier: str | None = Field(description="only for workers who held this tier in the last "
                                         "closed period")
    approval: bool = Field(description="approved in the admin before hand-over")
    picture: str | None = Field(description="GET it with the kiosk token")
    pictogram: str = Field(description="the picture the kiosk shows (kiosk/ui/icons.py)")


class Rewards(_Answer):
    rewards: list[RewardOut]


class RedemptionsQuery(_Request):
    workshop: Code | None = Field(default=None,
                                  description="default: all of this kiosk's workshops")


class PendingRedemption(_Answer):
    uuid: str = Field(description="the reward_redeem event's UUID; reward_handover names it")
    worker: str
    worker_name: str
    reward: str
    reward_name: str
    at: str
    state: Literal["pending"]


class Redemptions(_Answer):
    redemptions: list[PendingRedemption]


# --- alerts (andon) -------------------------------------------------------------------


class AlertsQuery(_Request):
    workshop: Code | None = Field(default=None,
                                  description="default: all of this kiosk's workshops")


class AlertOut(_Answer):
    id: int = Field(description="name it in an alert_ack's payload.alert")
    kind: Literal["machine_fault", "quality_issue"]
    workshop: str
    workshop_name: str
    machine: str | None = Field(description="the machine's code; null for a quality issue "
                                            "reported at no machine")
    machine_name: str | None
    reason: str | None = Field(description="the fault or issue code picked, if any")
    reason_name: str | None = Field(default=None, description="the reason's name (中文)")
    reason_name_en: str | None = Field(default=None, description="its English name")
    reason_pictogram: str | None = Field(default=None, description="its picture")
    reporter: str = Field(description="the code of the worker who reported it")
    reporter_name: str
    opened_at: str = Field(description="when it was reported (ISO 8601 with offset)")
    acknowledged_at: str | None
    acknowledged_by_name: str | None = Field(description="the supervisor's name, or the HR "
                                                         "user's")
    resolved_at: str | None = Field(description="null: open alerts only are listed")
    downtime_s: int | None = Field(description="a fault's downtime, set when its machine "
                                               "starts again")


class Alerts(_Answer):
    alerts: list[AlertOut] = Field(description="not resolved; unacknowledged ones first, "
                                               "oldest first")


# --- production feed ------------------------------------------------------------------


class ProductionBatch(_Request):
    """Rows are checked like an imported file: by default one bad row imports nothing and
    every bad row is named; with `skip_bad` the good rows are stored and the rest reported.
    Sending the same rows again changes nothing."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"records": [
        {"date": "2026-03-09", "shift": "day", "worker_code": "W001", "machine_code": "M1",
         "planned_minutes": 480, "run_minutes": 410, "output": 950, "defects": 12},
    ]}]})

    records: list[ProductionRowIn] = Field(min_length=1, max_length=MAX_PRODUCTION_ROWS)
    skip_bad: bool = False


class RawProductionBatch(_Request):
    records: list[Any] = Field(min_length=1, max_length=MAX_PRODUCTION_ROWS)
    skip_bad: bool = False


class RowProblem(_Answer):
    row: int = Field(description="the row's index in `records`")
    field: str | None
    reason: str


class ProductionReport(_Answer):
    created: int
    updated: int
    unchanged: int
    skipped: int
    created_machines: list[str]
    rejected: list[RowProblem]


# --- metrics feed ---------------------------------------------------------------------


class MetricBatch(_Request):
    """Values are checked like an imported metrics file: by default one bad row stores
    nothing and every bad row is named; with `skip_bad` the good rows are stored and the
    rest reported. Sending the same rows again changes nothing (idempotent on date, shift,
    worker and metric)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"records": [
        {"date": "2026-03-09", "shift": "day", "worker_code": "W001",
         "metric": "first_pass_rate", "value": 0.97},
        {"date": "2026-03-09", "shift": "day", "machine_code": "M1",
         "metric": "rework_closed", "value": 4},
    ]}]})

    records: list[MetricRowIn] = Field(min_length=1, max_length=MAX_METRIC_ROWS)
    skip_bad: bool = False


class RawMetricBatch(_Request):
    records: list[Any] = Field(min_length=1, max_length=MAX_METRIC_ROWS)
    skip_bad: bool = False


class MetricReport(_Answer):
    created: int
    updated: int
    unchanged: int
    skipped: int = Field(description="values the kiosk counted that met a value from MES or "
                                     "a file (kept)")
    rejected: list[RowProblem]


class QuizQuestionOut(_Answer):
    question_url: str = Field(description="the question's picture")
    answer_urls: list[str] = Field(description="the answer pictures, in order")
    correct: int = Field(description="index in answer_urls of the right answer")


class VideoOut(_Answer):
    id: int
    title: str = Field(description="the title in Chinese")
    title_en: str | None
    sha256: str = Field(description="hex digest of the file: check it after downloading")
    size_bytes: int
    duration_s: float
    container: str | None = Field(description="mp4 or webm")
    width: int | None
    height: int | None
    required: bool
    required_by: str | None = Field(description="ISO date; null: no deadline")
    roles: list[str] = Field(description="roles it is asked of; empty: every role")
    workshops: list[str] = Field(description="workshop codes; empty: every workshop")
    created_at: str
    file_url: str = Field(description="the file; HTTP Range and ETag supported")
    thumbnail_url: str | None
    quiz: list[QuizQuestionOut] = Field(description="asked after the video; may be empty")


class VideoList(_Answer):
    videos: list[VideoOut]


class GrowthAxis(_Answer):
    key: str = Field(description="dim:<dimension key> or cat:<point category code>")
    kind: Literal["dimension", "category"]
    code: str
    name: str
    name_en: str | None
    value: float = Field(description="points earned: the dimension's over the last three "
                                     "months, the category's over the last 90 days")
    max: float = Field(description="the most that could be had (a category: the "
                                   "workshop's best)")
    share: float | None = Field(description="value / max, 0 to 1; null: no data")


class GradeOut(_Answer):
    code: str
    name: str
    name_en: str | None
    rank: int
    points: float = Field(description="accumulated professional points it needs")


class GradeStanding(_Answer):
    current: GradeOut | None = Field(description="the highest grade HR certified")
    next: GradeOut | None = Field(description="null: the top of the role's path")
    points: float = Field(description="accumulated professional points, as the next "
                                      "grade counts them")
    missing_points: float
    missing_videos: list[dict[str, Any]] = Field(description="videos still to complete: "
                                                             "id, title, title_en")
    reached: bool = Field(description="on HR's certification list")


class GrowthRecord(_Answer):
    worker: dict[str, Any]
    as_of: str
    radar: list[GrowthAxis]
    weakest: str | None = Field(description="the radar key of the weakest axis")
    suggested: list[int] = Field(description="ids of the videos suggested for the weakest "
                                             "axis (推荐), to show first")
    training: list[dict[str, Any]] = Field(description="videos completed or whose quiz "
                                                       "was tried, with the quiz results")
    tiers: list[dict[str, Any]] = Field(description="tiers held when periods closed")
    rewards: list[dict[str, Any]] = Field(description="rewards chosen")
    grade: GradeStanding
    pools: list[dict[str, Any]] = Field(description="talent pools the worker is in")
