"""The plain values the scoring engine reads and writes: records, schemes, scorecards.

All frozen, so a scorecard can be cached and shared; `slots` because a workshop's
month is thousands of rows and the leaderboard has a budget of milliseconds.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NamedTuple

from server.scoring.periods import Period, PeriodSpan


class Mode(enum.StrEnum):
    THRESHOLD = "threshold"
    WEIGHTED = "weighted"


class Dim(enum.StrEnum):
    UPTIME = "uptime"
    DEFECT_RATE = "defect_rate"
    OUTPUT = "output"
    TRAINING = "training"
    ATTENDANCE = "attendance"
    POINTS = "points"


class Unit(enum.StrEnum):
    """What a dimension's value counts. PERCENT is a share from 0 to 1, read as a
    percentage (0.82 is 82 %)."""

    PERCENT = "percent"
    COUNT = "count"
    POINTS = "points"


LOWER_IS_BETTER = frozenset({Dim.DEFECT_RATE})
UNITS: Mapping[Dim, Unit] = {
    Dim.UPTIME: Unit.PERCENT, Dim.DEFECT_RATE: Unit.PERCENT, Dim.OUTPUT: Unit.COUNT,
    Dim.TRAINING: Unit.PERCENT, Dim.ATTENDANCE: Unit.PERCENT, Dim.POINTS: Unit.POINTS,
}
# Sums grow with the length of a period; rates do not. Only sums have their targets scaled
# to the period asked for and are extrapolated by the "at this pace" projection.
ADDITIVE = frozenset({Dim.OUTPUT, Dim.POINTS})
# Decimals kept of summed minutes and points (see `PeriodTotals`).
SUM_DIGITS = 6
# A metric whose unit is one of these holds shares from 0 to 1, read as percentages.
PERCENT_UNITS = frozenset({"%", "percent"})


class Track(enum.StrEnum):
    """The dual track (过程-结果双轨制): how work is done, and what it gives."""

    PROCESS = "process"
    RESULT = "result"


@dataclass(frozen=True, slots=True)
class MetricRule:
    """How a site-defined metric's values make a dimension's value (docs/scoring.md,
    "Metrics"): `combine` is sum, mean, last (the latest day's values, their mean when it
    has several shifts) or ratio (Σ numerator / Σ denominator, two other metrics)."""

    code: str
    better: Literal["higher", "lower"] = "higher"
    combine: Literal["sum", "mean", "last", "ratio"] = "sum"
    numerator: str | None = None
    denominator: str | None = None
    unit: str | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        """The metric codes whose values this one reads."""
        if self.combine == "ratio" and self.numerator and self.denominator:
            return (self.numerator, self.denominator)
        return (self.code,)


# --- inputs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductionRow:
    id: int
    date: date
    planned_minutes: float
    run_minutes: float
    output: int
    defects: int


@dataclass(frozen=True, slots=True)
class PointRow:
    """An approved point entry (supervisor remark or approved claim)."""

    id: int
    date: date
    points: float


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    """Points booked into this period for a change that belongs to a closed one; `date`
    is the day it is booked on. Added to the total as they are: no cap, no projection."""

    id: int
    date: date
    points: float


@dataclass(frozen=True, slots=True)
class BadgeIn:
    """A badge tap, its date already in the factory's time zone."""

    id: int
    date: date


@dataclass(frozen=True, slots=True)
class TrainingItem:
    """A video required of the worker; `completed_on` is None while not finished."""

    video_id: int
    completed_on: date | None = None


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One stored value of a metric for the worker (one shift), by metric code."""

    id: int
    date: date
    metric: str
    value: float


@dataclass(frozen=True, slots=True)
class MetricSums:
    """A metric's values in a period, folded: the sum and number of values, and the
    latest day that has values with their sum and number (for `last`)."""

    total: float = 0.0
    count: int = 0
    last_date: date | None = None
    last_total: float = 0.0
    last_count: int = 0


@dataclass(frozen=True, slots=True)
class WorkerInputs:
    """Everything one worker's score is computed from. Rows outside the period are ignored."""

    worker_code: str
    production: tuple[ProductionRow, ...] = ()
    point_entries: tuple[PointRow, ...] = ()
    training: tuple[TrainingItem, ...] = ()
    badge_ins: tuple[BadgeIn, ...] = ()
    adjustments: tuple[AdjustmentRow, ...] = ()
    metrics: tuple[MetricRow, ...] = ()


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    """A worker's records in one period, summed: all a total needs, none of the detail.

    `score` builds these from rows; a server may compute the same sums in SQL for the
    workers whose detail nobody is looking at (`score_totals`). A scheduled day is a day
    with planned minutes > 0 (minutes are never negative, so "the day's sum > 0" and "a
    record > 0 that day" agree); an attended day is a scheduled day with a badge-in.

    Minutes and points are summed and then rounded to `SUM_DIGITS` decimals: a database
    adds floats in its own order and may miss the exact sum by a last digit, which could
    tip a rounded point the other way. Rounded, both sums are the same number.
    """

    planned_minutes: float = 0.0
    run_minutes: float = 0.0
    output: float = 0.0
    defects: float = 0.0
    production_records: int = 0
    scheduled_days: int = 0
    attended_days: int = 0
    points: float = 0.0
    point_entries: int = 0
    required_videos: int = 0
    completed_videos: int = 0
    adjustment_points: float = 0.0
    adjustment_lines: int = 0
    # Per metric code (sorted), its values folded; a tuple so the totals stay hashable.
    metrics: tuple[tuple[str, MetricSums], ...] = ()

    def metric(self, code: str) -> MetricSums:
        for name, sums in self.metrics:
            if name == code:
                return sums
        return _NO_METRIC

    @property
    def has_data(self) -> bool:
        """Whether the worker left a trace in the period: a production record, an
        approved point entry, an adjustment line or a metric value dated in it. Only such
        workers are ranked (docs/scoring.md, "Ranks and tiers"). Required training is not
        a trace: it is asked of everyone, present or not."""
        return bool(self.production_records or self.point_entries or self.adjustment_lines
                    or any(sums.count for _, sums in self.metrics))


_NO_METRIC = MetricSums()


# --- the scheme -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DimensionSpec:
    """`points` in threshold mode, `weight` (and `cap`) in weighted mode. `key` is a
    built-in `Dim`, or the scheme's own name for a dimension measured by `metric`;
    `track` puts it on the process or result line when the scheme has tracks."""

    key: str
    target: float
    points: float | None = None
    weight: float | None = None
    cap: float = 1.0
    metric: MetricRule | None = None
    track: Track | None = None

    @property
    def lower(self) -> bool:
        """Whether a lower value is better (met at or below the target)."""
        if self.metric is not None:
            return self.metric.better == "lower"
        return self.key in LOWER_IS_BETTER

    @property
    def additive(self) -> bool:
        """A sum (grows with the period's length): scaled, pro-rated and projected."""
        if self.metric is not None:
            return self.metric.combine == "sum"
        return self.key in ADDITIVE


@dataclass(frozen=True, slots=True)
class TrackSpec:
    key: Track
    weight: float


@dataclass(frozen=True, slots=True)
class TierSpec:
    """A reward: either the top `top_percent` by rank or the `most_improved_percent`."""

    key: str
    name: str
    top_percent: float | None = None
    most_improved_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    version: int
    period: Period
    mode: Mode
    dimensions: tuple[DimensionSpec, ...]
    hourly_points: float = 0.0
    points_cap: float = 20.0
    tiers: tuple[TierSpec, ...] = ()
    effective_from: date | None = None
    workshops: tuple[str, ...] = ()
    tracks: tuple[TrackSpec, ...] = ()
    # Whether point entries count through a `points` dimension instead of being added.
    counts_points_as_dimension: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Worked out once here: every card of a leaderboard asks.
        object.__setattr__(self, "counts_points_as_dimension",
                           any(d.key is Dim.POINTS for d in self.dimensions))


# --- outputs ----------------------------------------------------------------------------


class DailyValue(NamedTuple):
    """One day of a dimension; a tuple because a month of cards holds thousands. `met`
    is the day's value against the card's target, judged as the period's is."""

    date: date
    value: float
    met: bool | None = None


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """One line of the scorecard: what was measured, against what, and from which records.

    `value` and `met` are None when there is no data; `points` is then 0 and the card is
    marked incomplete, so nobody reads "no records" as "0 %".

    `target` is what `met` and the points were judged against; `target_full` the whole
    period's target. They differ only for a sum (`ADDITIVE`) while the period runs: its
    target is then pro-rated to the days elapsed, and `pro_rated` says so.
    """

    key: str
    value: float | None
    target: float
    met: bool | None
    points: float
    max_points: float
    no_data: bool
    record_ids: tuple[int, ...]
    daily: tuple[DailyValue, ...]
    target_full: float
    pro_rated: bool
    metric: MetricRule | None = None
    track: Track | None = None

    @property
    def better(self) -> Literal["higher", "lower"]:
        """Which way the value improves: "lower" for a defect rate or a lower-is-better
        metric, else "higher"."""
        if self.metric is not None:
            return self.metric.better
        return "lower" if self.key in LOWER_IS_BETTER else "higher"

    @property
    def unit(self) -> Unit:
        if self.metric is not None:
            return Unit.PERCENT if self.metric.unit in PERCENT_UNITS else Unit.COUNT
        return UNITS[Dim(self.key)]


@dataclass(frozen=True, slots=True)
class TrackScore:
    """One line of the dual track: its dimensions' points as a share of their maximum
    (`percent`, 0 to 1), and that share times the track's weight (`points`, in the total).
    `complete` is False when one of its dimensions has no data."""

    key: Track
    weight: float
    points: float
    percent: float
    dimension_points: float
    dimension_max: float
    complete: bool


@dataclass(frozen=True, slots=True)
class NextTier:
    key: str
    points_needed: float


class Placing(NamedTuple):
    """A worker's place in the workshop: what `rank` adds to a card, with the two totals
    it was worked out from. A tuple because a ranking makes one per worker.

    A worker without data in the period (`PeriodTotals.has_data`) is placed unranked:
    `rank`, `rank_of`, tiers, next tier and improvement all None."""

    worker_code: str
    total: float
    projected_total: float
    rank: int | None
    rank_of: int | None
    tier: TierSpec | None
    next_tier: NextTier | None
    awards: tuple[str, ...]
    projected_tier: str | None
    improvement: float | None


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A worker's score for one period. `rank` fills in rank, tier, awards and projection.

    `today_points` is None on a card scored from totals alone (`score_totals`).
    `has_data` is `PeriodTotals.has_data` of the period: a card without data is never
    ranked.
    """

    worker_code: str
    scheme: Scheme
    span: PeriodSpan
    as_of: date
    total: float
    max_total: float
    complete: bool
    dimensions: tuple[DimensionScore, ...]
    hourly_points: float
    point_entries_total: float
    point_entry_ids: tuple[int, ...]
    today_points: float | None
    projected_total: float
    rank: int | None = None
    rank_of: int | None = None
    tier: TierSpec | None = None
    next_tier: NextTier | None = None
    awards: tuple[str, ...] = ()
    projected_tier: str | None = None
    improvement: float | None = None
    adjustment_points: float = 0.0
    adjustment_ids: tuple[int, ...] = ()
    has_data: bool = True
    tracks: tuple[TrackScore, ...] = ()
