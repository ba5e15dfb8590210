"""Metric definitions: what HR measures, which way is better, how values combine.

A metric's code is what files, the API and schemes name it by (ASCII, like worker
codes). `ratio` metrics are Σ numerator / Σ denominator of two other, non-ratio metrics;
they hold no values of their own. Every change is audited. A scheme copies the rule of
each metric it names when it is imported (`metric_rules`), so changing a metric later
does not change a stored scheme version: import the scheme again to take the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Better, Combine, Metric, MetricValue
from server.scoring import MetricRule
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
_CODE = re.compile(CODE_PATTERN)
MAX_NAME = 100
MAX_UNIT = 16


@dataclass(frozen=True)
class MetricFields:
    """What HR gives for a metric (the admin form, the CLI)."""

    name_zh: str
    better: str
    combine: str
    name_en: str | None = None
    unit: str | None = None
    numerator: str | None = None
    denominator: str | None = None


def _text(value: str | None, field: str, limit: int, required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{field}: required")
        return None
    if len(text) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidInput(f"{field}: holds a control character")
    return text


def by_code(session: Session, code: str) -> Metric | None:
    return session.scalars(select(Metric).where(Metric.code == code)).first()


def _part(session: Session, code: str | None, field: str, own: str) -> Metric:
    if not code:
        raise InvalidInput(f"{field}: a ratio needs a {field} metric")
    if code == own:
        raise InvalidInput(f"{field}: a ratio cannot read itself")
    found = by_code(session, code)
    if found is None:
        raise InvalidInput(f"{field}: no metric {code!r}")
    if found.combine is Combine.RATIO:
        raise InvalidInput(f"{field}: {code!r} is itself a ratio")
    return found


def _apply(session: Session, metric: Metric, fields: MetricFields) -> None:
    try:
        better, combine = Better(fields.better), Combine(fields.combine)
    except ValueError:
        raise InvalidInput("better: higher or lower; combine: sum, mean, last or ratio"
                           ) from None
    name = _text(fields.name_zh, "name", MAX_NAME, required=True)
    assert name is not None
    metric.name_zh = name
    metric.name_en = _text(fields.name_en, "name_en", MAX_NAME)
    metric.unit = _text(fields.unit, "unit", MAX_UNIT)
    metric.better, metric.combine = better, combine
    if combine is Combine.RATIO:
        metric.numerator = _part(session, fields.numerator, "numerator", metric.code)
        metric.denominator = _part(session, fields.denominator, "denominator", metric.code)
    elif fields.numerator or fields.denominator:
        raise InvalidInput("numerator, denominator: only for combine ratio")
    else:
        metric.numerator = metric.denominator = None


def describe(metric: Metric) -> dict[str, object]:
    return {"code": metric.code, "name": metric.name_zh, "name_en": metric.name_en,
            "unit": metric.unit, "better": metric.better.value,
            "combine": metric.combine.value,
            "numerator": metric.numerator.code if metric.numerator else None,
            "denominator": metric.denominator.code if metric.denominator else None}


def add_metric(session: Session, code: str, fields: MetricFields, *, actor: str) -> Metric:
    """A new metric (audited). Raises InvalidInput naming the field, Conflict for a code
    that exists."""
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise InvalidInput(f"code: {code!r} is not a code: letters A-Z and digits, then also "
                           "_ . - (at most 32 characters)")
    if by_code(session, code) is not None:
        raise Conflict(f"metric {code!r} already exists")
    metric = Metric(code=code)
    _apply(session, metric, fields)
    session.add(metric)
    session.flush()
    record(session, actor, "metric.create", "metric", metric.id, after=describe(metric))
    return metric


def change_metric(session: Session, code: str, fields: MetricFields, *,
                  actor: str) -> Metric:
    """Change a metric's names, unit and rule (audited, before and after). A metric that
    holds values cannot become a ratio (its values would be lost to scoring)."""
    metric = by_code(session, code)
    if metric is None:
        raise NotFound(f"no metric {code!r}")
    before = describe(metric)
    if (fields.combine == Combine.RATIO.value and metric.combine is not Combine.RATIO
            and session.scalar(select(MetricValue.id).where(
                MetricValue.metric_id == metric.id).limit(1)) is not None):
        raise Conflict(f"metric {code!r} holds values; a ratio cannot")
    _apply(session, metric, fields)
    session.flush()
    after = describe(metric)
    if after != before:
        record(session, actor, "metric.update", "metric", metric.id, before=before,
               after=after)
    return metric


def list_metrics(session: Session) -> list[Metric]:
    return list(session.scalars(select(Metric).order_by(Metric.code)))


def rule(metric: Metric) -> MetricRule:
    return MetricRule(
        metric.code, "lower" if metric.better is Better.LOWER else "higher",
        metric.combine.value,
        metric.numerator.code if metric.numerator else None,
        metric.denominator.code if metric.denominator else None, metric.unit)


def metric_rules(session: Session) -> dict[str, MetricRule]:
    """Every metric's rule by code: what a scheme being imported may name."""
    return {m.code: rule(m) for m in list_metrics(session)}
