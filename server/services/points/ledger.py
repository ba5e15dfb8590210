"""The points account: every approved point entry is a ledger line, and so is every
tier award, redemption, refund, adjustment and a leaver's payout or forfeit.

The lines live in their own table (`points_ledger`), written in the same transaction as
what causes them: `line_for_entry` by every path that approves a PointEntry (a remark and
a claim_decision at the kiosk, HR's bulk decision, an appeal's award, an HR line), the
rewards domain for redemptions and refunds. Only point entries count toward a score (as
before, within the scheme's `points_cap`); the other lines never do. The balance is the
sum of the lines and never resets. No change may take it below zero: a writer locks the
worker's row first (`lock_worker`, SELECT ... FOR UPDATE on PostgreSQL; SQLite lets one
writer at a time), then reads the balance, then writes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    EntryStatus,
    LedgerLine,
    LedgerSource,
    PointCategory,
    PointEntry,
    Worker,
    utcnow,
)
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record

HISTORY_LINES = 20
MAX_HR_POINTS = 10_000


def _round(points: float) -> float:
    return round(float(points), 2)


def balance(session: Session, worker_id: int) -> float:
    total = session.scalar(select(func.coalesce(func.sum(LedgerLine.points), 0.0))
                           .where(LedgerLine.worker_id == worker_id))
    return _round(total or 0.0)


def lock_worker(session: Session, worker_id: int) -> None:
    """Hold the worker's row until the transaction ends, so that two deductions for one
    worker take turns (PostgreSQL; SQLite serialises writers on its own)."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Worker.id).where(Worker.id == worker_id).with_for_update())


def worker_by_code(session: Session, code: str) -> Worker:
    worker = session.scalars(select(Worker).where(Worker.code == code)).first()
    if worker is None:
        raise NotFound(f"no worker with code {code!r}")
    return worker


def add_line(session: Session, worker: Worker, points: float, source: LedgerSource,
             actor: str, *, reason: str | None = None, category_id: int | None = None,
             entry_id: int | None = None, redemption_id: int | None = None,
             at: datetime | None = None, audit: bool = True) -> LedgerLine:
    """Write one line; a negative one that would take the balance below zero is refused
    with Conflict. The caller commits."""
    points = _round(points)
    if points < 0:
        lock_worker(session, worker.id)
        now = balance(session, worker.id)
        if now + points < 0:
            raise Conflict(f"too few points: {worker.code} has {now:g}, "
                           f"{-points:g} would take the balance below zero")
    line = LedgerLine(worker_id=worker.id, at=at or utcnow(), points=points, source=source,
                      reason=reason, category_id=category_id, point_entry_id=entry_id,
                      redemption_id=redemption_id, created_by=actor)
    session.add(line)
    session.flush()
    if audit:
        record(session, actor, "ledger.line", "worker", worker.id,
               after={"line": line.id, "points": points, "source": source.value,
                      "reason": reason, "entry": entry_id, "redemption": redemption_id})
    return line


def line_for_entry(session: Session, entry: PointEntry, source: LedgerSource,
                   actor: str) -> LedgerLine | None:
    """The ledger line of an approved point entry: exactly one for each (a second call
    for the same entry writes nothing). Audited with the approval that calls it."""
    if entry.status is not EntryStatus.APPROVED:
        return None
    if entry.id is None:
        session.flush()
    found = session.scalars(select(LedgerLine)
                            .where(LedgerLine.point_entry_id == entry.id)).first()
    if found is not None:
        return found
    line = LedgerLine(worker_id=entry.worker_id, at=entry.decided_at or utcnow(),
                      points=_round(entry.points), source=source, reason=entry.reason,
                      category_id=entry.category_id, point_entry_id=entry.id,
                      created_by=actor)
    session.add(line)
    return line


def reverse_entry(session: Session, entry: PointEntry, actor: str, reason: str) -> LedgerLine:
    """A counter line for an approved entry taken back (a remark undone): refused when
    the points are already spent."""
    worker = session.get(Worker, entry.worker_id)
    assert worker is not None
    source = LedgerSource.REMARK
    return add_line(session, worker, -entry.points, source, actor, reason=reason,
                    category_id=entry.category_id, audit=False)


def line_dict(line: LedgerLine, categories: dict[int, str]) -> dict[str, Any]:
    return {"id": line.id, "at": line.at.isoformat(), "points": line.points,
            "source": line.source.value, "reason": line.reason,
            "category": categories.get(line.category_id) if line.category_id else None}


def history(session: Session, worker: Worker, limit: int | None = HISTORY_LINES
            ) -> list[dict[str, Any]]:
    """The worker's lines, newest first."""
    query = (select(LedgerLine).where(LedgerLine.worker_id == worker.id)
             .order_by(LedgerLine.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    lines = list(session.scalars(query))
    ids = {line.category_id for line in lines if line.category_id}
    categories: dict[int, str] = {}
    if ids:
        categories = {row.id: row.code for row in session.execute(
            select(PointCategory.id, PointCategory.code).where(PointCategory.id.in_(ids)))}
    return [line_dict(line, categories) for line in lines]


def account(session: Session, code: str, limit: int | None = HISTORY_LINES
            ) -> dict[str, Any]:
    worker = worker_by_code(session, code)
    return {"worker": worker.code, "name": worker.name, "active": worker.active,
            "balance": balance(session, worker.id), "lines": history(session, worker, limit)}


def hr_line(session: Session, code: str, points: float, reason: str,
            category_code: str | None, actor: str, today: date, *,
            user_id: int | None = None) -> LedgerLine:
    """HR awards or deducts by hand: an approved point entry dated `today` (it counts
    toward the period's score within `points_cap`, like a remark) and its ledger line. A
    deduction that would take the balance below zero is refused."""
    worker = worker_by_code(session, code)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason: say why the points are given or taken")
    if points != points or points == 0 or abs(points) > MAX_HR_POINTS:  # NaN, 0, huge
        raise InvalidInput(f"points: not 0, at most {MAX_HR_POINTS} either way")
    category = None
    if category_code:
        category = session.scalars(select(PointCategory)
                                   .where(PointCategory.code == category_code)).first()
        if category is None:
            raise NotFound(f"no point category {category_code!r}")
    if points < 0:
        lock_worker(session, worker.id)
        now = balance(session, worker.id)
        if now + points < 0:
            raise Conflict(f"too few points: {worker.code} has {now:g}; a deduction of "
                           f"{-points:g} would take the balance below zero")
    at = utcnow()
    entry = PointEntry(worker_id=worker.id, category_id=category.id if category else None,
                       points=_round(points), date=today, status=EntryStatus.APPROVED,
                       reason=reason, given_by_user_id=user_id, decided_by_user_id=user_id,
                       decided_at=at, decision_note="HR line")
    session.add(entry)
    session.flush()
    line = line_for_entry(session, entry, LedgerSource.HR, actor)
    assert line is not None
    session.flush()
    record(session, actor, "point.hr", "point_entry", entry.id,
           after={"worker_id": worker.id, "points": entry.points, "reason": reason,
                  "category": category_code, "date": today.isoformat(), "line": line.id})
    return line


def settle_leaver(session: Session, code: str, how: str, actor: str,
                  note: str | None = None) -> LedgerLine:
    """Pay out or forfeit a leaver's whole balance (the worker must be inactive)."""
    worker = worker_by_code(session, code)
    if how not in ("payout", "forfeit"):
        raise InvalidInput("how: payout or forfeit")
    if worker.active:
        raise Conflict(f"{worker.code} is still active: mark the worker as left first")
    lock_worker(session, worker.id)
    now = balance(session, worker.id)
    if now <= 0:
        raise Conflict(f"{worker.code} has no points to settle")
    source = LedgerSource.PAYOUT if how == "payout" else LedgerSource.FORFEIT
    line = add_line(session, worker, -now, source, actor,
                    reason=(note or "").strip() or f"leaver: {how}", audit=False)
    record(session, actor, f"ledger.{how}", "worker", worker.id,
           before={"balance": now}, after={"balance": 0.0, "line": line.id})
    return line
