"""Stars come from the scheme's tiers, not from well-known keys."""

from server.scoring.model import TierSpec
from server.scoring.ranking import tier_stars

TIERS = (
    TierSpec("gold", "金牌", top_percent=5),
    TierSpec("rising", "进步之星", most_improved_percent=10),
    TierSpec("silver", "银牌", top_percent=15),
    TierSpec("bronze", "铜牌", top_percent=30),
    TierSpec("wide", "参与", top_percent=60),
)


def test_the_narrowest_top_tier_has_three_stars() -> None:
    assert [tier_stars(TIERS, key) for key in ("gold", "silver", "bronze", "wide")] == [3, 2, 1, 1]


def test_most_improved_has_one_star_and_unknown_none() -> None:
    assert tier_stars(TIERS, "rising") == 1
    assert tier_stars(TIERS, "excellent") == 0
    assert tier_stars(TIERS, None) == 0
