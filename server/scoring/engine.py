"""From one worker's records to one scorecard (DESIGN.md §4). Pure: no clock, no I/O.

Rules beyond the design's own words, decided here:

- **Attendance** is the share of scheduled days the worker badged in on. A day is
  scheduled when the worker has a production record with planned minutes > 0 on it; a
  badge-in on a day without scheduled work does not count, so attendance never exceeds
  100 %.
- **Training** counts the required videos finished by the end of the period.
- **Targets of sums** (output, points) are written for the scheme's own period; a card for
  another period scales them by its number of days (a month's 900 pieces is 210 in a week
  of a 30-day month). Rates (uptime, defect rate, training, attendance) are not scaled.
  `points_cap` applies to each scored period as it is.
- **Met** means value >= target, or value <= target when lower is better; a value equal to
  the target is met (compared with a relative tolerance of 1e-9 so that a scaled target
  does not miss by a rounding error).
- **Today** is the difference between the total and the total without the records dated
  `as_of`; it can be negative when a bad day pulls a rate under its target.
- **At this pace** extrapolates the sums (output, points, run hours, point entries)
  linearly from the days elapsed (period start to `as_of`, both included) to the whole
  period and scores that; rates stay as they are. A finished period projects to its total.
- Points are rounded to 2 decimals per line, then summed and rounded again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from server.scoring.model import (
    ADDITIVE,
    LOWER_IS_BETTER,
    DailyValue,
    Dim,
    DimensionScore,
    DimensionSpec,
    Mode,
    Scheme,
    Scorecard,
    WorkerInputs,
)
from server.scoring.periods import PeriodSpan, reference_days

TOLERANCE = 1e-9


@dataclass(slots=True)
class _Tally:
    """The period's records folded per day, so "without today" is one subtraction."""

    production: dict[date, list[float]] = field(default_factory=dict)  # planned, run, out, def
    production_ids: list[int] = field(default_factory=list)
    points: dict[date, float] = field(default_factory=dict)
    point_ids: list[int] = field(default_factory=list)
    badge_days: dict[date, list[int]] = field(default_factory=dict)
    required: int = 0
    completed: dict[int, date] = field(default_factory=dict)

    @property
    def scheduled(self) -> list[date]:
        return [day for day, sums in self.production.items() if sums[0] > 0]


@dataclass(frozen=True, slots=True)
class _Sums:
    planned: float
    run: float
    output: float
    defects: float
    has_production: bool
    scheduled: int
    attended: int
    points: float
    has_points: bool
    required: int
    completed: int


def _tally(inputs: WorkerInputs, span: PeriodSpan) -> _Tally:
    tally = _Tally()
    start, end = span.start, span.end
    for row in inputs.production:
        if start <= row.date <= end:
            sums = tally.production.get(row.date)
            if sums is None:
                sums = tally.production[row.date] = [0.0, 0.0, 0.0, 0.0]
            sums[0] += row.planned_minutes
            sums[1] += row.run_minutes
            sums[2] += row.output
            sums[3] += row.defects
            tally.production_ids.append(row.id)
    for entry in inputs.point_entries:
        if start <= entry.date <= end:
            tally.points[entry.date] = tally.points.get(entry.date, 0.0) + entry.points
            tally.point_ids.append(entry.id)
    for badge in inputs.badge_ins:
        if start <= badge.date <= end:
            tally.badge_days.setdefault(badge.date, []).append(badge.id)
    required: set[int] = set()
    for item in inputs.training:
        required.add(item.video_id)
        done = item.completed_on
        if done is not None and done <= end:
            earlier = tally.completed.get(item.video_id)
            tally.completed[item.video_id] = done if earlier is None else min(done, earlier)
    tally.required = len(required)
    tally.production_ids.sort()
    tally.point_ids.sort()
    return tally


def _sums(tally: _Tally, skip: date | None = None) -> _Sums:
    planned = run = output = defects = 0.0
    scheduled = attended = 0
    days = 0
    for day, (p, r, o, d) in tally.production.items():
        if day == skip:
            continue
        days += 1
        planned += p
        run += r
        output += o
        defects += d
        if p > 0:
            scheduled += 1
            attended += day in tally.badge_days
    point_days = [v for day, v in tally.points.items() if day != skip]
    return _Sums(
        planned=planned, run=run, output=output, defects=defects, has_production=days > 0,
        scheduled=scheduled, attended=attended, points=sum(point_days),
        has_points=bool(point_days), required=tally.required,
        completed=sum(1 for day in tally.completed.values() if day != skip),
    )


def _value(key: Dim, sums: _Sums, scale: float) -> float | None:
    """The measured value, or None for "no data"."""
    if key is Dim.UPTIME:
        return sums.run / sums.planned if sums.planned > 0 else None
    if key is Dim.DEFECT_RATE:
        return sums.defects / sums.output if sums.output > 0 else None
    if key is Dim.OUTPUT:
        return sums.output * scale if sums.has_production else None
    if key is Dim.TRAINING:
        return sums.completed / sums.required if sums.required else None
    if key is Dim.ATTENDANCE:
        return sums.attended / sums.scheduled if sums.scheduled else None
    return sums.points * scale if sums.has_points else None


def is_met(key: Dim, value: float, target: float) -> bool:
    slack = TOLERANCE * max(1.0, abs(target))
    if key in LOWER_IS_BETTER:
        return value <= target + slack
    return value >= target - slack


def _achievement(key: Dim, value: float, target: float, cap: float) -> float:
    if key in LOWER_IS_BETTER:
        ratio = cap if value <= 0 else target / value
    else:
        ratio = cap if target <= 0 else value / target
    if is_met(key, value, target):
        ratio = max(ratio, 1.0)
    return min(max(ratio, 0.0), cap)


def _max_points(scheme: Scheme, spec: DimensionSpec) -> float:
    if scheme.mode is Mode.THRESHOLD:
        return round(spec.points or 0.0, 2)
    return round((spec.weight or 0.0) * spec.cap, 2)


def _line(
    scheme: Scheme, spec: DimensionSpec, sums: _Sums, target_scale: float, scale: float
) -> tuple[float | None, float, bool | None, float]:
    """(value, target, met, points) for one dimension."""
    target = spec.target * target_scale if spec.key in ADDITIVE else spec.target
    value = _value(spec.key, sums, scale)
    if value is None:
        return None, target, None, 0.0
    met = is_met(spec.key, value, target)
    if scheme.mode is Mode.THRESHOLD:
        points = (spec.points or 0.0) if met else 0.0
    else:
        points = (spec.weight or 0.0) * _achievement(spec.key, value, target, spec.cap)
    return value, target, met, round(points, 2)


def _extras(scheme: Scheme, sums: _Sums, scale: float) -> tuple[float, float]:
    """(hourly points, point entries counted outside any dimension)."""
    hourly = round(scheme.hourly_points * sums.run / 60.0 * scale, 2)
    if scheme.counts_points_as_dimension:
        return hourly, 0.0
    return hourly, round(min(sums.points * scale, scheme.points_cap), 2)


def _total(scheme: Scheme, sums: _Sums, target_scale: float, scale: float) -> float:
    lines = sum(_line(scheme, s, sums, target_scale, scale)[3] for s in scheme.dimensions)
    return round(lines + sum(_extras(scheme, sums, scale)), 2)


def _daily(key: Dim, tally: _Tally) -> tuple[DailyValue, ...]:
    values: dict[date, float]
    if key is Dim.UPTIME:
        values = {d: s[1] / s[0] for d, s in tally.production.items() if s[0] > 0}
    elif key is Dim.DEFECT_RATE:
        values = {d: s[3] / s[2] for d, s in tally.production.items() if s[2] > 0}
    elif key is Dim.OUTPUT:
        values = {d: s[2] for d, s in tally.production.items()}
    elif key is Dim.ATTENDANCE:
        values = {d: float(d in tally.badge_days) for d in tally.scheduled}
    elif key is Dim.POINTS:
        values = tally.points
    else:
        counts: dict[date, float] = defaultdict(float)
        for day in tally.completed.values():
            counts[day] += 1
        values = counts
    return tuple(DailyValue(d, round(values[d], 4)) for d in sorted(values))


def _record_ids(key: Dim, tally: _Tally) -> tuple[int, ...]:
    if key is Dim.POINTS:
        return tuple(tally.point_ids)
    if key is Dim.TRAINING:
        return tuple(sorted(tally.completed))
    if key is Dim.ATTENDANCE:
        scheduled = set(tally.scheduled)
        return tuple(sorted(i for d, ids in tally.badge_days.items() if d in scheduled
                            for i in ids))
    return tuple(tally.production_ids)


def score(
    scheme: Scheme,
    inputs: WorkerInputs,
    span: PeriodSpan,
    as_of: date | None = None,
    *,
    detail: bool = True,
) -> Scorecard:
    """Score one worker for `span`. `as_of` is "today" (default: the period's last day).

    With `detail=False` the per-day values and record ids are left empty: a leaderboard
    needs only the totals of everyone but the worker who is looking.
    """
    as_of = min(max(as_of or span.end, span.start), span.end)
    tally = _tally(inputs, span)
    sums = _sums(tally)
    target_scale = span.days / reference_days(scheme.period, span)
    lines = []
    for spec in scheme.dimensions:
        value, target, met, points = _line(scheme, spec, sums, target_scale, 1.0)
        lines.append(DimensionScore(
            key=spec.key,
            value=None if value is None else round(value, 6),
            target=round(target, 6),
            met=met,
            points=points,
            max_points=_max_points(scheme, spec),
            no_data=value is None,
            record_ids=_record_ids(spec.key, tally) if detail else (),
            daily=_daily(spec.key, tally) if detail else (),
        ))
    hourly, entries = _extras(scheme, sums, 1.0)
    total = round(sum(line.points for line in lines) + hourly + entries, 2)
    elapsed = (as_of - span.start).days + 1
    projected = (total if elapsed >= span.days
                 else _total(scheme, sums, target_scale, span.days / elapsed))
    today = round(total - _total(scheme, _sums(tally, skip=as_of), target_scale, 1.0), 2)
    return Scorecard(
        worker_code=inputs.worker_code,
        scheme=scheme,
        span=span,
        as_of=as_of,
        total=total,
        max_total=round(sum(line.max_points for line in lines), 2),
        complete=not any(line.no_data for line in lines),
        dimensions=tuple(lines),
        hourly_points=hourly,
        point_entries_total=entries,
        point_entry_ids=() if scheme.counts_points_as_dimension else tuple(tally.point_ids),
        today_points=today,
        projected_total=projected,
    )
