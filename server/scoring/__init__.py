"""The scoring engine: records in, scorecards out (DESIGN.md §4).

Pure on purpose: no Flask, no SQLAlchemy, no clock. The services load rows and call
`score` for each worker and `rank` for a workshop; tests check these functions, and
whatever the server caches must agree with them. The rules this package adds to the
design (attendance, ties, projection, scaled targets) are written in the docstrings of
`engine` and `ranking`.
"""

from server.scoring.engine import is_met, period_totals, score, score_totals, total_of
from server.scoring.model import (
    ADDITIVE,
    LOWER_IS_BETTER,
    BadgeIn,
    DailyValue,
    Dim,
    DimensionScore,
    DimensionSpec,
    Mode,
    NextTier,
    PeriodTotals,
    PointRow,
    ProductionRow,
    Scheme,
    Scorecard,
    TierSpec,
    TrainingItem,
    WorkerInputs,
)
from server.scoring.periods import Period, PeriodSpan, period_span, previous_span
from server.scoring.ranking import competition_ranks, most_improved, rank, tier_cut

__all__ = [
    "ADDITIVE",
    "LOWER_IS_BETTER",
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
    "PointRow",
    "ProductionRow",
    "Scheme",
    "Scorecard",
    "TierSpec",
    "TrainingItem",
    "WorkerInputs",
    "competition_ranks",
    "is_met",
    "most_improved",
    "period_span",
    "period_totals",
    "previous_span",
    "rank",
    "score",
    "score_totals",
    "tier_cut",
    "total_of",
]
