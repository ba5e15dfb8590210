"""Reading the audit log: filter and page. Writing and verifying live in `audit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    since: date | None = None
    until: date | None = None


def search(session: Session, flt: AuditFilter, zone: ZoneInfo,
           page: int = 1) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if flt.actor:
        query = query.where(AuditEntry.actor.ilike(f"%{flt.actor}%"))
    if flt.action:
        query = query.where(AuditEntry.action.ilike(f"{flt.action}%"))
    if flt.entity:
        query = query.where(AuditEntry.entity == flt.entity)
    if flt.entity_id:
        query = query.where(AuditEntry.entity_id == flt.entity_id)
    if flt.since:
        query = query.where(AuditEntry.at >= datetime.combine(flt.since, time(), zone))
    if flt.until:
        query = query.where(
            AuditEntry.at < datetime.combine(flt.until + timedelta(days=1), time(), zone))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.id.desc())
                           .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total


def entities(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity)))
