"""Closing and reopening a period, and the list of periods with their state.

Closing a workshop's week or month:
1. refuses a period that has not ended, one that is already closed (reopen it first, with
   or without `force`), and a kind that is not the workshop's scheme's;
2. runs the completeness check (production/completeness.py); anything flagged refuses the
   close unless it is forced with a reason, which the snapshot keeps;
3. scores every worker of the workshop with every detail and stores the cards and the
   leaderboard as snapshot version n+1; from then on every reader gets the snapshot;
4. books in the first open period any adjustment the change of snapshot makes necessary
   (late.on_close) and audits the close, with what changed since the previous version.

Reopening needs a reason and an admin (the caller checks the role); it cancels the
adjustments this period caused in periods still open (late.on_reopen), since the late
data now counts where it belongs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.models import (
    PeriodState,
    ScoringScheme,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    Workshop,
    scheme_workshops,
    utcnow,
)
from server.scoring import Period, PeriodSpan, period_span
from server.services import Conflict, InvalidInput
from server.services.audit import record
from server.services.periods import late
from server.services.periods.calendar import (
    check_kind,
    parse_key,
    settled_kind,
    workshop_by_code,
)
from server.services.periods.snapshots import newest_snapshot
from server.services.production.completeness import check as completeness
from server.services.rewards import entitlements
from server.services.scores.scorecards import card_dict, standing_board
from server.services.scores.standings import build_standing


@dataclass
class CloseResult:
    workshop: str
    period: str
    version: int
    workers: int
    forced: bool
    flags: list[str]
    star: dict[str, Any] | None
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"workshop": self.workshop, "period": self.period, "state": "closed",
                "version": self.version, "workers": self.workers, "forced": self.forced,
                "flags": self.flags, "star": self.star, "changes": self.changes}


def _label(kind: Period, key: str) -> str:
    return f"{kind.value} {key}"


def _period_row(session: Session, workshop: Workshop, span: PeriodSpan) -> SettledPeriod | None:
    return session.scalars(select(SettledPeriod).where(
        SettledPeriod.workshop_id == workshop.id, SettledPeriod.kind == span.kind.value,
        SettledPeriod.key == span.label)).first()


def _changes(before: dict[int, tuple[float, int | None, str | None, str]],
             after: dict[int, tuple[float, int | None, str | None, str]]) -> list[dict[str, Any]]:
    """What moved between two snapshot versions, worker by worker."""
    changed = []
    for worker_id in sorted(set(before) | set(after), key=lambda w: (after.get(w) or before[w])[3]):
        old, new = before.get(worker_id), after.get(worker_id)
        if old is not None and new is not None and old[:3] == new[:3]:
            continue
        code = (new or old)[3]  # type: ignore[index]
        changed.append({
            "worker": code,
            "total": [old[0] if old else None, new[0] if new else None],
            "rank": [old[1] if old else None, new[1] if new else None],
            "tier": [old[2] if old else None, new[2] if new else None],
        })
    return changed


def _snapshot_rows(session: Session, snapshot: Snapshot | None
                   ) -> dict[int, tuple[float, int | None, str | None, str]]:
    if snapshot is None:
        return {}
    rows = session.execute(select(SnapshotCard.worker_id, SnapshotCard.total, SnapshotCard.rank,
                                  SnapshotCard.tier, SnapshotCard.card)
                           .where(SnapshotCard.snapshot_id == snapshot.id))
    return {wid: (total, rank, tier, card["worker"]["code"])
            for wid, total, rank, tier, card in rows}


def version_changes(session: Session, period: SettledPeriod) -> list[dict[str, Any]]:
    """What changed between the newest snapshot and the one before it."""
    if period.version < 2:
        return []
    older = session.scalars(select(Snapshot).where(
        Snapshot.period_id == period.id, Snapshot.version == period.version - 1)).first()
    return _changes(_snapshot_rows(session, older),
                    _snapshot_rows(session, newest_snapshot(session, period)))


def _workshops(session: Session, code: str | None, span: PeriodSpan) -> list[Workshop]:
    if code is not None:
        return [workshop_by_code(session, code)]
    shops = [w for w in session.scalars(select(Workshop).order_by(Workshop.code))
             if settled_kind(session, w, span.start) is span.kind]
    if not shops:
        raise InvalidInput(f"no workshop is scored by the {span.kind.value}: nothing to close "
                           f"for {span.label}")
    return shops


def close_period(
    session: Session, workshop_code: str | None, kind: Period | str, key: str, actor: str,
    zone: ZoneInfo, today: date, *, force: bool = False, reason: str | None = None,
) -> list[CloseResult]:
    """Close the period `key` for one workshop (or, with None, for every workshop scored by
    that kind of period). Raises InvalidInput or Conflict, naming the workshop, before
    anything is written when any of them cannot be closed."""
    span = parse_key(kind, key)
    reason = (reason or "").strip() or None
    if force and not reason:
        raise InvalidInput("--force needs --reason: say why the period is closed with gaps")
    if span.end >= today:
        first = span.end + timedelta(days=1)
        raise InvalidInput(f"{span.label} has not ended yet (its last day is "
                           f"{span.end.isoformat()}): close it from {first.isoformat()} on")
    shops = _workshops(session, workshop_code, span)
    plans: list[tuple[Workshop, SettledPeriod | None, list[str]]] = []
    for workshop in shops:
        check_kind(session, workshop, span)
        row = _period_row(session, workshop, span)
        if row is not None and row.state is PeriodState.CLOSED:
            raise Conflict(f"{span.label} is already closed for {workshop.code} (version "
                           f"{row.version}, by {row.closed_by}): reopen it first")
        flags = [str(f) for f in completeness(session, workshop, span.start, span.end, today)]
        if flags and not force:
            shown = "; ".join(flags[:5]) + (f"; and {len(flags) - 5} more" if len(flags) > 5
                                            else "")
            raise InvalidInput(f"{span.label} for {workshop.code} is not complete: {shown}. "
                               "Fix the data, or close with --force --reason TEXT")
        plans.append((workshop, row, flags))
    return [_close_one(session, workshop, row, span, flags, actor, zone, force, reason)
            for workshop, row, flags in plans]


def _close_one(session: Session, workshop: Workshop, row: SettledPeriod | None,
               span: PeriodSpan, flags: list[str], actor: str, zone: ZoneInfo, force: bool,
               reason: str | None) -> CloseResult:
    standing = build_standing(session, workshop, span, zone, span.end, detail_all=True)
    board = standing_board(standing, workshop)
    star = None
    if span.kind is Period.MONTH and board["most_improved"]:
        best = board["most_improved"][0]
        star = {"code": best["code"], "name": best["name"], "improvement": best["improvement"]}
    board["star"] = star
    if row is None:
        row = SettledPeriod(workshop=workshop, kind=span.kind.value, key=span.label,
                            start=span.start, end=span.end, state=PeriodState.CLOSED,
                            version=0)
        session.add(row)
    previous = newest_snapshot(session, row) if row.id is not None else None
    before = _snapshot_rows(session, previous)
    row.version += 1
    row.state = PeriodState.CLOSED
    row.closed_at = utcnow()
    row.closed_by = actor
    row.reason = reason if force else row.reason
    snapshot = Snapshot(period=row, version=row.version, created_by=actor, forced=bool(flags),
                        reason=reason, flags=flags, board=board)
    session.add(snapshot)
    session.flush()
    after: dict[int, tuple[float, int | None, str | None, str]] = {}
    cards = []
    for placing in standing.placings:
        person = standing.people[placing.worker_code]
        card = card_dict(standing.card(placing.worker_code), person, workshop, session,
                         zone=zone)
        tier = card["tier"]["key"] if card.get("tier") else None
        cards.append({"snapshot_id": snapshot.id, "worker_id": person.id,
                      "total": card["total"], "rank": card["rank"], "tier": tier, "card": card})
        after[person.id] = (card["total"], card["rank"], tier, person.code)
    session.execute(insert(SnapshotCard), cards)
    changes = _changes(before, after) if previous is not None else []
    late.on_close(session, row, actor, zone)
    entitlements.grant_for_close(session, row, cards)
    record(session, actor, "period.close", "period", f"{workshop.code}/{span.label}",
           after={"version": row.version, "workers": len(cards), "forced": bool(flags),
                  "reason": reason, "flags": flags[:50], "star": star,
                  "changes": changes[:200]})
    return CloseResult(workshop.code, span.label, row.version, len(cards), bool(flags), flags,
                       star, changes)


def reopen_period(session: Session, workshop_code: str, kind: Period | str, key: str,
                  actor: str, reason: str | None) -> SettledPeriod:
    span = parse_key(kind, key)
    workshop = workshop_by_code(session, workshop_code)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("--reason is required: say why a settled period is reopened")
    row = _period_row(session, workshop, span)
    if row is None or row.state is not PeriodState.CLOSED:
        raise Conflict(f"{span.label} is open for {workshop.code}: nothing to reopen")
    row.state = PeriodState.REOPENED
    row.reopened_at = utcnow()
    row.reopened_by = actor
    row.reason = reason
    cancelled = late.on_reopen(session, row, actor)
    record(session, actor, "period.reopen", "period", f"{workshop.code}/{span.label}",
           before={"state": "closed", "version": row.version},
           after={"state": "reopened", "reason": reason, "adjustments_cancelled": cancelled})
    return row


def _first_scheme_day(session: Session, workshop: Workshop) -> date | None:
    return session.scalar(select(ScoringScheme.effective_from)
                          .join(scheme_workshops,
                                scheme_workshops.c.scheme_id == ScoringScheme.id)
                          .where(scheme_workshops.c.workshop_id == workshop.id)
                          .order_by(ScoringScheme.effective_from).limit(1))


def list_periods(session: Session, workshop_code: str | None, today: date,
                 *, back: int = 12) -> list[dict[str, Any]]:
    """Each workshop's periods, newest first: every closed or reopened one, and the open
    ones of the last `back` periods (the current one included)."""
    shops = ([workshop_by_code(session, workshop_code)] if workshop_code is not None
             else list(session.scalars(select(Workshop).order_by(Workshop.code))))
    out: list[dict[str, Any]] = []
    for workshop in shops:
        kind = settled_kind(session, workshop, today)
        rows = {(r.kind, r.key): r for r in session.scalars(
            select(SettledPeriod).where(SettledPeriod.workshop_id == workshop.id))}
        first = _first_scheme_day(session, workshop)
        spans: dict[tuple[str, str], PeriodSpan] = {}
        if kind is not None and first is not None:
            span = period_span(kind, today)
            for _ in range(back):
                if span.end < first:
                    break
                spans[(kind.value, span.label)] = span
                span = period_span(kind, span.start - timedelta(days=1))
        for r in rows.values():
            spans[(r.kind, r.key)] = PeriodSpan(Period(r.kind), r.start, r.end)
        for (kind_value, key), span in sorted(spans.items(), key=lambda i: i[1].start,
                                              reverse=True):
            found = rows.get((kind_value, key))
            out.append(_listed(workshop, kind_value, key, span, found, today))
    return out


def _listed(workshop: Workshop, kind: str, key: str, span: PeriodSpan,
            r: SettledPeriod | None, today: date) -> dict[str, Any]:
    return {
        "workshop": workshop.code, "kind": kind, "period": key,
        "start": span.start.isoformat(), "end": span.end.isoformat(),
        "state": (r.state.value if r is not None else PeriodState.OPEN.value),
        "version": r.version if r is not None else 0,
        "closed_at": r.closed_at.isoformat() if r is not None and r.closed_at else None,
        "closed_by": r.closed_by if r is not None else None,
        "reason": r.reason if r is not None else None,
        "ended": span.end < today,
    }
