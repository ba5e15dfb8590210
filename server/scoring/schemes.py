"""Scoring schemes as HR writes them (YAML, docs/scoring.md, "A scheme"): parse, validate, export.

Validation names the field in every message ("dimensions[2].weight: ...") because the
person reading it is editing a YAML file, not reading a traceback. The stored form of a
scheme (`ScoringScheme.definition`) is the JSON-ready dict `to_definition` makes; the
version lives in its own column and is passed back in by `from_definition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from server.scoring import (
    Dim,
    DimensionSpec,
    MetricRule,
    Mode,
    Period,
    Scheme,
    TierSpec,
    Track,
    TrackSpec,
)

# A dimension's key, and a metric's code: what the scheme and the files spell.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
_BUILT_IN = frozenset(d.value for d in Dim)
# The fields a metric dimension carries from its metric, filled in when HR's YAML is read
# (`metrics=`) and stored with the version, so that a past period is scored as it was.
_METRIC_FIELDS = ("better", "combine", "numerator", "denominator", "unit")


class SchemeError(ValueError):
    """A scheme that cannot be used; the message names the field and says why."""


class _Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    target: float = Field(ge=0)
    points: float | None = Field(default=None, ge=0)
    weight: float | None = Field(default=None, gt=0)
    cap: float = Field(default=1.0, ge=1.0)
    metric: str | None = Field(default=None, pattern=KEY_PATTERN)
    track: Track | None = None
    # Copied from the metric when the scheme is imported (see _METRIC_FIELDS).
    better: Literal["higher", "lower"] | None = None
    combine: Literal["sum", "mean", "last", "ratio"] | None = None
    numerator: str | None = Field(default=None, pattern=KEY_PATTERN)
    denominator: str | None = Field(default=None, pattern=KEY_PATTERN)
    unit: str | None = Field(default=None, max_length=16)


class _Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=32)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    top_percent: float | None = Field(default=None, gt=0, le=100)
    most_improved_percent: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _one_rule(self) -> _Tier:
        if (self.top_percent is None) == (self.most_improved_percent is None):
            raise ValueError("give exactly one of top_percent and most_improved_percent")
        return self


class _Scheme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    version: int | None = Field(default=None, ge=1)
    workshops: list[str] = Field(min_length=1)
    period: Period
    mode: Mode
    effective_from: date
    dimensions: list[_Dimension] = Field(min_length=1)
    hourly_points: float = Field(default=0.0, ge=0)
    points_cap: float = Field(default=20.0, ge=0)
    tiers: list[_Tier] = Field(default_factory=list)
    tracks: dict[Track, float] = Field(default_factory=dict)


def _check_metric(where: str, dim: _Dimension) -> list[str]:
    problems = []
    if dim.metric is None:
        if dim.key not in _BUILT_IN:
            problems.append(f"{where}.key: no built-in dimension (got {dim.key!r}); the "
                            f"built-ins are {', '.join(sorted(_BUILT_IN))}, or name a metric "
                            "with `metric`")
        problems += [f"{where}.{name}: only for a metric dimension" for name in _METRIC_FIELDS
                     if getattr(dim, name) is not None]
        return problems
    if dim.key in _BUILT_IN:
        problems.append(f"{where}.key: {dim.key} is a built-in dimension; give the metric "
                        "dimension another key")
    if dim.better is None or dim.combine is None:
        problems.append(f"{where}.metric: no metric {dim.metric}")
    elif dim.combine == "ratio" and not (dim.numerator and dim.denominator):
        problems.append(f"{where}.metric: ratio {dim.metric} needs a numerator and a "
                        "denominator")
    return problems


def _check_tracks(model: _Scheme) -> list[str]:
    problems = []
    if not model.tracks:
        problems += [f"dimensions[{i}].track: the scheme has no tracks"
                     for i, dim in enumerate(model.dimensions) if dim.track is not None]
        return problems
    for key, weight in model.tracks.items():
        if weight <= 0:
            problems.append(f"tracks.{key.value}: the weight must be above 0")
        if not any(dim.track is key for dim in model.dimensions):
            problems.append(f"tracks.{key.value}: no dimension is on this track")
    total = sum(model.tracks.values())
    if abs(total - 100) > 1e-6:
        problems.append(f"tracks: weights must sum to 100, not {total:g}")
    problems += [f"dimensions[{i}].track: required when the scheme has tracks "
                 f"({', '.join(t.value for t in model.tracks)})"
                 for i, dim in enumerate(model.dimensions)
                 if dim.track is None or dim.track not in model.tracks]
    return problems


def _check_rules(model: _Scheme) -> list[str]:
    """The rules that tie fields together, each message naming its field."""
    problems = []
    seen: set[str] = set()
    for i, dim in enumerate(model.dimensions):
        where = f"dimensions[{i}]"
        if dim.key in seen:
            problems.append(f"{where}.key: {dim.key} is listed twice")
        seen.add(dim.key)
        problems += _check_metric(where, dim)
        if model.mode is Mode.THRESHOLD:
            if dim.points is None:
                problems.append(f"{where}.points: required in threshold mode")
            if dim.weight is not None:
                problems.append(f"{where}.weight: not used in threshold mode; give points")
        else:
            if dim.weight is None:
                problems.append(f"{where}.weight: required in weighted mode")
            if dim.points is not None:
                problems.append(f"{where}.points: not used in weighted mode; give a weight")
        lower = dim.better == "lower" if dim.metric is not None else dim.key == Dim.DEFECT_RATE
        if not lower and dim.target <= 0:
            problems.append(f"{where}.target: must be above 0 for {dim.key}")
    if model.mode is Mode.WEIGHTED:
        total = sum(d.weight or 0 for d in model.dimensions)
        if abs(total - 100) > 1e-6:
            problems.append(f"dimensions: weights must sum to 100 in weighted mode, not "
                            f"{total:g}")
    problems += _check_tracks(model)
    keys = [t.key for t in model.tiers]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            problems.append(f"tiers[{i}].key: {key} is listed twice")
    for i, code in enumerate(model.workshops):
        if not code.strip():
            problems.append(f"workshops[{i}]: empty workshop code")
    return problems


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "scheme"


def _message(err: Any) -> str:
    text = f"{_location(err['loc'])}: {err['msg']}"
    given = err.get("input")
    if isinstance(given, str | int | float) and err["type"] != "missing":
        text += f" (got {given!r})"
    return text


def _number(value: float | None) -> float | int | None:
    """60 rather than 60.0 in what people read back."""
    if value is not None and float(value).is_integer():
        return int(value)
    return value


def _with_metrics(definition: dict[str, Any], metrics: Mapping[str, MetricRule]
                  ) -> dict[str, Any]:
    """The definition with each metric dimension's rule copied from `metrics` (by code);
    a field the YAML gives itself must agree with the metric."""
    dimensions = definition.get("dimensions")
    if not isinstance(dimensions, list):
        return definition
    filled = []
    problems = []
    for i, dim in enumerate(dimensions):
        code = dim.get("metric") if isinstance(dim, dict) else None
        if not isinstance(code, str):
            filled.append(dim)
            continue
        rule = metrics.get(code)
        if rule is None:
            problems.append(f"dimensions[{i}].metric: no metric {code}")
            filled.append(dim)
            continue
        known = {"better": rule.better, "combine": rule.combine, "numerator": rule.numerator,
                 "denominator": rule.denominator, "unit": rule.unit}
        for name, value in known.items():
            if dim.get(name) is not None and dim[name] != value:
                problems.append(f"dimensions[{i}].{name}: metric {code} has {value!r}")
        filled.append({**dim, **{k: v for k, v in known.items() if v is not None}})
    if problems:
        raise SchemeError("; ".join(problems))
    return {**definition, "dimensions": filled}


def _spec(d: _Dimension) -> DimensionSpec:
    rule = None
    if d.metric is not None and d.better is not None and d.combine is not None:
        rule = MetricRule(d.metric, d.better, d.combine, d.numerator, d.denominator, d.unit)
    key: str = Dim(d.key) if rule is None else d.key
    return DimensionSpec(key, d.target, points=d.points, weight=d.weight, cap=d.cap,
                         metric=rule, track=d.track)


def from_definition(definition: Any, version: int = 1,
                    metrics: Mapping[str, MetricRule] | None = None) -> Scheme:
    """Validate a parsed scheme (a dict) and build the engine's `Scheme`. `metrics` (by
    code) fills in each metric dimension's rule; a stored definition already holds it."""
    if not isinstance(definition, dict):
        raise SchemeError("scheme: expected a mapping of fields (name, period, mode, ...)")
    if metrics is not None:
        definition = _with_metrics(definition, metrics)
    try:
        model = _Scheme.model_validate(definition)
    except ValidationError as exc:
        raise SchemeError("; ".join(_message(err) for err in exc.errors())) from None
    problems = _check_rules(model)
    if problems:
        raise SchemeError("; ".join(problems))
    return Scheme(
        name=model.name,
        version=version,
        period=model.period,
        mode=model.mode,
        dimensions=tuple(_spec(d) for d in model.dimensions),
        hourly_points=model.hourly_points,
        points_cap=model.points_cap,
        tiers=tuple(
            TierSpec(t.key, t.name or t.key, top_percent=t.top_percent,
                     most_improved_percent=t.most_improved_percent)
            for t in model.tiers
        ),
        effective_from=model.effective_from,
        workshops=tuple(code.strip() for code in model.workshops),
        tracks=tuple(TrackSpec(key, weight) for key, weight in model.tracks.items()),
    )


def parse_yaml(text: str, metrics: Mapping[str, MetricRule] | None = None) -> Scheme:
    """Parse and validate a scheme as HR writes it. A `version` in the text is ignored:
    the version is given when the scheme is stored. `metrics` (by code) are the site's
    metrics a dimension may name."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SchemeError(f"scheme: not valid YAML{where}") from None
    return from_definition(data, metrics=metrics if metrics is not None else {})


def to_definition(scheme: Scheme) -> dict[str, Any]:
    """The JSON-ready dict that is stored and exported (no version: that is a column)."""
    dimensions = []
    for d in scheme.dimensions:
        item: dict[str, Any] = {"key": str(d.key)}
        if d.metric is not None:
            item["metric"] = d.metric.code
        item["target"] = _number(d.target)
        if scheme.mode is Mode.THRESHOLD:
            item["points"] = _number(d.points)
        else:
            item["weight"] = _number(d.weight)
            if d.cap != 1.0:
                item["cap"] = _number(d.cap)
        if d.track is not None:
            item["track"] = d.track.value
        if d.metric is not None:
            rule = d.metric
            item.update({"better": rule.better, "combine": rule.combine})
            item.update({name: value for name, value in (
                ("numerator", rule.numerator), ("denominator", rule.denominator),
                ("unit", rule.unit)) if value is not None})
        dimensions.append(item)
    tiers = []
    for t in scheme.tiers:
        tier: dict[str, Any] = {"key": t.key}
        if t.name != t.key:
            tier["name"] = t.name
        if t.top_percent is not None:
            tier["top_percent"] = _number(t.top_percent)
        else:
            tier["most_improved_percent"] = _number(t.most_improved_percent)
        tiers.append(tier)
    return {
        "name": scheme.name,
        "workshops": list(scheme.workshops),
        "period": scheme.period.value,
        "mode": scheme.mode.value,
        "effective_from": scheme.effective_from.isoformat() if scheme.effective_from else None,
        "dimensions": dimensions,
        "hourly_points": _number(scheme.hourly_points),
        "points_cap": _number(scheme.points_cap),
        "tiers": tiers,
        **({"tracks": {t.key.value: _number(t.weight) for t in scheme.tracks}}
           if scheme.tracks else {}),
    }


def to_yaml(scheme: Scheme) -> str:
    """YAML that `parse_yaml` reads back to an equal scheme; carries the version for people."""
    data = to_definition(scheme)
    data["effective_from"] = scheme.effective_from
    ordered = {"name": data.pop("name"), "version": scheme.version, **data}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False,
                          default_flow_style=None)
