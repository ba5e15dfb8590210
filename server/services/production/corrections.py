"""Production records as HR reads and corrects them.

A correction goes through `upsert_production` with the source `manual`, so it is audited
with the values before and after, and no kiosk report overwrites it later. A record in a
closed period is corrected only with `into_open`: the difference is then booked as an
adjustment in the first open period, and the closed period's snapshot stays as paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Machine, ProductionRecord, RecordSource, Worker, Workshop
from server.services import InvalidInput, NotFound
from server.services.periods.late import closed_on, refusal, settle_days
from server.services.production.records import ProductionRow, upsert_production

PAGE_SIZE = 100


@dataclass(frozen=True)
class ProductionFilter:
    workshop: str = ""
    worker: str = ""
    machine: str = ""
    since: date | None = None
    until: date | None = None


def search(session: Session, flt: ProductionFilter,
           page: int = 1) -> tuple[list[ProductionRecord], int]:
    query = (select(ProductionRecord).join(Worker, ProductionRecord.worker_id == Worker.id)
             .join(Machine, ProductionRecord.machine_id == Machine.id))
    if flt.workshop:
        query = query.join(Workshop, Worker.workshop_id == Workshop.id).where(
            Workshop.code == flt.workshop)
    if flt.worker:
        query = query.where(Worker.code == flt.worker)
    if flt.machine:
        query = query.where(Machine.code == flt.machine)
    if flt.since:
        query = query.where(ProductionRecord.date >= flt.since)
    if flt.until:
        query = query.where(ProductionRecord.date <= flt.until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ProductionRecord.date.desc(), Worker.code, ProductionRecord.shift)
        .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total


def get_record(session: Session, record_id: int) -> ProductionRecord:
    found = session.get(ProductionRecord, record_id)
    if found is None:
        raise NotFound(f"no production record {record_id}")
    return found


def correct(session: Session, record_id: int, planned_minutes: float, run_minutes: float,
            output: int, defects: int, reason: str, actor: str, *,
            zone: ZoneInfo, into_open: bool = False) -> ProductionRecord:
    found = get_record(session, record_id)
    period = closed_on(session, found.worker.workshop_id, found.date)
    if period is not None and not into_open:
        raise InvalidInput(f"date: {refusal(period)}; tick \"book into the open period\" to "
                           "correct it there")
    if not reason.strip():
        raise InvalidInput("reason: say why the record is corrected")
    if planned_minutes < 0 or run_minutes < 0 or output < 0 or defects < 0:
        raise InvalidInput("values: none may be below 0")
    if run_minutes > planned_minutes > 0 or planned_minutes > 24 * 60:
        raise InvalidInput("run_minutes: more than planned_minutes, or more than a day")
    if defects > output:
        raise InvalidInput("defects: more than output")
    row = ProductionRow(found.date, found.shift, found.worker.code, found.machine.code,
                        planned_minutes, run_minutes, output, defects)
    upsert_production(session, [row], RecordSource.MANUAL, actor,
                      audit_context={"correction": reason.strip(), "record": record_id})
    if period is not None:
        session.flush()
        settle_days(session, [(found.worker, found.date)], actor=actor, zone=zone,
                    today=datetime.now(zone).date(), source="production",
                    what=f"record {record_id} corrected: {reason.strip()}")
    return found
