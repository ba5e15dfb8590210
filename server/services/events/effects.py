"""What each accepted kiosk event does to the records scores are computed from.

An event is checked completely before anything is written, so a refused event leaves no
trace, and one bad event never spoils the rest of its batch:

- badge_in, machine_fault, quality_issue: stored as they are (attendance and diagnosis
  read them from the event log).
- machine_start / machine_stop / output / defect: the kiosk-sourced production record of
  the worker, machine and shift is recomputed from all stored events (`production.from_kiosk`),
  so the order in which events arrive does not matter.
- point_claim: a pending point entry (at most the category's points); claim_decision
  approves or rejects it, and makes the claimant's notice (points/notices.py).
- remark: an approved point entry for the event's worker, at most the category's points.
- training_progress: the worker's progress on the video, completed at 90 % watched.
- appeal: an open appeal.
- notice_seen: marks the event's worker's notice seen. Only the worker's own notice; an
  unknown one is refused. A notice already seen (reported by another kiosk, or by this
  one after an offline visit told it again) is accepted and changes nothing: the first
  report stands, and a kiosk is not told "rejected" for a normal race.

A remark names the supervisor who gave it (`given_by`), a claim_decision the one who
decided (`decided_by`): a supervisor of the workshop of the worker concerned, whose PIN
the kiosk has checked. Every change to points, training and production is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    Kiosk,
    LedgerSource,
    Machine,
    Notice,
    PointCategory,
    PointEntry,
    Role,
    SettledPeriod,
    TrainingProgress,
    TrainingVideo,
    Worker,
)
from server.scoring.periods import period_span
from server.services import ServiceError
from server.services.audit import record
from server.services.devices.roster import served_workshop_ids
from server.services.events.kinds import (
    COUNT_KINDS,
    RUN_KINDS,
    AppealPayload,
    ClaimDecisionPayload,
    EventKind,
    KioskEvent,
    NoticeSeenPayload,
    PointClaimPayload,
    RemarkPayload,
    RemarkUndoPayload,
    RewardHandoverPayload,
    RewardRedeemPayload,
    TrainingProgressPayload,
)
from server.services.periods.late import ClosedPeriods, refusal, settle_entries
from server.services.points import ledger, notices
from server.services.production.from_kiosk import MAX_RUN, Touch, recompute
from server.services.rewards import redemptions

# Kiosk clocks drift; an event further ahead than this is a wrong clock, not a plan.
FUTURE_LEEWAY = timedelta(hours=1)
# A remark can be undone for this long after it was given (by the kiosk's clock) and
# after the server received it, plus a little for the network (by the server's).
UNDO_WINDOW = timedelta(seconds=60)
UNDO_LEEWAY = timedelta(seconds=10)
TRAINING_COMPLETE_SHARE = 0.9
_PRODUCTION_KINDS = frozenset(RUN_KINDS + COUNT_KINDS)


# The batch's plain events go to the table in one statement, as rows made by `apply`.
_INSERT_EVENTS = insert(cast(Table, Event.__table__))
# The batch's workers and machines by code, each in one query (statements built once).
_WORKERS = select(Worker).where(Worker.code.in_(bindparam("codes", expanding=True)))
_MACHINES = select(Machine).where(Machine.code.in_(bindparam("codes", expanding=True)))

# A check returns the writes to make once the event row exists (it needs the event's id).
Plan = Callable[[Event], None]
Check = Callable[[Worker | None, Any, datetime], Plan]


def _fields(event: KioskEvent) -> dict[str, Any]:
    """The payload's fields by name. Kinds differ in fields, and asking a pydantic model
    for one it lacks is slow; its __dict__ answers at once."""
    return vars(event.payload)


class Rejected(Exception):
    """The event is refused; the message is the reason the kiosk is told."""


class InClosedPeriod(Rejected):
    """Refused because its day lies in a closed period; ingest keeps it for HR to book."""

    def __init__(self, period: SettledPeriod) -> None:
        super().__init__(f"occurred_at: {refusal(period)}; HR can book it into the open "
                         "period")
        self.period = period


# Kinds whose day decides a closed period's numbers: refused when that day is closed.
# Faults, quality issues, training progress, appeals and decisions are taken whenever
# they come (a decision's points follow the claim's own day; see `finish`).
GUARDED_KINDS = frozenset({
    EventKind.BADGE_IN, EventKind.MACHINE_START, EventKind.MACHINE_STOP, EventKind.OUTPUT,
    EventKind.DEFECT, EventKind.POINT_CLAIM, EventKind.REMARK,
})


class Effects:
    """Applies one batch of validated events for one kiosk, in order, in one transaction."""

    def __init__(self, session: Session, kiosk: Kiosk, zone: ZoneInfo, now: datetime,
                 *, booking: bool = False) -> None:
        self.session, self.kiosk, self.zone, self.now = session, kiosk, zone, now
        self.actor = f"kiosk:{kiosk.name}"
        self.workshops = served_workshop_ids(kiosk)
        # `booking`: HR books a refused event into the open period; the closed day is
        # then where it belongs, and the caller books the difference as an adjustment.
        self.booking = booking
        self.closed = ClosedPeriods(session, self.workshops)
        self._late_entries: list[PointEntry] = []  # approved, dated in a closed period
        self._workers: dict[str, Worker] = {}
        self._machines: dict[str, Machine] = {}
        self._categories: dict[str, PointCategory] = {}
        self._touches: list[Touch] = []  # the production events, for `recompute`
        self._rows: list[dict[str, Any]] = []
        # Machine starts and stops earlier in this batch, not stored yet, by worker id.
        self._runs: dict[int, list[tuple[datetime, Machine]]] = {}
        # The kinds that make more than an event row; the rest are stored as they are.
        self._checks: dict[str, Check] = {
            EventKind.POINT_CLAIM: self._check_point_claim,
            EventKind.CLAIM_DECISION: self._check_claim_decision,
            EventKind.REMARK: self._check_remark,
            EventKind.TRAINING_PROGRESS: self._check_training_progress,
            EventKind.APPEAL: self._check_appeal,
            EventKind.NOTICE_SEEN: self._check_notice_seen,
            EventKind.REWARD_REDEEM: self._check_reward_redeem,
            EventKind.REWARD_HANDOVER: self._check_reward_handover,
            EventKind.REMARK_UNDO: self._check_remark_undo,
        }

    def preload(self, events: Iterable[KioskEvent]) -> None:
        """Fetch every worker and machine the batch names in two queries."""
        workers: set[str] = set()
        machines: set[str] = set()
        for event in events:
            if event.worker:
                workers.add(event.worker)
            fields = _fields(event)
            for field in ("given_by", "decided_by", "handed_by"):  # the supervisors acting
                if fields.get(field):
                    workers.add(fields[field])
            if fields.get("machine"):
                machines.add(fields["machine"])
        if workers:
            self._workers.update((w.code, w) for w in self.session.scalars(
                _WORKERS, {"codes": sorted(workers)}))
        if machines:
            self._machines.update((m.code, m) for m in self.session.scalars(
                _MACHINES, {"codes": sorted(machines)}))

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

    def _supervisor(self, code: str, field: str) -> Worker:
        try:
            worker = self._worker(code)
        except Rejected as refusal:
            raise Rejected(f"{field}: {refusal}") from None
        if worker.role is not Role.SUPERVISOR:
            raise Rejected(f"{field}: worker {code!r} is not a supervisor")
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

    def _running_machine(self, worker: Worker, at: datetime) -> Machine | None:
        """The machine of the worker's latest start or stop in the MAX_RUN before `at`: a
        count logged without a machine belongs to it (production.from_kiosk does the same)."""
        earliest = at - MAX_RUN
        latest = self.session.execute(
            select(Event.occurred_at, Event.payload)
            .where(Event.worker_id == worker.id, Event.kind.in_(RUN_KINDS),
                   Event.occurred_at <= at, Event.occurred_at >= earliest)
            .order_by(Event.occurred_at.desc(), Event.id.desc()).limit(1)
        ).first()
        candidates = [(when, m) for when, m in self._runs.get(worker.id, ())
                      if earliest <= when <= at]
        if latest is not None:
            # (a machine since moved out of this kiosk's workshops is no candidate)
            with suppress(Rejected):
                candidates.append((latest[0], self._machine(latest[1]["machine"])))
        return max(candidates, key=lambda c: c[0])[1] if candidates else None

    def _category(self, code: str) -> PointCategory:
        if code not in self._categories:
            category = self.session.scalars(
                select(PointCategory).where(PointCategory.code == code)).first()
            if category is None or not category.active:
                raise Rejected(f"unknown point category {code!r}")
            self._categories[code] = category
        return self._categories[code]

    # --- applying -----------------------------------------------------------------------

    def apply(self, event: KioskEvent, uuid: str, digest: str,
              payload: dict[str, Any]) -> None:
        """Check the event, store it and make its records; raises Rejected before writing.
        `uuid`, `digest` and `payload` are the event's canonical forms, as stored."""
        if event.occurred_at > self.now + FUTURE_LEEWAY:
            raise Rejected("occurred_at: is in the future; check the kiosk's clock")
        worker = self._worker(event.worker) if event.worker is not None else None
        if worker is not None and event.kind in GUARDED_KINDS and not self.booking:
            period = self.closed.on(worker.workshop_id,
                                    event.occurred_at.astimezone(self.zone).date())
            if period is not None:
                raise InClosedPeriod(period)
        code = _fields(event).get("machine")
        machine = self._machine(code) if code is not None else None
        if machine is None and worker is not None and event.kind in COUNT_KINDS:
            machine = self._running_machine(worker, event.occurred_at)
        if machine is not None and worker is not None and event.kind in RUN_KINDS:
            self._runs.setdefault(worker.id, []).append((event.occurred_at, machine))
        check = self._checks.get(event.kind)
        plan = check(worker, event.payload, event.occurred_at) if check else None
        row = {
            "uuid": uuid, "kind": event.kind,
            "worker_id": worker.id if worker else None, "kiosk_id": self.kiosk.id,
            "occurred_at": event.occurred_at, "received_at": self.now,
            "payload": payload, "body_hash": digest,
        }
        if event.kind in _PRODUCTION_KINDS and worker is not None and machine is not None:
            self._touches.append((worker.id, machine.id, event.kind, event.occurred_at))
        if plan is None:
            self._rows.append(row)  # stored in one statement by finish()
            return
        stored = Event(**row)
        self.session.add(stored)
        self.session.flush()
        plan(stored)

    def finish(self) -> None:
        """Store the batch's plain events in one INSERT, then recompute the production
        records the batch touched."""
        if self._rows:
            # In UUID order: concurrent batches holding some of the same events then take
            # their keys in one order and wait for each other instead of deadlocking.
            self.session.execute(_INSERT_EVENTS, sorted(self._rows, key=lambda r: r["uuid"]))
            self._rows.clear()
        if self._touches:
            recompute(self.session, self._touches, self.zone, self.actor,
                      workers={w.id: w.code for w in self._workers.values()},
                      machines={m.id: m.code for m in self._machines.values()})
        self.session.flush()
        if self._late_entries:
            settle_entries(self.session, self._late_entries, actor=self.actor, zone=self.zone,
                           today=self.now.astimezone(self.zone).date(),
                           what="claim approved at the kiosk after its period closed")
            self._late_entries.clear()

    def _by(self, worker: Worker) -> str:
        return f"{self.actor}/worker:{worker.id}"  # by id: services/audit.py

    def _points(self, category: PointCategory, asked: float | None) -> float:
        points = category.points if asked is None else asked
        if points > category.points:
            raise Rejected(f"payload.points: {points:g} is more than category "
                           f"{category.code!r} gives ({category.points:g})")
        return points

    def _check_point_claim(self, worker: Worker | None, payload: PointClaimPayload,
                           occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
        category = self._category(payload.category)
        points = self._points(category, payload.points)

        def plan(event: Event) -> None:
            entry = PointEntry(
                worker_id=worker.id, category_id=category.id, points=points,
                date=occurred_at.astimezone(self.zone).date(), status=EntryStatus.PENDING,
                reason=payload.note, event_id=event.id,
            )
            self.session.add(entry)
            self.session.flush()
            record(self.session, self._by(worker), "point.claim", "point_entry", entry.id,
                   after={"worker_id": worker.id, "category": category.code,
                          "points": points, "status": "pending"})
        return plan

    def _check_claim_decision(self, worker: Worker | None, payload: ClaimDecisionPayload,
                              occurred_at: datetime) -> Plan:
        supervisor = self._supervisor(payload.decided_by, "payload.decided_by")
        entry = self.session.scalars(
            select(PointEntry).join(Event, PointEntry.event_id == Event.id)
            .where(Event.uuid == str(payload.claim), Event.kind == EventKind.POINT_CLAIM.value)
        ).first()
        if entry is None:
            raise Rejected(f"payload.claim: no point claim {payload.claim}")
        if worker is not None and worker.id != entry.worker_id:
            raise Rejected(f"worker: the claim is {entry.worker.code!r}'s, not {worker.code!r}'s")
        if entry.worker.workshop_id != supervisor.workshop_id:
            raise Rejected(f"payload.decided_by: {supervisor.code!r} does not lead the "
                           f"claimant's workshop")
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
                   after={"status": status.value, "worker_id": entry.worker_id,
                          "points": entry.points, "event": event.uuid})
            notices.notify_claim(self.session, entry)
            ledger.line_for_entry(self.session, entry, LedgerSource.CLAIM,
                                  self._by(supervisor))
            if status is EntryStatus.APPROVED and self.closed.on(entry.worker.workshop_id,
                                                                 entry.date):
                self._late_entries.append(entry)
        return plan

    def _check_remark(self, worker: Worker | None, payload: RemarkPayload,
                      occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
        supervisor = self._supervisor(payload.given_by, "payload.given_by")
        category = self._category(payload.category)
        points = self._points(category, payload.points)
        if worker.id == supervisor.id:
            raise Rejected("payload.given_by: a supervisor cannot remark themselves")
        if worker.workshop_id != supervisor.workshop_id:
            raise Rejected(f"payload.given_by: {supervisor.code!r} does not lead the workshop "
                           f"of {worker.code!r}")

        def plan(event: Event) -> None:
            entry = PointEntry(
                worker_id=worker.id, category_id=category.id, points=points,
                date=occurred_at.astimezone(self.zone).date(), status=EntryStatus.APPROVED,
                reason=payload.note, given_by_worker_id=supervisor.id,
                decided_by_worker_id=supervisor.id, decided_at=occurred_at, event_id=event.id,
            )
            self.session.add(entry)
            self.session.flush()
            ledger.line_for_entry(self.session, entry, LedgerSource.REMARK,
                                  self._by(supervisor))
            record(self.session, self._by(supervisor), "point.remark", "point_entry",
                   entry.id, after={"worker_id": worker.id, "category": category.code,
                                    "points": points, "status": "approved"})
        return plan

    def _check_training_progress(self, worker: Worker | None,
                                 payload: TrainingProgressPayload,
                                 occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
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
            if payload.quiz_total is not None and payload.quiz_correct is not None:
                progress.quiz_correct = min(payload.quiz_correct, payload.quiz_total)
                progress.quiz_total = payload.quiz_total
            done = progress.seconds_watched >= TRAINING_COMPLETE_SHARE * video.duration_s
            if done and progress.completed_at is None:
                progress.completed_at = occurred_at
                self.session.flush()
                record(self.session, self._by(worker), "training.complete",
                       "training_progress", progress.id,
                       after={"worker_id": worker.id, "video": video.id,
                              "seconds_watched": progress.seconds_watched})
        return plan

    def _check_appeal(self, worker: Worker | None, payload: AppealPayload,
                      occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
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
                   after={"worker_id": worker.id, "period": payload.period,
                          "period_start": start.isoformat(), "dimension": payload.dimension,
                          "reason": payload.reason})
        return plan

    def _check_notice_seen(self, worker: Worker | None, payload: NoticeSeenPayload,
                           occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
        notice = self.session.get(Notice, payload.notice)
        if notice is None:
            raise Rejected(f"payload.notice: no notice {payload.notice}")
        if notice.worker_id != worker.id:
            raise Rejected(f"payload.notice: notice {payload.notice} is not "
                           f"{worker.code!r}'s")

        def plan(event: Event) -> None:
            notices.mark_seen(notice, event.uuid, occurred_at)
        return plan

    def _check_reward_redeem(self, worker: Worker | None, payload: RewardRedeemPayload,
                             occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
        try:
            redeem = redemptions.check_redeem(self.session, worker, payload.reward,
                                              payload.entitlement)
        except ServiceError as refusal:
            raise Rejected(str(refusal)) from None

        def plan(event: Event) -> None:
            redemptions.redeem(self.session, redeem, event.uuid, self._by(worker),
                               occurred_at)
        return plan

    def _check_reward_handover(self, worker: Worker | None, payload: RewardHandoverPayload,
                               occurred_at: datetime) -> Plan:
        supervisor = self._supervisor(payload.handed_by, "payload.handed_by")
        try:
            redemption = redemptions.by_uuid(self.session, str(payload.redemption))
        except ServiceError as refusal:
            raise Rejected(f"payload.redemption: {refusal}") from None
        if worker is not None and worker.id != redemption.worker_id:
            raise Rejected(f"worker: the redemption is {redemption.worker.code!r}'s, not "
                           f"{worker.code!r}'s")
        if redemption.worker.workshop_id != supervisor.workshop_id:
            raise Rejected(f"payload.handed_by: {supervisor.code!r} does not lead the "
                           f"workshop of {redemption.worker.code!r}")
        if redemption.worker_id == supervisor.id:
            raise Rejected("payload.handed_by: a supervisor cannot hand a reward to themselves")
        if redemption.state.value == "pending_approval":
            raise Rejected("payload.redemption: waits for approval in the admin first")
        if redemption.state.value != "pending":
            raise Rejected(f"payload.redemption: already {redemption.state.value}")

        def plan(event: Event) -> None:
            redemptions.hand_over(self.session, redemption, self._by(supervisor),
                                  note=f"handed over at kiosk {self.kiosk.name}")
        return plan

    def _check_remark_undo(self, worker: Worker | None, payload: RemarkUndoPayload,
                           occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
        found = self.session.execute(
            select(PointEntry, Event).join(Event, PointEntry.event_id == Event.id)
            .where(Event.uuid == str(payload.remark), Event.kind == EventKind.REMARK.value)
        ).first()
        if found is None:
            raise Rejected(f"payload.remark: no remark {payload.remark}")
        entry, remark = found
        if remark.kiosk_id != self.kiosk.id:
            raise Rejected("payload.remark: only the kiosk that sent a remark can undo it")
        if entry.worker_id != worker.id:
            raise Rejected(f"worker: the remark is {entry.worker.code!r}'s, not "
                           f"{worker.code!r}'s")
        if entry.status is not EntryStatus.APPROVED:
            raise Rejected("payload.remark: already undone")
        if (occurred_at - remark.occurred_at > UNDO_WINDOW or occurred_at < remark.occurred_at
                or self.now - remark.received_at > UNDO_WINDOW + UNDO_LEEWAY):
            raise Rejected("payload.remark: too late: a remark can be undone within 60 s")
        try:
            ledger.lock_worker(self.session, worker.id)
            if ledger.balance(self.session, worker.id) < entry.points:
                raise Rejected("payload.remark: the points are already spent")
        except ServiceError as refusal:
            raise Rejected(str(refusal)) from None

        def plan(event: Event) -> None:
            entry.status = EntryStatus.REJECTED
            entry.decision_note = f"undone at the kiosk ({event.uuid})"
            ledger.reverse_entry(self.session, entry, self._by(worker),
                                 reason=f"remark undone ({remark.uuid})")
            record(self.session, self._by(worker), "point.undo", "point_entry",
                   entry.id, before={"status": "approved"},
                   after={"status": "rejected", "worker_id": worker.id,
                          "points": entry.points, "remark": remark.uuid,
                          "event": event.uuid})
        return plan
