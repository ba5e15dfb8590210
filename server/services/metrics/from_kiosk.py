"""Kiosk events that count into a metric.

A `quality_issue` event (a worker at a kiosk reports a quality problem found) counts 1 in
the metric `quality_issues_found` of the reporter's shift, when HR defined a metric with
that code (`metric add quality_issues_found --name 发现质量问题 --better higher --combine
sum`); without one it only opens its alert. The count is recomputed from the stored
events of each shift touched, so a resent event never counts twice. A count from MES or
a file for the same shift wins over the kiosk's (services/metrics/values.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Combine, Event, RecordSource
from server.services.metrics.definitions import by_code
from server.services.metrics.values import Key, upsert_values
from server.services.production.from_kiosk import shift_of, shift_window

QUALITY_METRIC = "quality_issues_found"
QUALITY_ISSUE = "quality_issue"


def count_quality_issues(session: Session, reports: Iterable[tuple[int, datetime]],
                         zone: ZoneInfo, actor: str) -> None:
    """Recount the shifts of these (worker id, occurred_at) quality reports."""
    metric = by_code(session, QUALITY_METRIC)
    if metric is None or metric.combine is Combine.RATIO:
        return
    shifts = {(worker_id, *shift_of(at, zone)) for worker_id, at in reports}
    values: dict[Key, float] = {}
    for worker_id, day, shift in sorted(shifts):
        start, end = shift_window(day, shift, zone)
        count = session.scalar(select(func.count()).select_from(Event).where(
            Event.worker_id == worker_id, Event.kind == QUALITY_ISSUE,
            Event.occurred_at >= start, Event.occurred_at < end)) or 0
        values[(day, shift, worker_id, metric.id)] = float(count)
    upsert_values(session, values, RecordSource.KIOSK, actor,
                  audit_context={"via": "kiosk", "kind": QUALITY_ISSUE})
