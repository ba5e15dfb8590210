"""The dual track over the last weeks: a worker's process and result lines
(docs/scoring.md, "Tracks").

Each of the last `WEEKS` ISO weeks, up to the week holding `as_of`, is scored from the
worker's own rows with the scheme version in force on that week's Monday (targets of
sums scaled to a week, as for any week's card); a week whose scheme has no tracks, or
in which the worker left no data, gives None. One read of the rows for all the weeks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Metric, Worker
from server.scoring import DimensionScore, Period, PeriodSpan, Scheme, period_span, score
from server.services.scores.inputs import Person, Training, load_inputs
from server.services.scores.schemes import scheme_for, to_scheme

WEEKS = 8


def track_weeks(session: Session, worker: Worker, person: Person, as_of: date,
                zone: ZoneInfo, weeks: int = WEEKS) -> dict[str, Any] | None:
    """{"weeks": [label...], "process": [share or None...], "result": [...]}, oldest
    first, a share from 0 to 1; None when no week of them is scored with tracks."""
    last = period_span(Period.WEEK, as_of)
    spans = [period_span(Period.WEEK, last.start - timedelta(weeks=n))
             for n in range(weeks - 1, -1, -1)]
    whole = PeriodSpan(Period.WEEK, spans[0].start, spans[-1].end)
    training = Training(session, worker.workshop_id, [person.id], zone)
    inputs = load_inputs(session, [person], whole, training, zone)[person.id]
    lines: dict[str, list[float | None]] = {"process": [], "result": []}
    schemes: dict[int, Scheme] = {}
    any_track = False
    for span in spans:
        row = scheme_for(session, worker.workshop_id, span.start)
        scheme = None
        if row is not None:
            scheme = schemes.setdefault(row.id, to_scheme(row))
        if scheme is None or not scheme.tracks:
            for values in lines.values():
                values.append(None)
            continue
        week_inputs = replace(inputs, training=training.items(person, span.end))
        card = score(scheme, week_inputs, span, min(as_of, span.end))
        shares = {t.key.value: t.percent for t in card.tracks}
        for key, values in lines.items():
            values.append(shares.get(key) if card.has_data else None)
        any_track = True
    if not any_track:
        return None
    return {"weeks": [span.label for span in spans], **lines}


def metric_names(session: Session, dimensions: tuple[DimensionScore, ...]
                 ) -> dict[str, dict[str, Any]]:
    """The site's names of the metrics the card's dimensions read, by code."""
    codes = {d.metric.code for d in dimensions if d.metric is not None}
    if not codes:
        return {}
    return {m.code: {"code": m.code, "name": m.name_zh, "name_en": m.name_en, "unit": m.unit}
            for m in session.scalars(select(Metric).where(Metric.code.in_(codes)))}
