"""What each accepted kiosk event does to the records scores are computed from.

An event is checked completely before anything is written, so a refused event leaves no
trace, and one bad event never spoils the rest of its batch:

- badge_in: stored as it is (attendance reads it from the event log). A badge_in that
  matched no worker on the kiosk is shown to people/badges.py (`note_unknown_tap`): a card
  the kiosk's roster did not know yet is stored for its worker, any other kept for HR's
  unknown-taps page; the event never holds a card's number.
- machine_fault, quality_issue: open an alert (services/alerts: acknowledged, resolved,
  notified), one per event; its workshop is the machine's, else the worker's.
- machine_start / machine_stop / output / defect: the kiosk-sourced production record of
  the worker, machine and shift is recomputed from all stored events (`production.from_kiosk`),
  so the order in which events arrive does not matter. A machine_start also resolves the
  machine's open fault alerts reported before it, recording each fault's downtime.
- point_claim: a pending point entry (at most the category's points).
- remark, claim_decision, reward_handover, alert_ack, remark_undo: a supervisor's acts
  (events/acts.py), each but the last proven by the supervisor's PIN sealed at the kiosk
  (events/proof.py).
- training_progress: the worker's progress on the video, completed at 90 % watched and,
  when HR set a pass mark, a quiz passed (training/progress.py).
- appeal: an open appeal.
- notice_seen: marks the event's worker's notice seen. Only the worker's own notice; an
  unknown one is refused. A notice already seen (reported by another kiosk, or by this
  one after an offline visit told it again) is accepted and changes nothing: the first
  report stands, and a kiosk is not told "rejected" for a normal race.
- language_set: the event's worker chose their language at the kiosk; it becomes theirs
  (audited, people/languages.py) unless a later language_set of theirs is stored already
  (a kiosk that was offline sends an old choice late: the newer one stands).

Time rules: an event older than the kiosk offline window (a setting, 14 days by default)
or more than FUTURE_LEEWAY ahead of the server's clock is refused and kept for HR
(`Kept`), as is one whose day lies in a closed period. HR's booking of a refused event
(`booking`) skips these rules and the proof, which was checked when the event arrived.
Every change to points, training and production is audited.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from server.models import (
    AlertKind,
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    Kiosk,
    Language,
    Machine,
    Notice,
    PointEntry,
    SettledPeriod,
    TrainingProgress,
    TrainingVideo,
    Worker,
)
from server.scoring.periods import period_span
from server.services import ServiceError
from server.services.alerts import lifecycle as alerts
from server.services.audit import record
from server.services.devices.keys import ServerKeys
from server.services.events import acts
from server.services.events.batch import Batch, Check, Kept, Plan, Rejected
from server.services.events.kinds import (
    ACT_KINDS,
    COUNT_KINDS,
    RUN_KINDS,
    AppealPayload,
    BadgeInPayload,
    EventKind,
    KioskEvent,
    LanguageSetPayload,
    MachineFaultPayload,
    MachinePayload,
    NoticeSeenPayload,
    PointClaimPayload,
    QualityIssuePayload,
    RewardRedeemPayload,
    TrainingProgressPayload,
)
from server.services.events.proof import Proofs
from server.services.metrics.from_kiosk import count_quality_issues
from server.services.people import badges, languages
from server.services.periods.late import refusal, settle_entries
from server.services.points import notices
from server.services.production.from_kiosk import MAX_RUN, Touch, recompute
from server.services.rewards import redemptions
from server.services.scores.aggregates import BADGE_IN, mark_added_badge_ins
from server.services.training.progress import record_progress

__all__ = ["Effects", "InClosedPeriod", "Kept", "Rejected"]

# Kiosk clocks drift, and kiosks correct them by the server's; an event further ahead
# than this is a wrong clock, not a plan.
FUTURE_LEEWAY = timedelta(minutes=5)
DEFAULT_OFFLINE_WINDOW = timedelta(days=14)
_PRODUCTION_KINDS = frozenset(RUN_KINDS + COUNT_KINDS)


# The batch's plain events go to the table in one statement, as rows made by `apply`.
_INSERT_EVENTS = insert(cast(Table, Event.__table__))
# The batch's workers and machines by code, each in one query (statements built once).
_WORKERS = select(Worker).where(Worker.code.in_(bindparam("codes", expanding=True)))
_MACHINES = select(Machine).where(Machine.code.in_(bindparam("codes", expanding=True)))
# The stored starts and stops of workers from `since` to `until`, in the order the latest
# is found in (time, then id): those a count sent without a machine may belong to.
_STORED_RUNS = (
    select(Event.worker_id, Event.occurred_at, Event.payload)
    .where(Event.worker_id.in_(bindparam("workers", expanding=True)),
           Event.kind.in_(RUN_KINDS),
           Event.occurred_at >= bindparam("since", type_=Event.occurred_at.type),
           Event.occurred_at <= bindparam("until", type_=Event.occurred_at.type))
    .order_by(Event.occurred_at, Event.id)
)
# A worker's stored starts and stops: their times, and (time, machine code) in that order.
Runs = tuple[list[datetime], list[tuple[datetime, str]]]


def _fields(event: KioskEvent) -> dict[str, Any]:
    """The payload's fields by name. Kinds differ in fields, and asking a pydantic model
    for one it lacks is slow; its __dict__ answers at once."""
    return vars(event.payload)


class InClosedPeriod(Kept):
    """Refused because its day lies in a closed period; ingest keeps it for HR to book."""

    def __init__(self, period: SettledPeriod) -> None:
        super().__init__(f"occurred_at: {refusal(period)}; HR can book it into the open "
                         "period", period.workshop_id)
        self.period = period


# Kinds whose day decides a closed period's numbers: refused when that day is closed.
# Faults, quality issues, training progress, appeals and decisions are taken whenever
# they come (a decision's points follow the claim's own day; see `finish`).
GUARDED_KINDS = frozenset({
    EventKind.BADGE_IN, EventKind.MACHINE_START, EventKind.MACHINE_STOP, EventKind.OUTPUT,
    EventKind.DEFECT, EventKind.POINT_CLAIM, EventKind.REMARK,
})


class Effects(Batch):
    """Applies one batch of validated events for one kiosk, in order, in one transaction."""

    def __init__(self, session: Session, kiosk: Kiosk, zone: ZoneInfo, now: datetime,
                 *, keys: ServerKeys | None = None,
                 offline_window: timedelta = DEFAULT_OFFLINE_WINDOW,
                 booking: bool = False) -> None:
        super().__init__(session, kiosk, zone, now)
        self.keys = keys
        self.offline_window = offline_window
        # `booking`: HR books a refused event into the open period; the closed day is
        # then where it belongs, and the caller books the difference as an adjustment.
        self.booking = booking
        self.proofs = Proofs(session, keys, self.actor, now)
        self._touches: list[Touch] = []  # the production events, for `recompute`
        self._quality: list[tuple[int, datetime]] = []  # quality reports, for their metric
        self._rows: list[dict[str, Any]] = []
        # Machine starts and stops earlier in this batch, not stored yet, by worker id.
        self._runs: dict[int, list[tuple[datetime, Machine]]] = {}
        # The batch's machine starts not stored yet, for a fault reported after them that
        # arrives late; the machines with a fault alert open (read at the first start).
        self._starts: list[alerts.Start] = []
        self._faulted: set[int] | None = None
        # The stored starts and stops of the workers whose counts came without a machine,
        # by worker id (read by `preload`, for the batch's whole span).
        self._stored_runs: dict[int, Runs] = {}
        # The kinds that make more than an event row; the rest are stored as they are.
        self._checks: dict[str, Check] = {
            EventKind.POINT_CLAIM: self._check_point_claim,
            EventKind.CLAIM_DECISION: self._act(acts.check_claim_decision),
            EventKind.REMARK: self._act(acts.check_remark),
            EventKind.TRAINING_PROGRESS: self._check_training_progress,
            EventKind.APPEAL: self._check_appeal,
            EventKind.NOTICE_SEEN: self._check_notice_seen,
            EventKind.REWARD_REDEEM: self._check_reward_redeem,
            EventKind.REWARD_HANDOVER: self._act(acts.check_reward_handover),
            EventKind.REMARK_UNDO: self._act(acts.check_remark_undo),
            EventKind.PIN_LOCKED: self._act(acts.check_pin_locked),
            EventKind.ALERT_ACK: self._act(acts.check_alert_ack),
            EventKind.MACHINE_FAULT: self._check_trouble,
            EventKind.QUALITY_ISSUE: self._check_trouble,
            EventKind.MACHINE_START: self._check_machine_start,
            EventKind.LANGUAGE_SET: self._check_language_set,
        }

    def _act(self, check: Callable[[Batch, Worker | None, Any, datetime], Plan]) -> Check:
        """One of events/acts.py's checks, run on this batch."""
        return lambda worker, payload, occurred_at: check(self, worker, payload, occurred_at)

    def preload(self, events: Iterable[KioskEvent]) -> None:
        """Fetch every worker and machine the batch names in two queries, and in a third
        the stored starts and stops that its counts sent without a machine may belong to."""
        workers: set[str] = set()
        machines: set[str] = set()
        bare: dict[str, list[datetime]] = {}  # counts without a machine, by worker code
        for event in events:
            if event.worker:
                workers.add(event.worker)
            fields = _fields(event)
            for field in ("given_by", "decided_by", "handed_by"):  # the supervisors acting
                if fields.get(field):
                    workers.add(fields[field])
            if fields.get("machine"):
                machines.add(fields["machine"])
            elif event.kind in COUNT_KINDS and event.worker:
                bare.setdefault(event.worker, []).append(event.occurred_at)
        if workers:
            self.workers.update((w.code, w) for w in self.session.scalars(
                _WORKERS, {"codes": sorted(workers)}))
        if machines:
            self.machines.update((m.code, m) for m in self.session.scalars(
                _MACHINES, {"codes": sorted(machines)}))
        ids = sorted(self.workers[code].id for code in bare if code in self.workers)
        if ids:
            times = [at for code in bare for at in bare[code]]
            self._stored_runs = self._read_runs(ids, min(times) - MAX_RUN, max(times))

    def _read_runs(self, ids: list[int], since: datetime, until: datetime
                   ) -> dict[int, Runs]:
        found: dict[int, Runs] = {worker: ([], []) for worker in ids}
        for worker, at, payload in self.session.execute(
                _STORED_RUNS, {"workers": ids, "since": since, "until": until}):
            found[worker][0].append(at)
            found[worker][1].append((at, payload["machine"]))
        return found

    def _running_machine(self, worker: Worker, at: datetime) -> Machine | None:
        """The machine of the worker's latest start or stop in the MAX_RUN before `at`: a
        count logged without a machine belongs to it (production.from_kiosk does the same).
        The starts and stops stored before the batch were read by `preload`; the batch's
        own are in `_runs`."""
        earliest = at - MAX_RUN
        stored = self._stored_runs.get(worker.id)
        if stored is None:  # a worker `preload` did not read: asked of the database now
            stored = self._read_runs([worker.id], earliest, at)[worker.id]
        moments, runs = stored
        index = bisect_right(moments, at)  # the latest at or before `at`, the last stored
        latest = runs[index - 1] if index and moments[index - 1] >= earliest else None
        candidates = [(when, m) for when, m in self._runs.get(worker.id, ())
                      if earliest <= when <= at]
        if latest is not None:
            # (a machine since moved out of this kiosk's workshops is no candidate)
            with suppress(Rejected):
                candidates.append((latest[0], self.machine(latest[1])))
        return max(candidates, key=lambda c: c[0])[1] if candidates else None

    # --- applying -----------------------------------------------------------------------

    def apply(self, event: KioskEvent, uuid: str, digest: str, payload: dict[str, Any],
              sent: Mapping[str, Any] | None = None) -> None:
        """Check the event, store it and make its records; raises Rejected before writing.
        `uuid`, `digest` and `payload` are the event's canonical forms, as stored; `sent`
        is the event as the kiosk sent it, which a supervisor's proof is bound to."""
        if event.kind in ACT_KINDS and not self.booking:
            if sent is None:
                raise Rejected("proof: the event as sent is needed to check its proof")
            self.proofs.check(event, sent, self.supervisor)
        worker = self.worker(event.worker) if event.worker is not None else None
        if (period := self._closed(event, worker)) is not None:
            raise InClosedPeriod(period)
        if not self.booking:
            self._time_rules(event, worker)
        if worker is None and isinstance(event.payload, BadgeInPayload):
            worker, payload = self._unknown_tap(event.payload, uuid, event.occurred_at,
                                                payload)
            if (period := self._closed(event, worker)) is not None:
                # (a card the kiosk did not know: nothing HR could book)
                raise Rejected(str(InClosedPeriod(period)))
        code = _fields(event).get("machine")
        machine = self.machine(code) if code is not None else None
        if machine is None and worker is not None and event.kind in COUNT_KINDS:
            machine = self._running_machine(worker, event.occurred_at)
        if machine is not None and worker is not None and event.kind in RUN_KINDS:
            self._runs.setdefault(worker.id, []).append((event.occurred_at, machine))
        check = self._checks.get(event.kind)
        plan = check(worker, event.payload, event.occurred_at) if check else None
        row = {
            "uuid": uuid, "kind": event.kind,
            "worker_id": worker.id if worker else None, "kiosk_id": self.kiosk.id,
            "occurred_at": event.occurred_at, "kiosk_time": event.kiosk_time,
            "received_at": self.now, "payload": payload, "body_hash": digest,
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

    def _closed(self, event: KioskEvent, worker: Worker | None) -> SettledPeriod | None:
        """The closed period the event's day lies in, when that refuses it."""
        if worker is None or not self.closed or event.kind not in GUARDED_KINDS \
                or self.booking:
            return None
        return self.closed.on(worker.workshop_id, event.occurred_at.astimezone(self.zone).date())

    def _time_rules(self, event: KioskEvent, worker: Worker | None) -> None:
        """Refuse an event from before the kiosk offline window or from the future, kept
        for HR under the worker's workshop (else the kiosk's first)."""
        if event.occurred_at < self.now - self.offline_window:
            days = self.offline_window.days
            reason = (f"occurred_at: older than the kiosk offline window ({days} "
                      f"day{'' if days == 1 else 's'}); HR can book it from the refused events")
        elif event.occurred_at > self.now + FUTURE_LEEWAY:
            reason = ("occurred_at: more than 5 minutes in the future; check the kiosk's "
                      "clock")
        else:
            return
        if worker is not None:
            raise Kept(reason, worker.workshop_id)
        if event.kind == EventKind.BADGE_IN:  # a badge no one knew: nothing HR could book
            raise Rejected(reason)
        raise Kept(reason, min(self.workshops, default=None))

    def _unknown_tap(self, read: BadgeInPayload, uuid: str, at: datetime,
                     payload: dict[str, Any]) -> tuple[Worker | None, dict[str, Any]]:
        """A badge the kiosk did not know: its worker when the server knows the card (a
        kiosk with an old roster, a card enrolled before keyed digests), else kept for HR's
        unknown-taps page. Either way the stored payload holds no card number."""
        found = None
        if self.keys is not None:
            kind = "card" if read.card_number is not None else (read.kind or "card")
            try:
                found = badges.note_unknown_tap(
                    self.session, self.keys, self.kiosk, kind=kind, number=read.card_number,
                    digest=read.badge_hash, event_uuid=uuid, at=at)
            except ValueError as error:
                raise Rejected(f"payload.card_number: {error}") from None
        if found is not None and found.active and found.workshop_id in self.workshops:
            self.workers[found.code] = found
            return found, payload
        return None, {**payload, "unknown": True}

    def finish(self) -> None:
        """Store the batch's plain events in one INSERT, then recompute the production
        records the batch touched."""
        if self._rows:
            # In UUID order: concurrent batches holding some of the same events then take
            # their keys in one order and wait for each other instead of deadlocking.
            self.session.execute(_INSERT_EVENTS, sorted(self._rows, key=lambda r: r["uuid"]))
            # Of the plain events only badge-ins are summed (attendance), counted as they
            # are inserted; the others reach the day sums through the records they make,
            # which mark their own days.
            mark_added_badge_ins(self.session, [(r["worker_id"], r["occurred_at"])
                                                for r in self._rows if r["kind"] == BADGE_IN])
            self._rows.clear()
        if self._touches:
            recompute(self.session, self._touches, self.zone, self.actor,
                      workers={w.id: w.code for w in self.workers.values()},
                      machines={m.id: m.code for m in self.machines.values()})
        self.session.flush()
        if self._quality:
            count_quality_issues(self.session, self._quality, self.zone, self.actor)
            self._quality.clear()
        if self.late_entries:
            settle_entries(self.session, self.late_entries, actor=self.actor, zone=self.zone,
                           today=self.now.astimezone(self.zone).date(),
                           what="claim approved at the kiosk after its period closed")
            self.late_entries.clear()

    # --- the worker's own events (a supervisor's acts: events/acts.py) -------------------

    def _check_point_claim(self, worker: Worker | None, payload: PointClaimPayload,
                           occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
        category = self.category(payload.category)
        points = self.points(category, payload.points)

        def plan(event: Event) -> None:
            entry = PointEntry(
                worker_id=worker.id, category_id=category.id, points=points,
                date=occurred_at.astimezone(self.zone).date(), status=EntryStatus.PENDING,
                reason=payload.note, event_id=event.id,
            )
            self.session.add(entry)
            self.session.flush()
            record(self.session, self.by(worker), "point.claim", "point_entry", entry.id,
                   after={"worker_id": worker.id, "category": category.code,
                          "points": points, "status": "pending"})
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
            if record_progress(progress, video, payload.seconds_watched,
                               payload.quiz_correct, payload.quiz_total, occurred_at):
                self.session.flush()
                record(self.session, self.by(worker), "training.complete",
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
            record(self.session, self.by(worker), "appeal.open", "appeal", appeal.id,
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

    def _check_trouble(self, worker: Worker | None,
                       payload: MachineFaultPayload | QualityIssuePayload,
                       occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for these kinds
        machine = self.machine(payload.machine) if payload.machine is not None else None
        if isinstance(payload, MachineFaultPayload):
            kind, reason = AlertKind.MACHINE_FAULT, payload.fault
        else:
            kind, reason = AlertKind.QUALITY_ISSUE, payload.issue
        workshop_id = machine.workshop_id if machine is not None else worker.workshop_id

        def plan(event: Event) -> None:
            if kind is AlertKind.QUALITY_ISSUE:
                self._quality.append((worker.id, occurred_at))
            alert = alerts.open_alert(
                self.session, event, kind, workshop_id=workshop_id, machine=machine,
                reason=reason, reporter=worker, actor=self.by(worker), zone=self.zone,
                starts=self._starts)
            if machine is not None and kind is AlertKind.MACHINE_FAULT \
                    and alert.resolved_at is None and self._faulted is not None:
                self._faulted.add(machine.id)
        return plan

    def _check_machine_start(self, worker: Worker | None, payload: MachinePayload,
                             occurred_at: datetime) -> Plan | None:
        """Nothing more than the event, unless the machine has a fault alert open."""
        assert worker is not None  # the schema requires a worker for this kind
        machine = self.machine(payload.machine)
        self._starts.append((occurred_at, machine.id, worker.id))
        if self._faulted is None:  # one query a batch: the served machines' open faults
            served = [m.id for m in self.machines.values()
                      if m.workshop_id in self.workshops]
            self._faulted = alerts.open_faults(self.session, served)
        if machine.id not in self._faulted:
            return None

        def plan(event: Event) -> None:
            alerts.machine_started(self.session, machine, event, worker, self.by(worker))
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
            redemptions.redeem(self.session, redeem, event.uuid, self.by(worker),
                               occurred_at)
        return plan

    def _check_language_set(self, worker: Worker | None, payload: LanguageSetPayload,
                            occurred_at: datetime) -> Plan:
        assert worker is not None  # the schema requires a worker for this kind
        language = Language(payload.language)

        def plan(event: Event) -> None:
            later = self.session.scalar(
                select(Event.id).where(Event.worker_id == worker.id,
                                       Event.kind == EventKind.LANGUAGE_SET.value,
                                       Event.occurred_at > occurred_at).limit(1))
            if later is None:
                languages.set_language(self.session, worker, language, self.by(worker),
                                       via="kiosk")
        return plan
