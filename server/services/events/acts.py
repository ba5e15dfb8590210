"""A supervisor's acts at the kiosk, and taking a remark back.

- remark: an approved point entry for the event's worker, at most the category's points,
  given by `given_by`, a supervisor of the worker's workshop, never to themselves.
- claim_decision: approves or rejects a pending point claim and makes the claimant's notice
  (points/notices.py); `decided_by` leads the claimant's workshop and is not the claimant.
- reward_handover: hands a pending redemption over; `handed_by` leads the redeeming
  worker's workshop and is not that worker.
- remark_undo: the kiosk that sent a remark takes it back within a minute.
- pin_locked: a kiosk locked a supervisor after wrong PINs typed there; the server locks
  their acts too (people/pins.py), unless HR has unlocked them since (a newer epoch).
- alert_ack: the event's worker, a supervisor of the alert's workshop, acknowledges an
  alert (services/alerts), once.

Each of the first three, and alert_ack, carries the supervisor's sealed PIN, checked
before any of this (events/proof.py). Each check returns the writes to make once the event
is stored; until then nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from server.models import Alert, EntryStatus, Event, LedgerSource, PointEntry, Role, Worker
from server.services import ServiceError
from server.services.alerts import lifecycle as alerts
from server.services.audit import record
from server.services.events.batch import Batch, Plan, Rejected
from server.services.events.kinds import (
    AlertAckPayload,
    ClaimDecisionPayload,
    EventKind,
    PinLockedPayload,
    RemarkPayload,
    RemarkUndoPayload,
    RewardHandoverPayload,
)
from server.services.people import pins
from server.services.points import ledger, notices
from server.services.rewards import redemptions

# A remark can be undone for this long after it was given (by the kiosk's clock) and
# after the server received it, plus a little for the network (by the server's).
UNDO_WINDOW = timedelta(seconds=60)
UNDO_LEEWAY = timedelta(seconds=10)


def check_remark(batch: Batch, worker: Worker | None, payload: RemarkPayload,
                 occurred_at: datetime) -> Plan:
    assert worker is not None  # the schema requires a worker for this kind
    supervisor = batch.supervisor(payload.given_by, "payload.given_by")
    category = batch.category(payload.category)
    points = batch.points(category, payload.points)
    if worker.id == supervisor.id:
        raise Rejected("payload.given_by: a supervisor cannot remark themselves")
    if worker.workshop_id != supervisor.workshop_id:
        raise Rejected(f"payload.given_by: {supervisor.code!r} does not lead the workshop "
                       f"of {worker.code!r}")

    def plan(event: Event) -> None:
        entry = PointEntry(
            worker_id=worker.id, category_id=category.id, points=points,
            date=occurred_at.astimezone(batch.zone).date(), status=EntryStatus.APPROVED,
            reason=payload.note, given_by_worker_id=supervisor.id,
            decided_by_worker_id=supervisor.id, decided_at=occurred_at, event_id=event.id,
        )
        batch.session.add(entry)
        batch.session.flush()
        ledger.line_for_entry(batch.session, entry, LedgerSource.REMARK, batch.by(supervisor))
        record(batch.session, batch.by(supervisor), "point.remark", "point_entry",
               entry.id, after={"worker_id": worker.id, "category": category.code,
                                "points": points, "status": "approved"})
    return plan


def check_claim_decision(batch: Batch, worker: Worker | None, payload: ClaimDecisionPayload,
                         occurred_at: datetime) -> Plan:
    supervisor = batch.supervisor(payload.decided_by, "payload.decided_by")
    entry = batch.session.scalars(
        select(PointEntry).join(Event, PointEntry.event_id == Event.id)
        .where(Event.uuid == str(payload.claim), Event.kind == EventKind.POINT_CLAIM.value)
    ).first()
    if entry is None:
        raise Rejected(f"payload.claim: no point claim {payload.claim}")
    if worker is not None and worker.id != entry.worker_id:
        raise Rejected(f"worker: the claim is {entry.worker.code!r}'s, not {worker.code!r}'s")
    if entry.worker_id == supervisor.id:
        raise Rejected("payload.decided_by: a supervisor cannot decide their own claim")
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
        record(batch.session, batch.by(supervisor), f"point.{payload.decision}",
               "point_entry", entry.id, before={"status": "pending"},
               after={"status": status.value, "worker_id": entry.worker_id,
                      "points": entry.points, "event": event.uuid})
        notices.notify_claim(batch.session, entry)
        ledger.line_for_entry(batch.session, entry, LedgerSource.CLAIM, batch.by(supervisor))
        if status is EntryStatus.APPROVED and batch.closed.on(entry.worker.workshop_id,
                                                              entry.date):
            batch.late_entries.append(entry)
    return plan


def check_reward_handover(batch: Batch, worker: Worker | None,
                          payload: RewardHandoverPayload, occurred_at: datetime) -> Plan:
    supervisor = batch.supervisor(payload.handed_by, "payload.handed_by")
    try:
        redemption = redemptions.by_uuid(batch.session, str(payload.redemption))
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
        redemptions.hand_over(batch.session, redemption, batch.by(supervisor),
                              note=f"handed over at kiosk {batch.kiosk.name}")
    return plan


def check_remark_undo(batch: Batch, worker: Worker | None, payload: RemarkUndoPayload,
                      occurred_at: datetime) -> Plan:
    assert worker is not None  # the schema requires a worker for this kind
    found = batch.session.execute(
        select(PointEntry, Event).join(Event, PointEntry.event_id == Event.id)
        .where(Event.uuid == str(payload.remark), Event.kind == EventKind.REMARK.value)
    ).first()
    if found is None:
        raise Rejected(f"payload.remark: no remark {payload.remark}")
    entry, remark = found
    if remark.kiosk_id != batch.kiosk.id:
        raise Rejected("payload.remark: only the kiosk that sent a remark can undo it")
    if entry.worker_id != worker.id:
        raise Rejected(f"worker: the remark is {entry.worker.code!r}'s, not "
                       f"{worker.code!r}'s")
    if entry.status is not EntryStatus.APPROVED:
        raise Rejected("payload.remark: already undone")
    if (occurred_at - remark.occurred_at > UNDO_WINDOW or occurred_at < remark.occurred_at
            or batch.now - remark.received_at > UNDO_WINDOW + UNDO_LEEWAY):
        raise Rejected("payload.remark: too late: a remark can be undone within 60 s")
    try:
        ledger.lock_worker(batch.session, worker.id)
        if ledger.balance(batch.session, worker.id) < entry.points:
            raise Rejected("payload.remark: the points are already spent")
    except ServiceError as refusal:
        raise Rejected(str(refusal)) from None

    def plan(event: Event) -> None:
        entry.status = EntryStatus.REJECTED
        entry.decision_note = f"undone at the kiosk ({event.uuid})"
        ledger.reverse_entry(batch.session, entry, batch.by(worker),
                             reason=f"remark undone ({remark.uuid})")
        record(batch.session, batch.by(worker), "point.undo", "point_entry",
               entry.id, before={"status": "approved"},
               after={"status": "rejected", "worker_id": worker.id,
                      "points": entry.points, "remark": remark.uuid,
                      "event": event.uuid})
    return plan


def check_pin_locked(batch: Batch, worker: Worker | None, payload: PinLockedPayload,
                     occurred_at: datetime) -> Plan:
    assert worker is not None  # the schema requires a worker for this kind
    if worker.role is not Role.SUPERVISOR:
        raise Rejected(f"worker: {worker.code!r} is not a supervisor")

    def plan(event: Event) -> None:
        pins.lock_from_kiosk(batch.session, worker, payload.failures, payload.epoch,
                             batch.actor, batch.now)
    return plan


def check_alert_ack(batch: Batch, worker: Worker | None, payload: AlertAckPayload,
                    occurred_at: datetime) -> Plan:
    assert worker is not None  # the schema requires a worker for this kind
    supervisor = batch.supervisor(worker.code, "worker")
    # Locked until the batch commits: two kiosks acknowledging at once take turns.
    alert = batch.session.scalars(
        select(Alert).where(Alert.id == payload.alert).with_for_update()
        .execution_options(populate_existing=True)).first()
    if alert is None:
        raise Rejected(f"payload.alert: no alert {payload.alert}")
    if alert.workshop_id != supervisor.workshop_id:
        raise Rejected(f"worker: {supervisor.code!r} does not lead the workshop of alert "
                       f"{payload.alert}")
    if alert.acknowledged_at is not None:
        raise Rejected(f"payload.alert: alert {payload.alert} was acknowledged already")

    def plan(event: Event) -> None:
        alerts.acknowledge(batch.session, alert.id, batch.by(supervisor), by_worker=supervisor,
                           now=occurred_at, event_uuid=event.uuid)
    return plan
