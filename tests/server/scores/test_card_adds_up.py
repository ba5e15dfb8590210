"""A worker's card adds up: the dimensions' points, the hourly points, each point entry and
each adjustment from a closed period, as the card lists them, are its total, in every
scheme mode (threshold, weighted, entries counted through a `points` dimension), with the
entries' cap and without. The kiosk sees a rank only in the top 20 % of the workshop."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from math import fsum
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    EntryStatus,
    Event,
    Machine,
    PeriodState,
    PointCategory,
    PointEntry,
    PointLevel,
    ProductionRecord,
    RecordSource,
    Role,
    SettledPeriod,
    User,
    UserRole,
    Worker,
    Workshop,
)
from server.services.scores.card_lines import listed_total
from server.services.scores.privacy import private_rank, rank_shown
from server.services.scores.schemes import import_scheme
from server.services.scores.scorecards import worker_scorecard

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 9)  # ISO week 2026-W11
HEAD = """\
name: 机加工车间
workshops: [W1]
period: week
effective_from: 2026-01-01
tiers:
  - {key: excellent, name: 优秀, top_percent: 20}
"""
SCHEMES = {
    "threshold": HEAD + """\
mode: threshold
hourly_points: 0.5
points_cap: 100
dimensions:
  - {key: uptime,      target: 0.75, points: 60}
  - {key: defect_rate, target: 0.03, points: 30}
""",
    "threshold_capped": HEAD + """\
mode: threshold
hourly_points: 0.37
points_cap: 12
dimensions:
  - {key: uptime,      target: 0.75, points: 60}
  - {key: output,      target: 500,  points: 20}
""",
    "weighted": HEAD + """\
mode: weighted
hourly_points: 0.25
points_cap: 30
dimensions:
  - {key: uptime,      target: 0.9,  weight: 50, cap: 1.2}
  - {key: defect_rate, target: 0.02, weight: 30}
  - {key: output,      target: 500,  weight: 20}
""",
    "points_dimension": HEAD + """\
mode: threshold
hourly_points: 1
dimensions:
  - {key: uptime, target: 0.75, points: 60}
  - {key: points, target: 10,   points: 15}
""",
}


def build(session: Session, scheme: str) -> dict[str, Worker]:
    """Five workers of W1 (W001 best, W005 worst), supervisor S001 and HR user hr1. W001
    has a remark from S001, an approved claim, HR's line, a pending claim (not counted)
    and an adjustment booked from the closed week before."""
    shop = Workshop(code="W1", name="机加工车间")
    machine = Machine(code="M1", name="CNC-1", workshop=shop)
    praise = PointCategory(code="PRAISE", name="主管表扬", name_en="Supervisor praise",
                           level=PointLevel.B, points=10, needs_approval=False)
    idea = PointCategory(code="IDEA", name="合理化建议", name_en="Suggestion",
                         level=PointLevel.C, points=5, needs_approval=True)
    hr = User(username="hr1", password_hash="x", role=UserRole.ADMIN)
    session.add_all([shop, machine, praise, idea, hr])
    workers = {f"W00{i}": Worker(code=f"W00{i}", name=f"工人{i}", workshop=shop)
               for i in range(1, 6)}
    boss = Worker(code="S001", name="王主管", workshop=shop, role=Role.SUPERVISOR)
    session.add_all([*workers.values(), boss])
    session.flush()
    for i, worker in enumerate(workers.values()):
        for offset in range(3):
            session.add(ProductionRecord(
                date=MONDAY + timedelta(days=offset), shift="A", worker_id=worker.id,
                machine_id=machine.id, planned_minutes=480, run_minutes=470 - 40 * i,
                output=200 - 10 * i, defects=i, source=RecordSource.IMPORT))
    w001 = workers["W001"]
    claim = Event(uuid="claim-1", kind="point_claim", worker_id=w001.id, body_hash="x",
                  occurred_at=datetime(2026, 3, 10, 2, tzinfo=UTC))
    closed = SettledPeriod(workshop_id=shop.id, kind="week", key="2026-W10",
                           start=MONDAY - timedelta(days=7), end=MONDAY - timedelta(days=1),
                           state=PeriodState.CLOSED, version=1)
    session.add_all([claim, closed])
    session.flush()
    session.add_all([
        PointEntry(worker_id=w001.id, category_id=praise.id, points=10, date=MONDAY,
                   status=EntryStatus.APPROVED, given_by_worker_id=boss.id,
                   decided_by_worker_id=boss.id),
        PointEntry(worker_id=w001.id, category_id=idea.id, points=5, date=MONDAY,
                   status=EntryStatus.APPROVED, event_id=claim.id,
                   decided_by_worker_id=boss.id),
        PointEntry(worker_id=w001.id, points=2.5, date=MONDAY + timedelta(days=1),
                   status=EntryStatus.APPROVED, given_by_user_id=hr.id,
                   decided_by_user_id=hr.id, decision_note="HR line"),
        PointEntry(worker_id=w001.id, category_id=idea.id, points=5, date=MONDAY,
                   status=EntryStatus.PENDING),
        Adjustment(worker_id=w001.id, booked_on=MONDAY, original_date=MONDAY - timedelta(3),
                   origin_period_id=closed.id, points=-7.5, source="production",
                   reason="late defects", created_by="hr1"),
    ])
    import_scheme(session, SCHEMES[scheme], actor="hr")
    session.flush()
    return {**workers, "S001": boss}


def card_of(session: Session, code: str = "W001") -> dict[str, Any]:
    return worker_scorecard(session, code, "week", MONDAY, ZONE, today=MONDAY + timedelta(3))


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_the_total_is_the_sum_of_what_the_card_lists(session: Session, scheme: str) -> None:
    build(session, scheme)
    for code in ("W001", "W002", "W005"):
        card = card_of(session, code)
        assert listed_total(card) == pytest.approx(card["total"], abs=1e-9), (scheme, code)
    card = card_of(session)
    assert card["hourly_points"] > 0
    assert card["adjustments"] and card["adjustment_points"] == -7.5


def test_each_point_entry_is_listed_with_its_category_picture_and_giver(
        session: Session) -> None:
    build(session, "threshold")
    entries = card_of(session)["point_entries"]
    assert [(e["category"], e["points"], e["given_by_name"], e["kind"]) for e in entries] == [
        ("PRAISE", 10, "王主管", "remark"),
        ("IDEA", 5, "王主管", "claim"),  # a claim: the supervisor who approved it
        ("", 2.5, "hr1", "hr"),
    ]  # the pending claim is not listed: it is not in the total
    praise = entries[0]
    assert (praise["category_name"], praise["category_name_en"]) == (
        "主管表扬", "Supervisor praise")
    category = session.scalars(select(PointCategory).where(PointCategory.code == "PRAISE")).one()
    # the category's picture (the pictogram column of migration 0012), else "points"
    assert praise["pictogram"] == (getattr(category, "pictogram", None) or "points")
    assert entries[2]["pictogram"] == "points"  # HR's line has no category
    assert praise["date"] == MONDAY.isoformat() and all(e["counted"] for e in entries)


def test_a_capped_sum_of_entries_gets_a_line_of_its_own(session: Session) -> None:
    build(session, "threshold_capped")
    card = card_of(session)
    cap = [e for e in card["point_entries"] if e["kind"] == "cap"]
    assert len(cap) == 1 and cap[0]["points"] == pytest.approx(12 - 17.5)
    assert card["point_entries_total"] == 12
    assert listed_total(card) == pytest.approx(card["total"])


def test_entries_counted_by_a_points_dimension_are_listed_but_not_added_again(
        session: Session) -> None:
    build(session, "points_dimension")
    card = card_of(session)
    assert card["point_entries"] and not any(e["counted"] for e in card["point_entries"])
    assert card["point_entries_total"] == 0
    points = next(d for d in card["dimensions"] if d["key"] == "points")
    assert points["met"] and points["points"] == 15
    assert listed_total(card) == pytest.approx(card["total"])
    naive = fsum([*(d["points"] for d in card["dimensions"]), card["hourly_points"],
                  *(e["points"] for e in card["point_entries"]),
                  *(a["points"] for a in card["adjustments"])])
    assert naive != pytest.approx(card["total"])  # what `counted` keeps the kiosk from


def test_adjustments_name_the_closed_period_they_belong_to(session: Session) -> None:
    build(session, "threshold")
    (line,) = card_of(session)["adjustments"]
    assert (line["period_kind"], line["period_label"], line["points"]) == ("week", "2026-W10",
                                                                           -7.5)


def test_each_dimension_says_lower_is_better_explicitly(session: Session) -> None:
    build(session, "weighted")
    dims = {d["key"]: d for d in card_of(session)["dimensions"]}
    assert dims["defect_rate"]["lower_is_better"] is True
    assert dims["uptime"]["lower_is_better"] is False and dims["output"]["unit"] == "count"


@pytest.mark.parametrize(("rank", "of", "shown"), [
    (1, 5, True), (2, 5, False), (1, 4, False), (2, 10, True), (3, 10, False),
    (20, 100, True), (21, 100, False), (None, 5, False), (1, None, False)])
def test_a_kiosk_sees_a_rank_only_in_the_top_fifth(rank: Any, of: Any, shown: bool) -> None:
    assert rank_shown(rank, of) is shown
    card = private_rank({"rank": rank, "rank_of": of, "next_tier": {"points_needed": 3}})
    assert (card["rank"] is not None) is shown and card["next_tier"]["points_needed"] == 3


def test_hr_still_sees_every_rank(session: Session) -> None:
    build(session, "threshold")
    assert (card_of(session, "W005")["rank"], card_of(session, "W005")["rank_of"]) == (5, 5)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_the_kiosk_reads_the_same_sum_and_says_it(session: Session, scheme: str) -> None:
    """The server's card, as the kiosk parses it: its lines add up to its total, and the
    readout says the sum ending in that total (the kiosk keeps no scoring rule of its own)."""
    from kiosk.i18n.readout import number, sum_parts
    from kiosk.model import Scorecard as KioskCard

    build(session, scheme)
    card = KioskCard.from_json(json.loads(json.dumps(card_of(session))))
    assert card.listed_total() == pytest.approx(card.total)
    parts = sum_parts("zh_CN", card)
    assert parts[-1] == ("say.sum_total", f"，共{number(card.total)}分。")
    assert {d.key: d.lower_is_better for d in card.dimensions}.get("defect_rate", True)
