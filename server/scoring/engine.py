"""From one worker's records to one scorecard (docs/scoring.md). Pure: no clock, no I/O.

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
- **A period in progress** (`as_of` before its last day) judges a sum against its target
  pro-rated to the days elapsed (start to `as_of`, both included): "met" and the weighted
  achievement use target × elapsed / days, and the card keeps the whole period's target
  beside it (`target_full`, `pro_rated`). Rates are judged as they are. A finished period
  uses the whole target.
- **Met** means value >= target, or value <= target when lower is better; a value equal to
  the target is met (compared with a relative tolerance of 1e-9 so that a scaled target
  does not miss by a rounding error). Each day of `daily` is judged the same way against
  the card's target (the line its bars are drawn against).
- **Today** is the difference between the total and the total without the records dated
  `as_of`; it can be negative when a bad day pulls a rate under its target.
- **At this pace** extrapolates the sums (output, points, run hours, point entries)
  linearly from the days elapsed (period start to `as_of`, both included) to the whole
  period and scores that against the whole period's targets; rates stay as they are. A
  finished period projects to its total.
- **Data**: a card has data when the period holds a production record, an approved point
  entry or an adjustment line of the worker (`PeriodTotals.has_data`); only such cards
  are ranked (`ranking`).
- Points are rounded to 2 decimals per line, then summed and rounded again.
- **Metrics** (a dimension with `metric`): sum, mean, last (the latest day's values;
  their mean when that day has several shifts) or ratio (Σ numerator / Σ denominator; no
  data while the denominator's sum is 0). A sum is a sum like output (scaled, pro-rated,
  projected); the others are rates. Lower-is-better metrics are met at or below target.
- **Tracks**: when the scheme has tracks, each track's dimension points are taken as a
  share of their maximum and weighed by the track's weight; the total is the sum of the
  tracks (rounded to 2 decimals each) plus hourly points, point entries and adjustments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from math import fsum
from typing import TypeVar

from server.scoring.model import (
    LOWER_IS_BETTER,
    SUM_DIGITS,
    DailyValue,
    Dim,
    DimensionScore,
    DimensionSpec,
    MetricRow,
    MetricRule,
    MetricSums,
    Mode,
    PeriodTotals,
    ProductionRow,
    Scheme,
    Scorecard,
    TrackScore,
    WorkerInputs,
)
from server.scoring.periods import PeriodSpan, reference_days

TOLERANCE = 1e-9
K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class _Tally:
    """The period's records folded per day, so "without today" is one subtraction.

    Sums use `math.fsum`, which is exact before its one rounding: the order the records
    arrive in cannot change a total by a last-digit error.
    """

    # planned, run, output, defects, number of records
    production: dict[date, tuple[float, float, float, float, int]] = field(default_factory=dict)
    production_ids: list[int] = field(default_factory=list)
    points: dict[date, tuple[float, int]] = field(default_factory=dict)
    point_ids: list[int] = field(default_factory=list)
    badge_days: dict[date, list[int]] = field(default_factory=dict)
    required: int = 0
    completed: dict[int, date] = field(default_factory=dict)
    adjustments: dict[date, tuple[float, int]] = field(default_factory=dict)
    adjustment_ids: list[int] = field(default_factory=list)
    # metric code -> day -> that day's values; and the rows' ids per metric code
    metrics: dict[str, dict[date, list[float]]] = field(default_factory=dict)
    metric_ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def scheduled(self) -> list[date]:
        return [day for day, sums in self.production.items() if sums[0] > 0]


def _tally(inputs: WorkerInputs, span: PeriodSpan) -> _Tally:
    tally = _Tally()
    start, end = span.start, span.end
    rows: dict[date, list[ProductionRow]] = defaultdict(list)
    for row in inputs.production:
        if start <= row.date <= end:
            rows[row.date].append(row)
            tally.production_ids.append(row.id)
    for day, group in rows.items():
        if len(group) == 1:
            row = group[0]
            tally.production[day] = (row.planned_minutes, row.run_minutes, row.output,
                                     row.defects, 1)
        else:
            tally.production[day] = (
                fsum(r.planned_minutes for r in group), fsum(r.run_minutes for r in group),
                sum(r.output for r in group), sum(r.defects for r in group), len(group))
    entries: dict[date, list[float]] = defaultdict(list)
    for entry in inputs.point_entries:
        if start <= entry.date <= end:
            entries[entry.date].append(entry.points)
            tally.point_ids.append(entry.id)
    tally.points = {day: (fsum(values), len(values)) for day, values in entries.items()}
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
    booked: dict[date, list[float]] = defaultdict(list)
    for line in inputs.adjustments:
        if start <= line.date <= end:
            booked[line.date].append(line.points)
            tally.adjustment_ids.append(line.id)
    tally.adjustments = {day: (fsum(values), len(values)) for day, values in booked.items()}
    _tally_metrics(tally, inputs.metrics, span)
    tally.adjustment_ids.sort()
    tally.production_ids.sort()
    tally.point_ids.sort()
    return tally


def _tally_metrics(tally: _Tally, rows: tuple[MetricRow, ...], span: PeriodSpan) -> None:
    for row in rows:
        if span.start <= row.date <= span.end:
            tally.metrics.setdefault(row.metric, {}).setdefault(row.date, []).append(row.value)
            tally.metric_ids.setdefault(row.metric, []).append(row.id)
    for ids in tally.metric_ids.values():
        ids.sort()


def _fold(days: Mapping[date, list[float]], skip: date | None = None) -> MetricSums:
    kept = {day: values for day, values in days.items() if day != skip}
    if not kept:
        return MetricSums()
    last = max(kept)
    return MetricSums(
        total=round(fsum(v for values in kept.values() for v in values), SUM_DIGITS),
        count=sum(len(values) for values in kept.values()),
        last_date=last, last_total=round(fsum(kept[last]), SUM_DIGITS),
        last_count=len(kept[last]))


def metric_sums(rows: Iterable[MetricRow], span: PeriodSpan) -> tuple[tuple[str, MetricSums], ...]:
    """The `PeriodTotals.metrics` of a worker's metric rows in `span`."""
    tally = _Tally()
    _tally_metrics(tally, tuple(rows), span)
    return _metric_totals(tally)


def _metric_totals(tally: _Tally, skip: date | None = None
                   ) -> tuple[tuple[str, MetricSums], ...]:
    folded = ((code, _fold(days, skip)) for code, days in sorted(tally.metrics.items()))
    return tuple((code, sums) for code, sums in folded if sums.count)


def _totals(tally: _Tally, skip: date | None = None) -> PeriodTotals:
    days = [sums for day, sums in tally.production.items() if day != skip]
    scheduled = [day for day, sums in tally.production.items() if day != skip and sums[0] > 0]
    point_days = [v for day, v in tally.points.items() if day != skip]
    booked = [v for day, v in tally.adjustments.items() if day != skip]
    return PeriodTotals(
        planned_minutes=round(fsum(d[0] for d in days), SUM_DIGITS),
        run_minutes=round(fsum(d[1] for d in days), SUM_DIGITS),
        output=fsum(d[2] for d in days), defects=fsum(d[3] for d in days),
        production_records=sum(d[4] for d in days), scheduled_days=len(scheduled),
        attended_days=sum(1 for day in scheduled if day in tally.badge_days),
        points=round(fsum(v[0] for v in point_days), SUM_DIGITS),
        point_entries=sum(v[1] for v in point_days),
        required_videos=tally.required,
        completed_videos=sum(1 for day in tally.completed.values() if day != skip),
        adjustment_points=round(fsum(v[0] for v in booked), SUM_DIGITS),
        adjustment_lines=sum(v[1] for v in booked),
        metrics=_metric_totals(tally, skip),
    )


def period_totals(inputs: WorkerInputs, span: PeriodSpan) -> PeriodTotals:
    """The sums of a worker's records in `span`: what `score_totals` takes."""
    return _totals(_tally(inputs, span))


def _uptime(sums: PeriodTotals, _scale: float) -> float | None:
    return sums.run_minutes / sums.planned_minutes if sums.planned_minutes > 0 else None


def _defect_rate(sums: PeriodTotals, _scale: float) -> float | None:
    return sums.defects / sums.output if sums.output > 0 else None


def _output(sums: PeriodTotals, scale: float) -> float | None:
    return sums.output * scale if sums.production_records else None


def _training(sums: PeriodTotals, _scale: float) -> float | None:
    return sums.completed_videos / sums.required_videos if sums.required_videos else None


def _attendance(sums: PeriodTotals, _scale: float) -> float | None:
    return sums.attended_days / sums.scheduled_days if sums.scheduled_days else None


def _points(sums: PeriodTotals, scale: float) -> float | None:
    return sums.points * scale if sums.point_entries else None


# The measured value of each dimension from the period's sums, or None for "no data";
# `scale` extrapolates the sums for "at this pace".
_VALUES: dict[Dim, Callable[[PeriodTotals, float], float | None]] = {
    Dim.UPTIME: _uptime, Dim.DEFECT_RATE: _defect_rate, Dim.OUTPUT: _output,
    Dim.TRAINING: _training, Dim.ATTENDANCE: _attendance, Dim.POINTS: _points,
}


def _metric_value(rule: MetricRule) -> Callable[[PeriodTotals, float], float | None]:
    """The value of a metric dimension from the period's sums, or None for "no data"."""
    code = rule.code
    if rule.combine == "ratio":
        numerator, denominator = rule.sources

        def ratio(sums: PeriodTotals, _scale: float) -> float | None:
            below = sums.metric(denominator)
            if not below.count or below.total == 0:
                return None
            return sums.metric(numerator).total / below.total
        return ratio
    if rule.combine == "mean":
        def mean(sums: PeriodTotals, _scale: float) -> float | None:
            folded = sums.metric(code)
            return folded.total / folded.count if folded.count else None
        return mean
    if rule.combine == "last":
        def last(sums: PeriodTotals, _scale: float) -> float | None:
            folded = sums.metric(code)
            return folded.last_total / folded.last_count if folded.last_count else None
        return last

    def total(sums: PeriodTotals, scale: float) -> float | None:
        folded = sums.metric(code)
        return folded.total * scale if folded.count else None
    return total


def _value_of(spec: DimensionSpec) -> Callable[[PeriodTotals, float], float | None]:
    if spec.metric is not None:
        return _metric_value(spec.metric)
    return _VALUES[Dim(spec.key)]


def _bound(lower: bool, target: float) -> float:
    """The value at which the target counts as met, with the tolerance."""
    slack = TOLERANCE * max(1.0, abs(target))
    return target + slack if lower else target - slack


def is_met(key: str, value: float, target: float, lower: bool | None = None) -> bool:
    """Whether `value` meets `target`; `lower` (default: the built-in dimension's own
    direction) says a lower value is better."""
    if lower is None:
        lower = key in LOWER_IS_BETTER
    bound = _bound(lower, target)
    return value <= bound if lower else value >= bound


def _achievement(value: float, target: float, cap: float, lower: bool, met: bool) -> float:
    if lower:
        ratio = cap if value <= 0 else target / value
    else:
        ratio = cap if target <= 0 else value / target
    if met:
        ratio = max(ratio, 1.0)
    return min(max(ratio, 0.0), cap)


def _max_points(scheme: Scheme, spec: DimensionSpec) -> float:
    if scheme.mode is Mode.THRESHOLD:
        return round(spec.points or 0.0, 2)
    return round((spec.weight or 0.0) * spec.cap, 2)


@dataclass(frozen=True, slots=True)
class _Rule:
    """One dimension of a scheme made ready for one period as of one day: the target
    scaled (and pro-rated, for a sum while the period runs), the met-bound worked out.
    Scoring a workshop applies the same rules to every worker."""

    spec: DimensionSpec
    value: Callable[[PeriodTotals, float], float | None]
    target: float
    target_full: float  # the whole period's target
    lower: bool
    bound: float  # met when value >= bound (value <= bound when lower is better)
    threshold_points: float | None  # None in weighted mode
    weight: float
    cap: float

    def meets(self, value: float) -> bool:
        return value <= self.bound if self.lower else value >= self.bound

    def points(self, sums: PeriodTotals, scale: float) -> float:
        """The points of `line`, without the rest: what a total adds up, per worker."""
        value = self.value(sums, scale)
        if value is None:
            return 0.0
        met = value <= self.bound if self.lower else value >= self.bound
        if self.threshold_points is not None:
            return self.threshold_points if met else 0.0
        # `_achievement`, inline (a ranking asks three times per worker and dimension),
        # its max and min as the comparisons they make.
        cap, target = self.cap, self.target
        if self.lower:
            ratio = cap if value <= 0 else target / value
        else:
            ratio = cap if target <= 0 else value / target
        if met and ratio < 1.0:
            ratio = 1.0
        if ratio < 0.0:
            ratio = 0.0
        if cap < ratio:
            ratio = cap
        return round(self.weight * ratio, 2)

    def line(self, sums: PeriodTotals, scale: float) -> tuple[float | None, bool | None, float]:
        """(value, met, points)."""
        value = self.value(sums, scale)
        if value is None:
            return None, None, 0.0
        met = self.meets(value)
        if self.threshold_points is not None:
            return value, met, self.threshold_points if met else 0.0
        achieved = _achievement(value, self.target, self.cap, self.lower, met)
        return value, met, round(self.weight * achieved, 2)


@dataclass(frozen=True, slots=True)
class _Rules:
    """A scheme's rules for one period as of `as_of` (see `_rules`): `dimensions` judge
    the sums so far, `whole` (the whole period's targets) judges them "at this pace"."""

    scheme: Scheme
    span: PeriodSpan
    as_of: date
    dimensions: tuple[_Rule, ...]
    whole: tuple[_Rule, ...]
    # Days from the period's start to `as_of`, both included; the period's days.
    elapsed: int = field(init=False)
    days: int = field(init=False)

    def __post_init__(self) -> None:
        # Worked out once: a ranking asks for every worker.
        object.__setattr__(self, "elapsed", (self.as_of - self.span.start).days + 1)
        object.__setattr__(self, "days", self.span.days)

    def extras(self, sums: PeriodTotals, scale: float) -> tuple[float, float]:
        """(hourly points, point entries counted outside any dimension)."""
        scheme = self.scheme
        hourly = round(scheme.hourly_points * sums.run_minutes / 60.0 * scale, 2)
        if scheme.counts_points_as_dimension:
            return hourly, 0.0
        return hourly, round(min(sums.points * scale, scheme.points_cap), 2)

    def total(self, sums: PeriodTotals, scale: float = 1.0,
              rules: tuple[_Rule, ...] | None = None) -> float:
        chosen = self.dimensions if rules is None else rules
        if self.scheme.tracks:
            lines = fsum(track.points for track in self.tracks(
                [(rule, rule.line(sums, scale)) for rule in chosen]))
        else:
            lines = 0.0
            for rule in chosen:
                lines += rule.points(sums, scale)
        # `extras`, inline: a ranking adds up two totals per worker.
        scheme = self.scheme
        hourly = round(scheme.hourly_points * sums.run_minutes / 60.0 * scale, 2)
        entries = (0.0 if scheme.counts_points_as_dimension
                   else round(min(sums.points * scale, scheme.points_cap), 2))
        return round(lines + hourly + entries + round(sums.adjustment_points, 2), 2)

    def tracks(self, lines: list[tuple[_Rule, tuple[float | None, bool | None, float]]]
               ) -> tuple[TrackScore, ...]:
        """Each track's share of its dimensions' maximum, weighed by the track's weight."""
        scores = []
        for track in self.scheme.tracks:
            mine = [(rule, line) for rule, line in lines if rule.spec.track is track.key]
            got = round(fsum(line[2] for _, line in mine), 2)
            most = round(fsum(_max_points(self.scheme, rule.spec) for rule, _ in mine), 2)
            share = got / most if most > 0 else 0.0
            scores.append(TrackScore(
                key=track.key, weight=track.weight, points=round(track.weight * share, 2),
                percent=round(share, 6), dimension_points=got, dimension_max=most,
                complete=all(line[0] is not None for _, line in mine)))
        return tuple(scores)

    def total_and_projection(self, sums: PeriodTotals) -> tuple[float, float]:
        """The total as of `as_of`, and the total "at this pace": the sums extrapolated
        to the whole period and judged against the whole period's targets."""
        total = self.total(sums)
        elapsed, days = self.elapsed, self.days
        if elapsed >= days:
            return total, total
        return total, self.total(sums, days / elapsed, self.whole)


def _rule(scheme: Scheme, spec: DimensionSpec, target: float, target_full: float) -> _Rule:
    return _Rule(
        spec=spec, value=_value_of(spec), target=target, target_full=target_full,
        lower=spec.lower, bound=_bound(spec.lower, target),
        threshold_points=(round(spec.points or 0.0, 2) if scheme.mode is Mode.THRESHOLD
                          else None),
        weight=spec.weight or 0.0, cap=spec.cap,
    )


def _rules(scheme: Scheme, span: PeriodSpan, as_of: date | None = None) -> _Rules:
    """The rules as of `as_of` (default: the period's last day; clamped into it).

    A sum's target is scaled to the period's days; while the period runs (`as_of` before
    its last day) it is also pro-rated to the days elapsed, so that a Tuesday's output is
    judged against Monday and Tuesday's share of the week's target. Rates never are."""
    as_of = _within(span, as_of)
    target_scale = span.days / reference_days(scheme.period, span)
    so_far = ((as_of - span.start).days + 1) / span.days
    now, whole = [], []
    for spec in scheme.dimensions:
        if spec.additive:
            full = spec.target * target_scale
            rule = _rule(scheme, spec, full, full)
            whole.append(rule)
            now.append(rule if so_far >= 1 else _rule(scheme, spec, full * so_far, full))
        else:
            rule = _rule(scheme, spec, spec.target, spec.target)
            whole.append(rule)
            now.append(rule)
    return _Rules(scheme, span, as_of, tuple(now), tuple(whole))


def _metric_daily(rule: MetricRule, tally: _Tally) -> dict[date, float]:
    if rule.combine == "ratio":
        numerator, denominator = rule.sources
        above, below = tally.metrics.get(numerator, {}), tally.metrics.get(denominator, {})
        return {day: fsum(above.get(day, ())) / fsum(values)
                for day, values in below.items() if fsum(values) != 0}
    days = tally.metrics.get(rule.code, {})
    if rule.combine == "sum":
        return {day: fsum(values) for day, values in days.items()}
    return {day: fsum(values) / len(values) for day, values in days.items()}


def _daily(rule: _Rule, tally: _Tally) -> tuple[DailyValue, ...]:
    key = rule.spec.key
    values: dict[date, float]
    if rule.spec.metric is not None:
        values = _metric_daily(rule.spec.metric, tally)
    elif key is Dim.UPTIME:
        values = {d: s[1] / s[0] for d, s in tally.production.items() if s[0] > 0}
    elif key is Dim.DEFECT_RATE:
        values = {d: s[3] / s[2] for d, s in tally.production.items() if s[2] > 0}
    elif key is Dim.OUTPUT:
        values = {d: s[2] for d, s in tally.production.items()}
    elif key is Dim.ATTENDANCE:
        values = {d: float(d in tally.badge_days) for d in tally.scheduled}
    elif key is Dim.POINTS:
        values = {d: v[0] for d, v in tally.points.items()}
    else:
        counts: dict[date, float] = defaultdict(float)
        for day in tally.completed.values():
            counts[day] += 1
        values = counts
    return tuple(DailyValue(d, round(v, 4), rule.meets(v)) for d, v in sorted(values.items()))


def _record_ids(spec: DimensionSpec, tally: _Tally) -> tuple[int, ...]:
    """The ids of the rows behind a line: production records, point entries, finished
    videos, each scheduled day's first badge-in event or, for a metric, its values (a
    ratio's two metrics')."""
    key = spec.key
    if spec.metric is not None:
        return tuple(sorted(i for code in spec.metric.sources
                            for i in tally.metric_ids.get(code, ())))
    if key is Dim.POINTS:
        return tuple(tally.point_ids)
    if key is Dim.TRAINING:
        return tuple(sorted(tally.completed))
    if key is Dim.ATTENDANCE:
        # The tap that made each scheduled day count: its first. Later taps that day
        # change nothing, on the card as in the total.
        scheduled = set(tally.scheduled)
        return tuple(sorted(min(ids) for d, ids in tally.badge_days.items() if d in scheduled))
    return tuple(tally.production_ids)


def _within(span: PeriodSpan, as_of: date | None) -> date:
    return min(max(as_of or span.end, span.start), span.end)


def _card(
    rules: _Rules, worker_code: str, sums: PeriodTotals, tally: _Tally | None,
) -> Scorecard:
    """The card from the period's sums; `tally` (when given) adds the detail and "today"."""
    scheme, span, as_of = rules.scheme, rules.span, rules.as_of
    lines = []
    judged = []
    for rule in rules.dimensions:
        spec = rule.spec
        value, met, points = rule.line(sums, 1.0)
        judged.append((rule, (value, met, points)))
        lines.append(DimensionScore(
            key=spec.key,
            value=None if value is None else round(value, 6),
            target=round(rule.target, 6),
            met=met,
            points=points,
            max_points=_max_points(scheme, spec),
            no_data=value is None,
            record_ids=_record_ids(spec, tally) if tally else (),
            daily=_daily(rule, tally) if tally else (),
            target_full=round(rule.target_full, 6),
            pro_rated=rule.target != rule.target_full,
            metric=spec.metric,
            track=spec.track,
        ))
    tracks = rules.tracks(judged) if scheme.tracks else ()
    hourly, entries = rules.extras(sums, 1.0)
    total, projected = rules.total_and_projection(sums)
    today = None
    if tally is not None:
        today = round(total - rules.total(_totals(tally, skip=as_of)), 2)
    with_ids = tally is not None and not scheme.counts_points_as_dimension
    return Scorecard(
        worker_code=worker_code,
        scheme=scheme,
        span=span,
        as_of=as_of,
        total=total,
        max_total=(round(sum(t.weight for t in tracks), 2) if tracks
                   else round(sum(line.max_points for line in lines), 2)),
        complete=not any(line.no_data for line in lines),
        dimensions=tuple(lines),
        hourly_points=hourly,
        point_entries_total=entries,
        point_entry_ids=tuple(tally.point_ids) if tally is not None and with_ids else (),
        today_points=today,
        projected_total=projected,
        adjustment_points=round(sums.adjustment_points, 2),
        adjustment_ids=tuple(tally.adjustment_ids) if tally is not None else (),
        has_data=sums.has_data,
        tracks=tracks,
    )


def score(
    scheme: Scheme, inputs: WorkerInputs, span: PeriodSpan, as_of: date | None = None
) -> Scorecard:
    """Score one worker for `span` with every detail. `as_of` is "today" (default: the
    period's last day); it is clamped into the period."""
    tally = _tally(inputs, span)
    return _card(_rules(scheme, span, as_of), inputs.worker_code, _totals(tally), tally)


def score_totals(
    scheme: Scheme,
    worker_code: str,
    totals: PeriodTotals,
    span: PeriodSpan,
    as_of: date | None = None,
) -> Scorecard:
    """Score from sums alone: the same total and projection as `score`, without record
    ids, per-day values or "today"."""
    return _card(_rules(scheme, span, as_of), worker_code, totals, None)


def totals_and_projections(
    scheme: Scheme, totals: Mapping[K, PeriodTotals], span: PeriodSpan,
    as_of: date | None = None,
) -> dict[K, tuple[float, float]]:
    """Per worker, the (total, projected total) `score_totals` would put on their card,
    without building the cards: a ranking needs no more for everyone but the worker who
    is looking. The scheme's rules are prepared once for the lot."""
    rules = _rules(scheme, span, as_of)
    return {key: rules.total_and_projection(sums) for key, sums in totals.items()}


def total_of(scheme: Scheme, totals: PeriodTotals, span: PeriodSpan) -> float:
    """The total `score_totals` gives for a finished period, without building the card:
    "most improved" needs the previous period's total of every worker and nothing else."""
    return _rules(scheme, span).total(totals)


def totals_of(
    scheme: Scheme, totals: Mapping[K, PeriodTotals], span: PeriodSpan
) -> dict[K, float]:
    """`total_of` for many workers at once."""
    rules = _rules(scheme, span)
    return {key: rules.total(sums) for key, sums in totals.items()}
