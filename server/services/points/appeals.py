"""Appeals: the queue, the records behind a disputed score item, and the resolution.

The records behind an item are the ones the scoring engine itself names for that
dimension of the worker's card in the disputed period, so HR reads what the worker saw.
The resolution note is what the kiosk shows the worker.

Upholding an appeal may correct the score in the same step, with one of three
corrections: a production record of the worker in the appealed period gets new values
(`RecordCorrection`), an approved point entry is added in that period (`PointAward`), or
a manual adjustment line (`ManualAdjustment`). Each is checked whole before anything is
written. In an open period the change counts at once. In a closed one the change is made
where it belongs (the record, an entry or an adjustment line dated in the closed period)
and `periods.late.settle` books the difference it makes to the closed total in the first
open period; the snapshot stays as paid. (A manual adjustment is made that way too,
rather than as a line in the open period only: late.py's bookkeeping then holds, and a
reopened period counts it where it belongs instead of dropping it.)

Resolving makes a notice (points/notices.py) that the kiosk shows and speaks until it
reports it seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Adjustment,
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    LedgerSource,
    Notice,
    PointEntry,
    ProductionRecord,
    RecordSource,
    SettledPeriod,
    TrainingVideo,
    User,
    UserRole,
    Worker,
    utcnow,
)
from server.scoring import PeriodSpan, period_span
from server.services import InvalidInput, NotFound, ServiceError
from server.services.audit import record
from server.services.periods.late import closed_on, first_open_day, settle
from server.services.points import ledger, notices
from server.services.points.categories import MAX_CATEGORY_POINTS
from server.services.production.records import ProductionRow, upsert_production
from server.services.scores.scorecards import worker_scorecard
from server.services.scores.standings import build_standing

Scope = Collection[int] | None
MAX_NOTE = 1000
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class RecordCorrection:
    """New values for one production record of the worker in the appealed period."""

    kind: ClassVar[str] = "record"
    record_id: int
    planned_minutes: float
    run_minutes: float
    output: int
    defects: int
    reason: str


@dataclass(frozen=True)
class PointAward:
    """An approved point entry on `day` (default: the appealed period's last day, or today
    while it runs)."""

    kind: ClassVar[str] = "points"
    points: float
    reason: str
    day: date | None = None


@dataclass(frozen=True)
class ManualAdjustment:
    """Points added to the appealed period's total with a reason, on `day` (default as
    for PointAward)."""

    kind: ClassVar[str] = "adjustment"
    points: float
    reason: str
    day: date | None = None


Correction = RecordCorrection | PointAward | ManualAdjustment


@dataclass(frozen=True)
class Resolution:
    """What resolving did: `points` is what the correction changed the worker's total by
    (None without a correction, or when the period cannot be scored); `booked_on` is the
    day of the first open period it was booked on when the appealed period is closed."""

    appeal: Appeal
    notice: Notice
    points: float | None = None
    booked_on: date | None = None


def list_appeals(session: Session, status: str = "open", scope: Scope = None) -> list[Appeal]:
    query = select(Appeal).join(Worker, Appeal.worker_id == Worker.id)
    if status in {s.value for s in AppealStatus}:
        query = query.where(Appeal.status == AppealStatus(status))
    if scope is not None:
        query = query.where(Worker.workshop_id.in_(scope))
    return list(session.scalars(query.order_by(Appeal.created_at.desc(), Appeal.id.desc())))


def get_appeal(session: Session, appeal_id: int, scope: Scope = None) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or (scope is not None and appeal.worker.workshop_id not in scope):
        raise NotFound(f"no appeal {appeal_id}")
    return appeal


def evidence(session: Session, appeal: Appeal, zone: ZoneInfo,
             today: Any = None) -> dict[str, Any]:
    """The disputed line of the card and the records behind it. `card` is None when the
    period cannot be scored (no scheme in force); `line` is None for an item the card
    does not have (then the records are every production record of the period)."""
    try:
        card = worker_scorecard(session, appeal.worker.code, appeal.period,
                                appeal.period_start, zone, today=today)
    except ServiceError as exc:
        return {"card": None, "line": None, "problem": str(exc), "production": [],
                "points": [], "events": [], "videos": []}
    line = next((d for d in card["dimensions"] if d["key"] == appeal.dimension), None)
    ids = line["record_ids"] if line else []
    key = line["key"] if line else None
    production: list[ProductionRecord] = []
    points: list[PointEntry] = []
    events: list[Event] = []
    videos: list[TrainingVideo] = []
    if key == "points" or (line is None and appeal.dimension in ("points", "total")):
        points = _by_ids(session, PointEntry, ids or card["point_entry_ids"])
    elif key == "attendance":
        events = _by_ids(session, Event, ids)
    elif key == "training":
        videos = _by_ids(session, TrainingVideo, ids)
    elif line is not None:
        production = _by_ids(session, ProductionRecord, ids)
    else:
        production = list(session.scalars(select(ProductionRecord).where(
            ProductionRecord.worker_id == appeal.worker_id,
            ProductionRecord.date.between(card["period_start"], card["period_end"]))
            .order_by(ProductionRecord.date)))
    return {"card": card, "line": line, "problem": None, "production": production,
            "points": points, "events": events, "videos": videos}


def _by_ids(session: Session, model: Any, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return list(session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)))


def appealed_span(appeal: Appeal) -> PeriodSpan:
    return period_span(appeal.period, appeal.period_start)


def default_day(appeal: Appeal, today: date) -> date:
    """The day a point entry or an adjustment is dated on unless HR names one: the
    appealed period's last day, or today while the period runs."""
    span = appealed_span(appeal)
    return max(span.start, min(span.end, today))


def period_records(session: Session, appeal: Appeal) -> list[ProductionRecord]:
    """Every production record of the worker in the appealed period, the ones a record
    correction may change."""
    span = appealed_span(appeal)
    return list(session.scalars(select(ProductionRecord).where(
        ProductionRecord.worker_id == appeal.worker_id,
        ProductionRecord.date.between(span.start, span.end))
        .order_by(ProductionRecord.date, ProductionRecord.shift, ProductionRecord.id)))


def correction_options(session: Session, appeal: Appeal, production: list[ProductionRecord],
                       today: date) -> dict[str, Any]:
    """What the resolve form offers: the records a correction may change (those behind the
    item, else every record of the worker in the period), the day points are dated on, and
    whether that day's period is closed (then: the day the change is booked on)."""
    day = default_day(appeal, today)
    period = closed_on(session, appeal.worker.workshop_id, day)
    return {"records": production or period_records(session, appeal), "day": day,
            "closed": period.key if period is not None else None,
            "booked_on": first_open_day(session, period, today) if period is not None
            else None}


def resolve(session: Session, appeal_id: int, upheld: bool, note: str, user: User,
            scope: Scope = None, now: datetime | None = None, *, zone: ZoneInfo,
            correction: Correction | None = None) -> Resolution:
    """Uphold or reject an open appeal, with HR's note for the worker; an upheld appeal
    may carry a correction. Raises InvalidInput naming the field, before writing
    anything, for a bad note or correction."""
    appeal = get_appeal(session, appeal_id, scope)
    note = note.strip()
    if not note:
        raise InvalidInput("note: tell the worker why; the kiosk shows it")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters")
    if appeal.status is not AppealStatus.OPEN:
        raise InvalidInput(f"this appeal is already {appeal.status.value}")
    if correction is not None and not upheld:
        raise InvalidInput("correction: a rejected appeal changes no record; uphold it to "
                           "correct the score")
    if isinstance(correction, RecordCorrection) and user.role is not UserRole.ADMIN:
        raise InvalidInput("correction: only an admin corrects a production record (as on "
                           "the production page); give points or an adjustment instead")
    now = now or utcnow()
    today = now.astimezone(zone).date()
    change = _Change(session, appeal, user, zone, today, now)
    target: ProductionRecord | None = None
    day: date | None = None
    if isinstance(correction, RecordCorrection):
        target = change.check_record(correction)
    elif correction is not None:
        day = change.check_points(correction)
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.resolution = note
    appeal.resolved_by_user_id = user.id
    appeal.resolved_at = now
    if isinstance(correction, RecordCorrection) and target is not None:
        change.correct_record(target, correction)
    elif isinstance(correction, PointAward) and day is not None:
        change.award(correction, day)
    elif isinstance(correction, ManualAdjustment) and day is not None:
        change.adjust(correction, day)
    after: dict[str, Any] = {"status": appeal.status.value, "resolution": note,
                             "worker_id": appeal.worker_id}
    if correction is not None:
        after["correction"] = {"kind": correction.kind, **change.summary,
                               "points": change.points,
                               "booked_on": _iso(change.booked_on)}
    record(session, change.actor, "appeal.resolve", "appeal", appeal.id,
           before={"status": "open"}, after=after)
    notice = notices.notify_appeal(session, appeal, points=change.points,
                                   correction=correction.kind if correction else None,
                                   booked_on=_iso(change.booked_on))
    return Resolution(appeal, notice, change.points, change.booked_on)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _reason(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("reason: say why the score is corrected")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"reason: at most {MAX_NOTE} characters")
    return text


def _not_negative(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise InvalidInput(f"{name}: not a number")
    if value < 0:
        raise InvalidInput(f"{name}: cannot be below 0")


class _Change:
    """One appeal's correction: checked whole first (`check_*`), then made."""

    def __init__(self, session: Session, appeal: Appeal, user: User, zone: ZoneInfo,
                 today: date, now: datetime) -> None:
        self.session, self.appeal, self.user = session, appeal, user
        self.zone, self.today, self.now = zone, today, now
        self.worker: Worker = appeal.worker
        self.span = appealed_span(appeal)
        self.actor = f"user:{user.username}"
        self.reference = f"appeal:{appeal.id}"
        self.points: float | None = None
        self.booked_on: date | None = None
        self.summary: dict[str, Any] = {}

    # --- checks ---------------------------------------------------------------------

    def check_record(self, c: RecordCorrection) -> ProductionRecord:
        _reason(c.reason)
        for name in ("planned_minutes", "run_minutes", "output", "defects"):
            _not_negative(name, getattr(c, name))
        if c.planned_minutes > MAX_MINUTES:
            raise InvalidInput(f"planned_minutes: more than a day ({MAX_MINUTES})")
        if c.run_minutes > c.planned_minutes:
            raise InvalidInput("run_minutes: more than planned_minutes")
        if c.defects > c.output:
            raise InvalidInput("defects: more than output")
        found = self.session.get(ProductionRecord, c.record_id)
        if found is None:
            raise InvalidInput(f"record: no production record {c.record_id}")
        if found.worker_id != self.worker.id or not self.span.contains(found.date):
            raise InvalidInput(f"record: production record {c.record_id} is not "
                               f"{self.worker.code}'s in {self.span.label}")
        return found

    def check_points(self, c: PointAward | ManualAdjustment) -> date:
        _reason(c.reason)
        if not math.isfinite(c.points) or not 0 < c.points <= MAX_CATEGORY_POINTS:
            raise InvalidInput(f"points: above 0 and at most {MAX_CATEGORY_POINTS}")
        day = c.day or default_day(self.appeal, self.today)
        if not self.span.contains(day):
            raise InvalidInput(f"date: {day.isoformat()} is not in the appealed period "
                               f"{self.span.label}")
        if day > self.today:
            raise InvalidInput(f"date: {day.isoformat()} is in the future")
        return day

    # --- changes --------------------------------------------------------------------

    def correct_record(self, found: ProductionRecord, c: RecordCorrection) -> None:
        reason = c.reason.strip()
        row = ProductionRow(found.date, found.shift, self.worker.code, found.machine.code,
                            float(c.planned_minutes), float(c.run_minutes), int(c.output),
                            int(c.defects))
        self.summary = {"record": found.id, "date": found.date.isoformat(),
                        "reason": reason}
        self._counted(found.date, lambda: upsert_production(
            self.session, [row], RecordSource.MANUAL, self.actor,
            audit_context={"appeal": self.appeal.id, "correction": reason,
                           "record": found.id}),
            f"record {found.id} corrected: {reason}")

    def award(self, c: PointAward, day: date) -> None:
        reason = c.reason.strip()
        self.summary = {"date": day.isoformat(), "reason": reason}

        def write() -> None:
            entry = PointEntry(worker_id=self.worker.id, points=float(c.points), date=day,
                               status=EntryStatus.APPROVED, reason=reason,
                               given_by_user_id=self.user.id,
                               decided_by_user_id=self.user.id, decided_at=self.now,
                               decision_note=f"appeal {self.appeal.id}")
            self.session.add(entry)
            self.session.flush()
            ledger.line_for_entry(self.session, entry, LedgerSource.ADJUSTMENT, self.actor)
            self.summary["entry"] = entry.id
            record(self.session, self.actor, "point.award", "point_entry", entry.id,
                   after={"worker_id": self.worker.id, "points": entry.points,
                          "date": day.isoformat(), "status": "approved", "reason": reason,
                          "appeal": self.appeal.id})
        self._counted(day, write, f"points awarded: {reason}")

    def adjust(self, c: ManualAdjustment, day: date) -> None:
        reason = c.reason.strip()
        self.summary = {"date": day.isoformat(), "reason": reason}

        def write() -> None:
            line = Adjustment(worker_id=self.worker.id, booked_on=day, original_date=day,
                              points=round(float(c.points), 2), source="appeal",
                              reason=f"appeal {self.appeal.id}: {reason}",
                              reference=self.reference, created_by=self.actor)
            self.session.add(line)
            self.session.flush()
            self.summary["adjustment"] = line.id
            record(self.session, self.actor, "adjustment.book", "worker", self.worker.id,
                   after={"points": line.points, "booked_on": day.isoformat(),
                          "original_date": day.isoformat(), "source": "appeal",
                          "what": reason, "reference": self.reference})
        self._counted(day, write, f"adjusted: {reason}")

    def _counted(self, day: date, write: Callable[[], object], what: str) -> None:
        """Make the change dated `day` and note what it did to the worker's total: in an
        open period the live total before and after; in a closed one the adjustment that
        `settle` books into the first open period."""
        period = closed_on(self.session, self.worker.workshop_id, day)
        before = None if period is not None else self._total()
        write()
        self.session.flush()
        if period is not None:
            self._settle(period, day, what)
            return
        after = self._total()
        if before is not None and after is not None:
            self.points = round(after - before, 2)

    def _settle(self, period: SettledPeriod, day: date, what: str) -> None:
        lines = settle(self.session, period, [self.worker], actor=self.actor, zone=self.zone,
                       today=self.today, source="appeal", original_date=day,
                       what=f"appeal {self.appeal.id}: {what}", reference=self.reference)
        self.points = round(sum(line.points for line in lines), 2)
        self.booked_on = lines[0].booked_on if lines else None

    def _total(self) -> float | None:
        """The worker's live total for the appealed period (None: no scheme in force)."""
        try:
            standing = build_standing(self.session, self.worker.workshop, self.span,
                                      self.zone, self.today, detail_for=self.worker.id)
        except ServiceError:
            return None
        return next((p.total for p in standing.placings
                     if p.worker_code == self.worker.code), None)
