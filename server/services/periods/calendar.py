"""Which period a workshop settles (its scheme's week or month) and how periods are named.

A period is named as people write it: `2026-11` for a month, `2026-W47` for an ISO week.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Workshop
from server.scoring import Period, PeriodSpan, period_span
from server.services import InvalidInput, NotFound
from server.services.scores.schemes import scheme_for, to_scheme

SETTLED_KINDS = (Period.WEEK, Period.MONTH)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_key(kind: Period | str, key: str) -> PeriodSpan:
    """The span a key names; InvalidInput (naming the key) when it is not one."""
    kind = Period(kind)
    text = key.strip()
    if kind is Period.MONTH:
        match = _MONTH.match(text)
        if match is None or not 1 <= int(match[2]) <= 12:
            raise InvalidInput(f"month: {key!r} is not a month like 2026-11")
        return period_span(kind, date(int(match[1]), int(match[2]), 1))
    if kind is Period.WEEK:
        match = _WEEK.match(text)
        try:
            start = date.fromisocalendar(int(match[1]), int(match[2]), 1) if match else None
        except ValueError:
            start = None
        if start is None:
            raise InvalidInput(f"week: {key!r} is not an ISO week like 2026-W47")
        return period_span(kind, start)
    raise InvalidInput("only weeks and months are settled, not days")


def workshop_by_code(session: Session, code: str) -> Workshop:
    workshop = session.scalars(select(Workshop).where(Workshop.code == code)).first()
    if workshop is None:
        raise NotFound(f"no workshop with code {code!r}")
    return workshop


def settled_kind(session: Session, workshop: Workshop, on: date) -> Period | None:
    """The kind of period the workshop settles around `on`: its scheme's period (week or
    month); None when no scheme is in force or the scheme scores days."""
    for kind in (Period.MONTH, Period.WEEK):
        row = scheme_for(session, workshop.id, period_span(kind, on).start)
        if row is not None:
            scheme_period = to_scheme(row).period
            if scheme_period is kind:
                return kind
    return None


def check_kind(session: Session, workshop: Workshop, span: PeriodSpan) -> None:
    """Refuse `--week` for a monthly scheme and `--month` for a weekly one."""
    row = scheme_for(session, workshop.id, span.start)
    if row is None:
        raise InvalidInput(f"{workshop.code} has no scoring scheme in force on "
                           f"{span.start.isoformat()}: nothing to close")
    scheme_period = to_scheme(row).period
    if scheme_period is not span.kind:
        flag = "--week YYYY-Www" if scheme_period is Period.WEEK else "--month YYYY-MM"
        if scheme_period is Period.DAY:
            raise InvalidInput(f"{workshop.code} is scored by the day; only weekly and "
                               "monthly schemes are closed")
        raise InvalidInput(f"{workshop.code} is scored by the {scheme_period.value}, not by "
                           f"the {span.kind.value}: use {flag}")
