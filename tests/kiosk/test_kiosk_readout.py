"""What the kiosk says of a card: a sum that adds up, the news a non-reader most needs to
hear (decisions, rewards handed over, the balance), a rank only in the top 20 %, and an
"earlier score" only when the card really is an earlier one."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.i18n import t
from kiosk.i18n.readout import scorecard_parts, shown_rank, sum_parts
from kiosk.model import Scorecard, Worker

WORKER = Worker(code="W001", name="张三")


def card_json(**changes: Any) -> dict[str, Any]:
    """A week's card as the server sends it since issue 18: 60 + 0 (dimensions) + 10
    (a supervisor's praise) = 70."""
    card: dict[str, Any] = {
        "period": "week", "total": 70.0, "max_total": 90.0, "complete": True,
        "dimensions": [
            {"key": "uptime", "value": 0.82, "target": 0.75, "met": True, "points": 60.0,
             "max_points": 60.0, "no_data": False, "lower_is_better": False,
             "unit": "percent"},
            {"key": "defect_rate", "value": 0.041, "target": 0.03, "met": False,
             "points": 0.0, "max_points": 30.0, "no_data": False, "lower_is_better": True,
             "unit": "percent"},
        ],
        "hourly_points": 0.0, "point_entries_total": 10.0,
        "point_entries": [
            {"id": 7, "date": "2026-11-16", "category": "PRAISE", "category_name": "主管表扬",
             "category_name_en": "Supervisor praise", "pictogram": "thumbs_up",
             "points": 10.0, "given_by_name": "王主管", "kind": "remark", "counted": True}],
        "adjustment_points": 0.0, "adjustments": [],
        "rank": None, "rank_of": None,
        "next_tier": {"key": "excellent", "points_needed": 7.5},
        "tasks": {"notices": [], "videos_due": [], "appeals_open": [], "claims_pending": []},
    }
    card.update(changes)
    return card


def said(card: dict[str, Any], lang: str = "zh_CN", cached: bool = False) -> str:
    return "".join(text for _, text in scorecard_parts(lang, WORKER, Scorecard.from_json(card),
                                                         cached=cached))


def keys(card: dict[str, Any], cached: bool = False) -> list[str]:
    return [key for key, _ in scorecard_parts("zh_CN", WORKER, Scorecard.from_json(card),
                                              cached=cached)]


def test_the_sum_is_spoken_as_the_issue_asks():
    assert "开机率达标60分，加上主管表扬10分，共70分。" in said(card_json())
    english = said(card_json(), "en")
    assert "Uptime met, 60 points, plus Supervisor praise, 10 points: 70 points in all." \
        in english


def test_every_line_of_the_total_is_in_the_sum():
    card = card_json(
        total=79.5, hourly_points=12.0,
        point_entries=[*card_json()["point_entries"],
                       {"id": 8, "date": "2026-11-17", "category": "", "category_name": "",
                        "category_name_en": "", "points": 5.0, "kind": "hr"}],
        adjustments=[{"id": 3, "points": -7.5, "period_kind": "week",
                      "period_label": "2026-W46"}])
    assert Scorecard.from_json(card).listed_total() == 79.5
    assert ("开机率达标60分，加上主管表扬10分，加上人事加分5分，加上工时12分，"
            "减去第46周的更正7.5分，共79.5分。") in said(card)
    assert "The total" not in said(card, "en") and ": 79.5 points in all." in said(card, "en")


def test_entries_a_points_dimension_holds_are_not_added_twice():
    card = card_json(total=75.0, dimensions=[
        *card_json()["dimensions"],
        {"key": "points", "value": 10, "target": 10, "met": True, "points": 15.0}],
        point_entries=[{**card_json()["point_entries"][0], "counted": False}])
    assert "开机率达标60分，加上表现分达标15分，共75分。" in said(card)


def test_a_card_whose_lines_do_not_add_up_says_the_total_alone():
    """A card from a server before point_entries (or changed offline): no sum that lies."""
    old = card_json(total=85.0, point_entries=[], hourly_points=12.0)  # 60 + 12 != 85
    assert sum_parts("zh_CN", Scorecard.from_json(old)) == []
    assert "本周得分85分。" in said(old) and "共" not in said(old)
    assert "开机率达标。" in said(old)  # each dimension is then said as before


def test_the_dimensions_missed_are_still_said_after_the_sum():
    text = said(card_json())
    assert text.index("共70分") < text.index("次品率未达标。")
    assert "开机率达标。" not in text  # said once, in the sum


@pytest.mark.parametrize("lang", ["zh_CN", "en", "yue"])
def test_online_never_says_earlier_score(lang: str):
    earlier = t(lang, "say.offline")
    assert earlier not in said(card_json(), lang, cached=False)
    assert said(card_json(), lang, cached=True).endswith(earlier)


@pytest.mark.parametrize(("rank", "of", "spoken"), [
    (1, 5, True), (2, 10, True), (1, 4, False), (3, 10, False), (40, 40, False)])
def test_the_rank_is_said_only_in_the_top_fifth(rank: int, of: int, spoken: bool):
    """The server sends no rank below the top 20 %; a card cached from an older server
    that has one is held to the same rule."""
    card = card_json(rank=rank, rank_of=of)
    assert ("say.rank" in keys(card)) is spoken
    assert (f"第{rank}名" in said(card)) is spoken
    assert (shown_rank(Scorecard.from_json(card)) == rank) is spoken
    assert "还差7.5分到优秀。" in said(card)  # below it: the distance, never the place


def test_decided_claims_appeal_outcomes_and_rewards_are_spoken_first():
    card = card_json(tasks={
        "notices": [
            {"id": 1, "kind": "claim_approved", "points": 10, "category": "PRAISE"},
            {"id": 2, "kind": "appeal_upheld", "dimension": "uptime", "points": 30},
            {"id": 3, "kind": "appeal_rejected", "dimension": "defect_rate"}],
        "videos_due": [], "appeals_open": [], "claims_pending": [],
        "rewards_handed_over": [{"id": 4, "reward": "TOWEL", "title": "毛巾",
                                 "title_en": "Towel", "points": 50}]})
    parts = keys(card)
    assert parts[:5] == ["say.greeting", "say.notice_claim_approved",
                         "say.notice_appeal_upheld_points", "say.notice_appeal_rejected",
                         "say.reward_handed"]
    assert "你的奖品毛巾已经发给你了。" in said(card)
    assert "Your reward Towel was handed over." in said(card, "en")
    assert Scorecard.from_json(card).tasks.get("rewards_handed_over") is None  # no to-do


def test_the_balance_is_spoken():
    assert "你的积分余额是120分。" in said(card_json(balance=120.0))
    assert "积分余额" not in said(card_json())  # a server that sends none: nothing said


def test_an_unconfirmed_card_says_so():
    assert t("zh_CN", "say.card_unconfirmed") in said(card_json(unconfirmed=True))
    assert t("zh_CN", "say.card_unconfirmed") not in said(card_json())
