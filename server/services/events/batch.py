"""What the checks of one batch of kiosk events share: the kiosk, the clock, and the
workers, machines and categories the batch names, each looked up once.

Rejected
 +-- Kept        refused, and kept in the refused list for HR to book (services/events/refused.py)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from server.models import (
    Event,
    Kiosk,
    Machine,
    PeriodState,
    PointCategory,
    PointEntry,
    Role,
    SettledPeriod,
    Worker,
    kiosk_workshops,
)
from server.services.periods.late import ClosedPeriods

# A check returns the writes to make once the event row exists (it needs the event's id),
# or None when the event is stored as it is.
Plan = Callable[[Event], None]
Check = Callable[[Worker | None, Any, datetime], Plan | None]


class Rejected(Exception):
    """The event is refused; the message is the reason the kiosk is told."""


class Kept(Rejected):
    """Refused for its time (a closed period, the offline window, the future); ingest keeps
    it for HR to book into the open period, listed under `workshop_id`."""

    def __init__(self, reason: str, workshop_id: int | None) -> None:
        super().__init__(reason)
        self.workshop_id = workshop_id


class NoneClosed:
    """The closed periods of workshops that have none (as `ClosedPeriods`, read nothing)."""

    def __bool__(self) -> bool:
        return False

    def on(self, workshop_id: int | None, day: date) -> SettledPeriod | None:
        return None


_PERIODS = cast(Table, SettledPeriod.__table__)
# The kiosk's workshops, each with its closed periods' ids (None when it has none), in one
# query: most batches then read no period at all.
_SERVED = (
    select(kiosk_workshops.c.workshop_id, _PERIODS.c.id)
    .outerjoin(_PERIODS, (_PERIODS.c.workshop_id == kiosk_workshops.c.workshop_id)
               & (_PERIODS.c.state == PeriodState.CLOSED))
    .where(kiosk_workshops.c.kiosk_id == bindparam("kiosk"))
)


class Batch:
    """One batch of validated events for one kiosk, in one transaction."""

    def __init__(self, session: Session, kiosk: Kiosk, zone: ZoneInfo, now: datetime) -> None:
        self.session, self.kiosk, self.zone, self.now = session, kiosk, zone, now
        self.actor = f"kiosk:{kiosk.name}"
        served = session.execute(_SERVED, {"kiosk": kiosk.id}).all()
        self.workshops: set[int] = {workshop for workshop, _ in served}
        self.closed: ClosedPeriods | NoneClosed = (
            ClosedPeriods(session, self.workshops)
            if any(period is not None for _, period in served) else NoneClosed())
        self.late_entries: list[PointEntry] = []  # approved, dated in a closed period
        self.workers: dict[str, Worker] = {}
        self.machines: dict[str, Machine] = {}
        self._categories: dict[str, PointCategory] = {}

    def worker(self, code: str) -> Worker:
        """The active worker `code` of one of the kiosk's workshops, or Rejected."""
        worker = self.workers.get(code)
        if worker is None:
            worker = self.session.scalars(select(Worker).where(Worker.code == code)).first()
            if worker is None:
                raise Rejected(f"unknown worker {code!r}")
            self.workers[code] = worker
        if not worker.active:
            raise Rejected(f"worker {code!r} is not active")
        if worker.workshop_id not in self.workshops:
            raise Rejected(f"worker {code!r} is not in this kiosk's workshops")
        return worker

    def supervisor(self, code: str, field: str) -> Worker:
        """The supervisor named by the payload's `field`, or Rejected naming the field."""
        try:
            worker = self.worker(code)
        except Rejected as refusal:
            raise Rejected(f"{field}: {refusal}") from None
        if worker.role is not Role.SUPERVISOR:
            raise Rejected(f"{field}: worker {code!r} is not a supervisor")
        return worker

    def machine(self, code: str) -> Machine:
        machine = self.machines.get(code)
        if machine is None:
            machine = self.session.scalars(select(Machine).where(Machine.code == code)).first()
            if machine is None:
                raise Rejected(f"unknown machine {code!r}")
            self.machines[code] = machine
        if machine.workshop_id not in self.workshops:
            raise Rejected(f"machine {code!r} is not in this kiosk's workshops")
        return machine

    def category(self, code: str) -> PointCategory:
        if code not in self._categories:
            category = self.session.scalars(
                select(PointCategory).where(PointCategory.code == code)).first()
            if category is None or not category.active:
                raise Rejected(f"unknown point category {code!r}")
            self._categories[code] = category
        return self._categories[code]

    def points(self, category: PointCategory, asked: float | None) -> float:
        points = category.points if asked is None else asked
        if points > category.points:
            raise Rejected(f"payload.points: {points:g} is more than category "
                           f"{category.code!r} gives ({category.points:g})")
        return points

    def by(self, worker: Worker) -> str:
        """The audit log's actor for what `worker` did at this kiosk (by id: services/audit.py)."""
        return f"{self.actor}/worker:{worker.id}"
