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
from datetime import date
from math import fsum
from typing import Any

from sqlalchemy import bindparam, select
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


def _kind(decision_note: str | None, given_by_worker_id: int | None,
          event_id: int | None) -> str:
    if (decision_note or "").startswith("appeal"):
        return "appeal"
    if given_by_worker_id is not None:
        return "remark"
    if event_id is not None:
        return "claim"
    return "hr"


def point_entry_lines(session: Session, worker_id: int, card: Scorecard) -> list[dict[str, Any]]:
    """Every approved point entry of the worker dated in the card's period (the rows the
    engine summed), oldest first, and a `cap` line when the total counts less."""
    rows = point_entry_rows(session, [worker_id], card.span.start, card.span.end)
    return entry_lines(rows.get(worker_id, []), card)


# Bound parameters per IN list: well under SQLite's limit, and PostgreSQL plans them fine.
_CHUNK = 900


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i:i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


def _point_entry_statement() -> Any:
    """What `point_entry_rows` reads, built once: the ORM's aliased columns cost more to
    build than the query costs to run."""
    giver, decider = aliased(Worker), aliased(Worker)
    giver_user, decider_user = aliased(User), aliased(User)
    return (
        select(PointEntry.worker_id, PointEntry.id, PointEntry.date, PointEntry.points,
               PointEntry.decision_note, PointEntry.given_by_worker_id,
               PointEntry.event_id, PointCategory.id, PointCategory.code,
               PointCategory.name, PointCategory.name_en, PointCategory.pictogram,
               giver.name, decider.name, giver_user.username, decider_user.username)
        .outerjoin(PointCategory, PointEntry.category_id == PointCategory.id)
        .outerjoin(giver, PointEntry.given_by_worker_id == giver.id)
        .outerjoin(decider, PointEntry.decided_by_worker_id == decider.id)
        .outerjoin(giver_user, PointEntry.given_by_user_id == giver_user.id)
        .outerjoin(decider_user, PointEntry.decided_by_user_id == decider_user.id)
        .where(PointEntry.worker_id.in_(bindparam("ids", expanding=True)),
               PointEntry.status == EntryStatus.APPROVED,
               PointEntry.date.between(bindparam("first"), bindparam("last")))
        .order_by(PointEntry.worker_id, PointEntry.date, PointEntry.id)
    )


_POINT_ENTRIES = _point_entry_statement()


def point_entry_rows(session: Session, worker_ids: Sequence[int], first: date, last: date
                     ) -> dict[int, list[dict[str, Any]]]:
    """The approved point entries of these workers dated from `first` to `last`, as card
    lines without `counted`, by worker id, oldest first: one query per 900 workers (of
    columns, not ORM objects: a workshop's month is thousands of entries)."""
    found: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(worker_ids):
        rows = session.execute(_POINT_ENTRIES, {"ids": chunk, "first": first, "last": last})
        for (worker_id, entry_id, day, points, note, giver_id, event_id, category_id, code,
             name, name_en, pictogram, given_by, decided_by, given_by_user,
             decided_by_user) in rows:
            has_category = category_id is not None
            found.setdefault(worker_id, []).append({
                "id": entry_id,
                "date": day.isoformat(),
                "category": code if has_category else "",
                "category_name": name if has_category else "",
                "category_name_en": (name_en or "") if has_category else "",
                "pictogram": (pictogram or DEFAULT_PICTOGRAM) if has_category
                else DEFAULT_PICTOGRAM,
                "points": points,
                "given_by_name": (given_by or given_by_user or decided_by or decided_by_user
                                  or ""),
                "kind": _kind(note, giver_id, event_id),
            })
    return found


def entry_lines(rows: Sequence[dict[str, Any]], card: Scorecard) -> list[dict[str, Any]]:
    """A card's point entry lines from its worker's rows (`point_entry_rows`), and the
    `cap` line when the total counts less than they add up to."""
    counted = not card.scheme.counts_points_as_dimension
    lines: list[dict[str, Any]] = [{**row, "counted": counted} for row in rows]
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
    return adjustment_lines(adjustment_rows(session, ids), ids)


def adjustment_rows(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The lines of these adjustments by id (`adjustment_lines` picks a card's)."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Adjustment, SettledPeriod.kind, SettledPeriod.key)
            .outerjoin(SettledPeriod, Adjustment.origin_period_id == SettledPeriod.id)
            .where(Adjustment.id.in_(chunk))
        )
        for a, kind, key in rows:
            found[a.id] = {"id": a.id, "points": a.points, "booked_on": a.booked_on,
                           "original_date": a.original_date.isoformat(), "source": a.source,
                           "reason": a.reason, "period_kind": kind or "",
                           "period_label": key or ""}
    return found


def adjustment_lines(rows: dict[int, dict[str, Any]], ids: Sequence[int]
                     ) -> list[dict[str, Any]]:
    """A card's adjustment lines from `adjustment_rows`, in the order booked."""
    picked = sorted((rows[i] for i in dict.fromkeys(ids) if i in rows),
                    key=lambda line: (line["booked_on"], line["id"]))
    return [{**line, "booked_on": line["booked_on"].isoformat()} for line in picked]


def listed_total(card: dict[str, Any]) -> float:
    """What a card's lines add up to, as the kiosk adds them: dimension points, hourly
    points, the counted point entries and the adjustments."""
    return round(fsum([
        *(d["points"] for d in card["dimensions"]),
        card["hourly_points"],
        *(e["points"] for e in card["point_entries"] if e.get("counted", True)),
        *(a["points"] for a in card["adjustments"]),
    ]), 2)
