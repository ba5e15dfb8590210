"""The scoring engine: records in, scorecards out (docs/scoring.md).

Pure on purpose: no Flask, no SQLAlchemy, no clock. The services load rows and call
`score` for each worker and `rank` for a workshop; tests check these functions, and
whatever the server caches must agree with them. The rules this package adds to the
design (attendance, ties, projection, scaled targets) are written in the docstrings of
`engine` and `ranking`.
"""

from server.scoring.engine import (
    is_met,
    period_totals,
    score,
    score_totals,
    total_of,
    totals_and_projections,
    totals_of,
)
from server.scoring.model import (
    ADDITIVE,
    LOWER_IS_BETTER,
    SUM_DIGITS,
    AdjustmentRow,
    BadgeIn,
    DailyValue,
    Dim,
    DimensionScore,
    DimensionSpec,
    Mode,
    NextTier,
    PeriodTotals,
    Placing,
    PointRow,
    ProductionRow,
    Scheme,
    Scorecard,
    TierSpec,
    TrainingItem,
    WorkerInputs,
)
from server.scoring.periods import Period, PeriodSpan, period_span, previous_span
from server.scoring.ranking import (
    competition_ranks,
    improvers,
    most_improved,
    place,
    rank,
    tier_cut,
    with_placing,
)

__all__ = [
    "ADDITIVE",
    "LOWER_IS_BETTER",
    "SUM_DIGITS",
    "AdjustmentRow",
    "BadgeIn",
    "DailyValue",
    "Dim",
    "DimensionScore",
    "DimensionSpec",
    "Mode",
    "NextTier",
    "Period",
    "PeriodSpan",
    "PeriodTotals",
    "Placing",
    "PointRow",
    "ProductionRow",
    "Scheme",
    "Scorecard",
    "TierSpec",
    "TrainingItem",
    "WorkerInputs",
    "competition_ranks",
    "improvers",
    "is_met",
    "most_improved",
    "period_span",
    "period_totals",
    "place",
    "previous_span",
    "rank",
    "score",
    "score_totals",
    "tier_cut",
    "total_of",
    "totals_and_projections",
    "totals_of",
    "with_placing",
]
