"""What each accepted kiosk event does to the records scores are computed from.

An event is checked completely before anything is written, so a refused event leaves no
trace, and one bad event never spoils the rest of its batch:

- badge_in, machine_fault, quality_issue: stored as they are (attendance and diagnosis
  read them from the event log).
- machine_start / machine_stop / output / defect: the kiosk-sourced production record of
  the worker, machine and shift is recomputed from all stored events (`kiosk_production`),
  so the order in which events arrive does not matter.
- point_claim: a pending point entry; claim_decision approves or rejects it.
- remark: an approved point entry per named worker, at most the category's points.
- training_progress: the worker's progress on the video, completed at 90 % watched.
- appeal: an open appeal.

`remark` and `claim_decision` are made by the event's worker, who must be a supervisor of
the workshop of every worker concerned; the kiosk has already checked their PIN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    Kiosk,
    Machine,
    PointCategory,
    PointEntry,
    Role,
    TrainingProgress,
    TrainingVideo,
    Worker,
)
from server.scoring.periods import period_span
from server.services.audit import record
from server.services.event_kinds import (
    AppealPayload,
    ClaimDecisionPayload,
    KioskEvent,
    PointClaimPayload,
    RemarkPayload,
    TrainingProgressPayload,
    canonical_payload,
)
from server.services.kiosk_production import ShiftKey, recompute, touched_shifts
from server.services.roster import served_workshop_ids

# Kiosk clocks drift; an event further ahead than this is a wrong clock, not a plan.
FUTURE_LEEWAY = timedelta(hours=1)
TRAINING_COMPLETE_SHARE = 0.9
_PRODUCTION_KINDS = {"machine_start", "machine_stop", "output", "defect"}


# A check returns the writes to make once the event row exists (it needs the event's id).
Plan = Callable[[Event], None]
Check = Callable[[Worker, Any, datetime], Plan]


class Rejected(Exception):
    """The event is refused; the message is the reason the kiosk is told."""


class Effects:
    """Applies one batch of validated events for one kiosk, in order, in one transaction."""

    def __init__(self, session: Session, kiosk: Kiosk, zone: ZoneInfo, now: datetime) -> None:
        self.session, self.kiosk, self.zone, self.now = session, kiosk, zone, now
        self.actor = f"kiosk:{kiosk.name}"
        self.workshops = served_workshop_ids(kiosk)
        self._workers: dict[str, Worker] = {}
        self._machines: dict[str, Machine] = {}
        self._categories: dict[str, PointCategory] = {}
        self._dirty: set[ShiftKey] = set()

    def preload(self, events: Iterable[KioskEvent]) -> None:
        """Fetch every worker and machine the batch names in two queries."""
        workers: set[str] = set()
        machines: set[str] = set()
        for event in events:
            if event.worker:
                workers.add(event.worker)
            workers.update(getattr(event.payload, "workers", ()))
            if getattr(event.payload, "machine", None):
                machines.add(event.payload.machine)  # type: ignore[attr-defined]
        if workers:
            self._workers.update((w.code, w) for w in self.session.scalars(
                select(Worker).where(Worker.code.in_(workers))))
        if machines:
            self._machines.update((m.code, m) for m in self.session.scalars(
                select(Machine).where(Machine.code.in_(machines))))

    # --- checks -------------------------------------------------------------------------

    def _worker(self, code: str) -> Worker:
        worker = self._workers.get(code)
        if worker is None:
            worker = self.session.scalars(select(Worker).where(Worker.code == code)).first()
            if worker is None:
                raise Rejected(f"unknown worker {code!r}")
            self._workers[code] = worker
        if not worker.active:
            raise Rejected(f"worker {code!r} is not active")
        if worker.workshop_id not in self.workshops:
            raise Rejected(f"worker {code!r} is not in this kiosk's workshops")
        return worker

    def _supervisor(self, code: str) -> Worker:
        worker = self._worker(code)
        if worker.role is not Role.SUPERVISOR:
            raise Rejected(f"worker {code!r} is not a supervisor")
        return worker

    def _machine(self, code: str) -> Machine:
        machine = self._machines.get(code)
        if machine is None:
            machine = self.session.scalars(select(Machine).where(Machine.code == code)).first()
            if machine is None:
                raise Rejected(f"unknown machine {code!r}")
            self._machines[code] = machine
        if machine.workshop_id not in self.workshops:
            raise Rejected(f"machine {code!r} is not in this kiosk's workshops")
        return machine

    def _category(self, code: str) -> PointCategory:
        if code not in self._categories:
            category = self.session.scalars(
                select(PointCategory).where(PointCategory.code == code)).first()
            if category is None or not category.active:
                raise Rejected(f"unknown point category {code!r}")
            self._categories[code] = category
        return self._categories[code]

    # --- applying -----------------------------------------------------------------------

    def apply(self, event: KioskEvent, digest: str) -> None:
        """Check the event, store it and make its records; raises Rejected before writing."""
        if event.occurred_at > self.now + FUTURE_LEEWAY:
            raise Rejected("occurred_at: is in the future; check the kiosk's clock")
        worker = self._worker(event.worker) if event.worker is not None else None
        code = getattr(event.payload, "machine", None)
        machine = self._machine(code) if code is not None else None
        check: Check | None = getattr(self, f"_check_{event.kind}", None)
        plan = check(worker, event.payload, event.occurred_at) if check and worker else None
        stored = Event(
            uuid=str(event.uuid), kind=event.kind, worker_id=worker.id if worker else None,
            kiosk_id=self.kiosk.id, occurred_at=event.occurred_at, received_at=self.now,
            payload=canonical_payload(event), body_hash=digest,
        )
        self.session.add(stored)
        if event.kind in _PRODUCTION_KINDS and worker is not None and machine is not None:
            self._dirty.update(touched_shifts(worker.id, machine.id, event.occurred_at,
                                              self.zone))
        if plan is not None:
            self.session.flush()
            plan(stored)

    def finish(self) -> None:
        """Recompute the production records the batch touched; flushes everything."""
        self.session.flush()
        if self._dirty:
            recompute(self.session, self._dirty, self.zone, self.actor)

    def _by(self, worker: Worker) -> str:
        return f"{self.actor}/{worker.code}"

    def _check_point_claim(self, worker: Worker, payload: PointClaimPayload,
                           occurred_at: datetime) -> Plan:
        category = self._category(payload.category)

        def plan(event: Event) -> None:
            entry = PointEntry(
                worker_id=worker.id, category_id=category.id, points=category.points,
                date=occurred_at.astimezone(self.zone).date(), status=EntryStatus.PENDING,
                reason=payload.note, event_id=event.id,
            )
            self.session.add(entry)
            self.session.flush()
            record(self.session, self._by(worker), "point.claim", "point_entry", entry.id,
                   after={"worker": worker.code, "category": category.code,
                          "points": category.points, "status": "pending"})
        return plan

    def _check_claim_decision(self, worker: Worker, payload: ClaimDecisionPayload,
                              occurred_at: datetime) -> Plan:
        supervisor = self._supervisor(worker.code)
        entry = self.session.scalars(
            select(PointEntry).join(Event, PointEntry.event_id == Event.id)
            .where(Event.uuid == str(payload.claim), Event.kind == "point_claim")
        ).first()
        if entry is None:
            raise Rejected(f"payload.claim: no point claim {payload.claim}")
        if entry.worker.workshop_id != supervisor.workshop_id:
            raise Rejected(f"supervisor {supervisor.code!r} does not lead the claimant's workshop")
        if entry.status is not EntryStatus.PENDING:
            raise Rejected(f"payload.claim: already {entry.status.value}")
        status = EntryStatus.APPROVED if payload.decision == "approve" else EntryStatus.REJECTED

        def plan(event: Event) -> None:
            entry.status = status
            entry.decided_by_worker_id = supervisor.id
            entry.decided_at = occurred_at
            entry.decision_note = payload.note
            record(self.session, self._by(supervisor), f"point.{payload.decision}",
                   "point_entry", entry.id, before={"status": "pending"},
                   after={"status": status.value, "worker": entry.worker.code,
                          "points": entry.points, "event": event.uuid})
        return plan

    def _check_remark(self, worker: Worker, payload: RemarkPayload,
                      occurred_at: datetime) -> Plan:
        supervisor = self._supervisor(worker.code)
        category = self._category(payload.category)
        points = category.points if payload.points is None else payload.points
        if points > category.points:
            raise Rejected(f"payload.points: {points:g} is more than category "
                           f"{category.code!r} gives ({category.points:g})")
        targets = [self._worker(code) for code in payload.workers]
        for target in targets:
            if target.id == supervisor.id:
                raise Rejected("payload.workers: a supervisor cannot remark themselves")
            if target.workshop_id != supervisor.workshop_id:
                raise Rejected(f"payload.workers: {target.code!r} is not in the workshop of "
                               f"supervisor {supervisor.code!r}")

        def plan(event: Event) -> None:
            day = occurred_at.astimezone(self.zone).date()
            for target in targets:
                entry = PointEntry(
                    worker_id=target.id, category_id=category.id, points=points, date=day,
                    status=EntryStatus.APPROVED, reason=payload.note,
                    given_by_worker_id=supervisor.id, decided_by_worker_id=supervisor.id,
                    decided_at=occurred_at, event_id=event.id,
                )
                self.session.add(entry)
                self.session.flush()
                record(self.session, self._by(supervisor), "point.remark", "point_entry",
                       entry.id, after={"worker": target.code, "category": category.code,
                                        "points": points, "status": "approved"})
        return plan

    def _check_training_progress(self, worker: Worker, payload: TrainingProgressPayload,
                                 occurred_at: datetime) -> Plan:
        video = self.session.get(TrainingVideo, payload.video)
        if video is None or not video.active:
            raise Rejected(f"payload.video: no training video {payload.video}")

        def plan(event: Event) -> None:
            progress = self.session.scalars(select(TrainingProgress).where(
                TrainingProgress.worker_id == worker.id,
                TrainingProgress.video_id == video.id)).first()
            if progress is None:
                progress = TrainingProgress(worker_id=worker.id, video_id=video.id,
                                            seconds_watched=0.0)
                self.session.add(progress)
            watched = min(payload.seconds_watched, video.duration_s)
            progress.seconds_watched = max(progress.seconds_watched, watched)
            done = progress.seconds_watched >= TRAINING_COMPLETE_SHARE * video.duration_s
            if done and progress.completed_at is None:
                progress.completed_at = occurred_at
                self.session.flush()
                record(self.session, self._by(worker), "training.complete",
                       "training_progress", progress.id,
                       after={"worker": worker.code, "video": video.id,
                              "seconds_watched": progress.seconds_watched})
        return plan

    def _check_appeal(self, worker: Worker, payload: AppealPayload,
                      occurred_at: datetime) -> Plan:
        if payload.period_start is None:
            start = period_span(payload.period, occurred_at.astimezone(self.zone).date()).start
        else:
            start = payload.period_start
            if period_span(payload.period, start).start != start:
                raise Rejected(f"payload.period_start: {start} does not begin a "
                               f"{payload.period}")

        def plan(event: Event) -> None:
            appeal = Appeal(worker_id=worker.id, period=payload.period, period_start=start,
                            dimension=payload.dimension, reason=payload.reason,
                            status=AppealStatus.OPEN, event_id=event.id)
            self.session.add(appeal)
            self.session.flush()
            record(self.session, self._by(worker), "appeal.open", "appeal", appeal.id,
                   after={"worker": worker.code, "period": payload.period,
                          "period_start": start.isoformat(), "dimension": payload.dimension,
                          "reason": payload.reason})
        return plan
