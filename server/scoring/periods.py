"""Scoring periods: a day, an ISO week (Monday to Sunday) or a calendar month.

Dates here are already in the factory's time zone; the services convert timestamps
before they get here, so this module never sees a clock or a zone.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class PeriodSpan:
    """One concrete period, both ends inclusive."""

    kind: Period
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        """The name people use: 2026-03-09, 2026-W11, 2026-03."""
        if self.kind is Period.DAY:
            return self.start.isoformat()
        if self.kind is Period.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"


def period_span(kind: Period | str, on: date) -> PeriodSpan:
    """The period of the given kind that contains `on`."""
    kind = Period(kind)
    if kind is Period.DAY:
        return PeriodSpan(kind, on, on)
    if kind is Period.WEEK:
        start = on - timedelta(days=on.weekday())
        return PeriodSpan(kind, start, start + timedelta(days=6))
    last = calendar.monthrange(on.year, on.month)[1]
    return PeriodSpan(kind, on.replace(day=1), on.replace(day=last))


def day_starts(first: date, last: date, zone: ZoneInfo) -> tuple[list[date], list[datetime]]:
    """Each factory day from `first` to the day after `last`, and the UTC instant it begins.

    The instants are in UTC like the stored timestamps: comparing datetimes that share a
    tzinfo skips a zone lookup per comparison.
    """
    days = [first + timedelta(days=i) for i in range((last - first).days + 2)]
    return days, [datetime.combine(d, time(), zone).astimezone(UTC) for d in days]


def previous_span(span: PeriodSpan) -> PeriodSpan:
    """The period of the same kind just before `span` (what "most improved" compares with)."""
    return period_span(span.kind, span.start - timedelta(days=1))


@lru_cache(maxsize=512)
def reference_days(kind: Period, span: PeriodSpan) -> int:
    """How many days a scheme's own period lasts, measured where `span` starts.

    Additive targets (output, points) are written for the scheme's period; a card for a
    shorter or longer period scales them by days, so a month's 900 pieces is 30 a day in
    a 30-day month. A month is measured as the calendar month `span` starts in.
    """
    return period_span(kind, span.start).days
