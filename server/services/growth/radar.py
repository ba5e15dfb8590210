"""The growth radar: over the last three months, each of the worker's dimensions and
each point category as a share (0 to 1) of the most that could have been had.

- A dimension (`dim:<key>`): the points the worker's monthly cards gave it over the
  current month and the two before, divided by the most those cards could give it
  (`max_points`). A month where the dimension had no data counts neither way; a
  dimension with no data in any month has no share (`share` None).
- A point category (`cat:<code>`): the worker's approved points in it over the last 90
  days, divided by the most any worker of the same workshop earned in it over those days
  (the workshop's best is 1.0). When nobody earned any, it has no share.

The weakest axis is the dimension with the smallest share; only when no dimension has a
share is it the category with the smallest share. Ties go to the first in order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import EntryStatus, PointCategory, PointEntry, Worker
from server.services import ServiceError
from server.services.scores.scorecards import StandingsCache, worker_scorecard

MONTHS = 3
CATEGORY_DAYS = 90


@dataclass(frozen=True)
class Axis:
    key: str  # dim:<key> | cat:<code>
    kind: str  # dimension | category
    code: str
    name: str
    name_en: str | None
    value: float  # points earned
    top: float  # the most that could be had
    share: float | None  # value / top, None without data

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "code": self.code, "name": self.name,
                "name_en": self.name_en, "value": round(self.value, 2),
                "max": round(self.top, 2),
                "share": None if self.share is None else round(self.share, 4)}


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the current month and the `months - 1` before it, oldest first."""
    starts = [today.replace(day=1)]
    while len(starts) < months:
        starts.append((starts[-1] - timedelta(days=1)).replace(day=1))
    return starts[::-1]


def dimension_axes(cards: list[dict[str, Any]]) -> list[Axis]:
    """Sum each dimension's points and maximum over the cards (pure)."""
    points: dict[str, float] = defaultdict(float)
    tops: dict[str, float] = defaultdict(float)
    names: dict[str, tuple[str, str | None]] = {}
    order: list[str] = []
    for card in cards:
        for dim in card.get("dimensions", ()):
            key = str(dim["key"])
            if key not in order:
                order.append(key)
            metric = dim.get("metric")
            if isinstance(metric, dict) and metric.get("name"):
                names[key] = (str(metric["name"]), metric.get("name_en"))
            if dim.get("no_data"):
                continue
            points[key] += float(dim.get("points") or 0)
            tops[key] += float(dim.get("max_points") or 0)
    axes = []
    for key in order:
        top = tops.get(key, 0.0)
        name, name_en = names.get(key, (key, None))
        axes.append(Axis(f"dim:{key}", "dimension", key, name, name_en, points.get(key, 0.0),
                         top, points[key] / top if top > 0 else None))
    return axes


def worker_cards(session: Session, worker: Worker, today: date, zone: ZoneInfo,
                 cache: StandingsCache | None = None) -> list[dict[str, Any]]:
    """The worker's monthly cards of the last three months (those that can be scored)."""
    cards = []
    for start in month_starts(today):
        try:
            cards.append(worker_scorecard(session, worker.code, "month", start, zone,
                                          today=today, cache=cache))
        except ServiceError:  # no scheme in force that month
            continue
    return cards


def category_axes(session: Session, worker: Worker, today: date) -> list[Axis]:
    since = today - timedelta(days=CATEGORY_DAYS - 1)
    rows = session.execute(
        select(PointEntry.worker_id, PointEntry.category_id, func.sum(PointEntry.points))
        .join(Worker, PointEntry.worker_id == Worker.id)
        .where(Worker.workshop_id == worker.workshop_id,
               PointEntry.status == EntryStatus.APPROVED, PointEntry.category_id.is_not(None),
               PointEntry.date >= since, PointEntry.date <= today)
        .group_by(PointEntry.worker_id, PointEntry.category_id)).all()
    mine: dict[int, float] = {}
    best: dict[int, float] = defaultdict(float)
    for worker_id, category_id, total in rows:
        if category_id is None:  # filtered above; this tells the type checker
            continue
        best[category_id] = max(best[category_id], float(total))
        if worker_id == worker.id:
            mine[category_id] = float(total)
    categories = session.scalars(select(PointCategory).where(PointCategory.active.is_(True))
                                 .order_by(PointCategory.level, PointCategory.code))
    return [Axis(f"cat:{c.code}", "category", c.code, c.name, c.name_en, mine.get(c.id, 0.0),
                 best.get(c.id, 0.0),
                 mine.get(c.id, 0.0) / best[c.id] if best.get(c.id, 0.0) > 0 else None)
            for c in categories]


def radar(session: Session, worker: Worker, today: date, zone: ZoneInfo,
          cache: StandingsCache | None = None) -> list[Axis]:
    return [*dimension_axes(worker_cards(session, worker, today, zone, cache)),
            *category_axes(session, worker, today)]


def weakest(axes: list[Axis]) -> Axis | None:
    """The dimension with the smallest share; a category only when no dimension has one."""
    for kind in ("dimension", "category"):
        scored = [a for a in axes if a.kind == kind and a.share is not None]
        if scored:
            return min(scored, key=lambda a: a.share if a.share is not None else 0.0)
    return None
