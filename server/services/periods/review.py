"""What people read about settled periods besides the cards: a period as HR reviews it
(before closing: the completeness check; after: its versions, its history and what changed
between the last two), the kiosk events waiting to be booked, and the last closed month's
improvement star for the wall.

Read only: closing, reopening and booking are in `closing.py` and `events/ingest.py`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    AuditEntry,
    Kiosk,
    PeriodState,
    RefusedEvent,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    Worker,
    Workshop,
)
from server.scoring import Period
from server.services import NotFound
from server.services.events.refused import list_refused
from server.services.periods.calendar import parse_key, workshop_by_code
from server.services.periods.closing import version_changes
from server.services.periods.late import ClosedPeriods
from server.services.periods.snapshots import newest_snapshot
from server.services.production.completeness import check as completeness

BOOKED_SHOWN = 200  # the booked list shows the newest this many


def kind_of(key: str) -> Period:
    """A period's kind from its name: `2026-W47` is a week, `2026-11` a month."""
    return Period.WEEK if "W" in key.upper() else Period.MONTH


def _in_scope(workshop: Workshop, scope: Collection[int] | None) -> None:
    if scope is not None and workshop.id not in scope:
        raise NotFound(f"no workshop with code {workshop.code!r}")


def review_period(session: Session, workshop_code: str, key: str, today: date,
                  scope: Collection[int] | None = None) -> dict[str, Any]:
    """One workshop's period: its state, what the completeness check flags while it is
    not closed, every snapshot version, the close and reopen history with reasons, and
    what changed between the last two versions. NotFound outside `scope`; InvalidInput
    for a name that is not a week or month."""
    workshop = workshop_by_code(session, workshop_code)
    _in_scope(workshop, scope)
    span = parse_key(kind_of(key), key)
    row = session.scalars(select(SettledPeriod).where(
        SettledPeriod.workshop_id == workshop.id, SettledPeriod.kind == span.kind.value,
        SettledPeriod.key == span.label)).first()
    state = row.state if row is not None else PeriodState.OPEN
    ended = span.end < today
    flags = ([{**flag.to_dict(), "weekday": flag.day.weekday()}
              for flag in completeness(session, workshop, span.start, span.end, today)]
             if ended and state is not PeriodState.CLOSED else [])
    snapshots: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    star = None
    if row is not None:
        for snap in session.scalars(select(Snapshot).where(Snapshot.period_id == row.id)
                                    .order_by(Snapshot.version.desc())):
            snapshots.append({"version": snap.version, "created_at": snap.created_at,
                              "created_by": snap.created_by, "forced": snap.forced,
                              "reason": snap.reason, "flags": list(snap.flags or []),
                              "workers": len(snap.board.get("standings", []))})
        newest = newest_snapshot(session, row)
        star = newest.board.get("star") if newest is not None else None
        for entry in session.scalars(select(AuditEntry).where(
                AuditEntry.entity == "period",
                AuditEntry.entity_id == f"{workshop.code}/{span.label}",
                AuditEntry.action.in_(("period.close", "period.reopen")))
                .order_by(AuditEntry.id.desc())):
            after = entry.after or {}
            history.append({"action": entry.action.removeprefix("period."), "at": entry.at,
                            "actor": entry.actor, "version": after.get("version"),
                            "reason": after.get("reason"), "forced": after.get("forced")})
    return {
        "workshop": {"code": workshop.code, "name": workshop.name},
        "kind": span.kind.value, "period": span.label,
        "start": span.start, "end": span.end, "ended": ended,
        "state": state.value, "version": row.version if row is not None else 0,
        "closed_at": row.closed_at if row is not None else None,
        "closed_by": row.closed_by if row is not None else None,
        "reopened_at": row.reopened_at if row is not None else None,
        "reopened_by": row.reopened_by if row is not None else None,
        "reason": row.reason if row is not None else None,
        "flags": flags, "snapshots": snapshots, "history": history, "star": star,
        "changes": version_changes(session, row) if row is not None else [],
    }


def refused_rows(session: Session, zone: ZoneInfo, *, booked: bool = False,
                 scope: Collection[int] | None = None) -> list[dict[str, Any]]:
    """The refused kiosk events as HR's list shows them: waiting ones oldest first, booked
    ones newest first (the last `BOOKED_SHOWN`), with the kiosk's, worker's and workshop's
    names, the day in the factory's zone and the closed period that holds it now."""
    rows: list[RefusedEvent] = list_refused(session, booked=booked, scope=scope)
    if booked:
        rows = sorted(rows, key=lambda r: (r.booked_at, r.id), reverse=True)[:BOOKED_SHOWN]
    kiosks = {k.id: k.name for k in session.scalars(
        select(Kiosk).where(Kiosk.id.in_({r.kiosk_id for r in rows if r.kiosk_id})))}
    workers: dict[str, str] = {
        code: name for code, name in session.execute(select(Worker.code, Worker.name).where(
            Worker.code.in_({r.worker_code for r in rows if r.worker_code})))}
    shops: dict[int, str] = {
        wid: code for wid, code in session.execute(select(Workshop.id, Workshop.code).where(
            Workshop.id.in_({r.workshop_id for r in rows})))}
    closed = ClosedPeriods(session, {r.workshop_id for r in rows})
    out = []
    for r in rows:
        local = r.occurred_at.astimezone(zone)
        still = closed.on(r.workshop_id, local.date())
        out.append({
            "id": r.id, "uuid": r.uuid, "kind": r.kind,
            "kiosk": kiosks.get(r.kiosk_id) if r.kiosk_id is not None else None,
            "workshop": shops.get(r.workshop_id, ""),
            "worker": r.worker_code, "worker_name": workers.get(r.worker_code or ""),
            "day": local.date(), "time": local.strftime("%H:%M"),
            "payload": (r.body or {}).get("payload") or {},
            "reason": r.reason, "received_at": r.received_at,
            # The period that holds its day while it is still closed; None once reopened
            # (booking then stores the event where it belongs, with no adjustment).
            "closed_period": still.key if still is not None else None,
            "booked_at": r.booked_at, "booked_by": r.booked_by,
            "adjustment_points": r.adjustment_points,
        })
    return out


def snapshot_cards(session: Session, period: SettledPeriod) -> dict[str, dict[str, Any]]:
    """Every card of the period's newest snapshot, by worker code (for a report)."""
    snapshot = newest_snapshot(session, period)
    if snapshot is None:
        return {}
    cards = session.scalars(select(SnapshotCard.card)
                            .where(SnapshotCard.snapshot_id == snapshot.id))
    return {card["worker"]["code"]: card for card in cards}


def last_closed_star(session: Session, workshop_id: int) -> dict[str, Any] | None:
    """The improvement star of the workshop's last closed month, as its snapshot holds it
    (`code`, `name`, `improvement`, and `month`); None when no month is closed yet or the
    last closed one had no improver."""
    period = session.scalars(select(SettledPeriod).where(
        SettledPeriod.workshop_id == workshop_id, SettledPeriod.kind == Period.MONTH.value,
        SettledPeriod.state == PeriodState.CLOSED)
        .order_by(SettledPeriod.start.desc()).limit(1)).first()
    if period is None:
        return None
    snapshot = newest_snapshot(session, period)
    star = snapshot.board.get("star") if snapshot is not None else None
    return {**star, "month": period.key} if star else None
