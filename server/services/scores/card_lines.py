"""The lines of a card beside its dimensions, so that a worker can add it up.

A card's total is its dimensions' points, its hourly points, its point entries (remarks,
approved claims, HR's lines, appeal awards) and its adjustments from closed periods
(server/scoring/engine.py, `_Rules.total`). The engine keeps sums; the kiosk needs each
line, with what it draws and says of it:

- `point_entry_lines`: one line per approved entry dated in the period, with its
  category's code, names and pictogram, who gave it (their display name: a supervisor's
  name, HR's user name) and its kind (`remark`, `claim`, `hr`, `appeal`). When the scheme
  counts entries through a `points` dimension they are listed with `counted: false` (the
  dimension's points already hold them). When the scheme's `points_cap` (or rounding)
  makes the total count less than the entries add up to, one more line of kind `cap`
  takes the difference, so the lines still add up to what the total counts.
- `adjustment_detail`: the adjustment lines the total counts, each naming the closed
  period it belongs to (`period_kind`, `period_label`, e.g. "week", "2026-W48").
"""

from __future__ import annotations

from collections.abc import Sequence
from math import fsum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from server.models import (
    Adjustment,
    EntryStatus,
    PointCategory,
    PointEntry,
    SettledPeriod,
    User,
    Worker,
)
from server.scoring import Scorecard

DEFAULT_PICTOGRAM = "points"
CAP_CATEGORY = "points_cap"


def _kind(entry: PointEntry) -> str:
    if (entry.decision_note or "").startswith("appeal"):
        return "appeal"
    if entry.given_by_worker_id is not None:
        return "remark"
    if entry.event_id is not None:
        return "claim"
    return "hr"


def point_entry_lines(session: Session, worker_id: int, card: Scorecard) -> list[dict[str, Any]]:
    """Every approved point entry of the worker dated in the card's period (the rows the
    engine summed), oldest first, and a `cap` line when the total counts less."""
    giver, decider = aliased(Worker), aliased(Worker)
    giver_user, decider_user = aliased(User), aliased(User)
    rows = session.execute(
        select(PointEntry, PointCategory, giver.name, decider.name, giver_user.username,
               decider_user.username)
        .outerjoin(PointCategory, PointEntry.category_id == PointCategory.id)
        .outerjoin(giver, PointEntry.given_by_worker_id == giver.id)
        .outerjoin(decider, PointEntry.decided_by_worker_id == decider.id)
        .outerjoin(giver_user, PointEntry.given_by_user_id == giver_user.id)
        .outerjoin(decider_user, PointEntry.decided_by_user_id == decider_user.id)
        .where(PointEntry.worker_id == worker_id, PointEntry.status == EntryStatus.APPROVED,
               PointEntry.date.between(card.span.start, card.span.end))
        .order_by(PointEntry.date, PointEntry.id)
    )
    counted = not card.scheme.counts_points_as_dimension
    lines: list[dict[str, Any]] = []
    for entry, category, given_by, decided_by, given_by_user, decided_by_user in rows:
        lines.append({
            "id": entry.id,
            "date": entry.date.isoformat(),
            "category": category.code if category is not None else "",
            "category_name": category.name if category is not None else "",
            "category_name_en": (category.name_en or "") if category is not None else "",
            # the pictogram helper's column (migration 0012); "points" until it exists
            "pictogram": (getattr(category, "pictogram", None) or DEFAULT_PICTOGRAM)
            if category is not None else DEFAULT_PICTOGRAM,
            "points": entry.points,
            "given_by_name": given_by or given_by_user or decided_by or decided_by_user or "",
            "kind": _kind(entry),
            "counted": counted,
        })
    if counted:
        listed = fsum(line["points"] for line in lines)
        difference = round(card.point_entries_total - listed, 6)
        if abs(difference) >= 0.005:
            lines.append({
                "id": None, "date": card.span.end.isoformat(), "category": CAP_CATEGORY,
                "category_name": "", "category_name_en": "", "pictogram": DEFAULT_PICTOGRAM,
                "points": difference, "given_by_name": "", "kind": "cap", "counted": True,
                "cap": card.scheme.points_cap,
            })
    return lines


def adjustment_detail(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The adjustment lines a card counted, each with the closed period it belongs to."""
    if not ids:
        return []
    rows = session.execute(
        select(Adjustment, SettledPeriod.kind, SettledPeriod.key)
        .outerjoin(SettledPeriod, Adjustment.origin_period_id == SettledPeriod.id)
        .where(Adjustment.id.in_(list(ids)))
        .order_by(Adjustment.booked_on, Adjustment.id)
    )
    return [{"id": a.id, "points": a.points, "booked_on": a.booked_on.isoformat(),
             "original_date": a.original_date.isoformat(), "source": a.source,
             "reason": a.reason, "period_kind": kind or "", "period_label": key or ""}
            for a, kind, key in rows]


def listed_total(card: dict[str, Any]) -> float:
    """What a card's lines add up to, as the kiosk adds them: dimension points, hourly
    points, the counted point entries and the adjustments."""
    return round(fsum([
        *(d["points"] for d in card["dimensions"]),
        card["hourly_points"],
        *(e["points"] for e in card["point_entries"] if e.get("counted", True)),
        *(a["points"] for a in card["adjustments"]),
    ]), 2)
