"""A small, fully controlled factory for tests that need scores with known order."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from server.models import Machine, ProductionRecord, RecordSource, Role, Worker, Workshop
from server.services.scores.schemes import import_scheme
from server.services.security import hash_secret

SUPERVISOR_PIN = "246810"

WEEKLY_SCHEME = """\
name: W1 weekly
workshops: [W1]
period: week
mode: threshold
effective_from: 2020-01-06
dimensions:
  - {key: uptime, target: 0.75, points: 60}
  - {key: output, target: 100, points: 40}
hourly_points: 1
tiers:
  - {key: excellent, top_percent: 10}
  - {key: good, top_percent: 20}
  - {key: improved, most_improved_percent: 10}
"""


def small_factory(session: Session, today: date) -> None:
    """W1 with eight workers A00..A07 whose uptime today rises with their number (so the
    order is known and A02 sits just outside the top 5), a supervisor S01, and W2 with one
    worker and no scheme. The caller commits."""
    w1, w2 = Workshop(code="W1", name="机加工车间"), Workshop(code="W2", name="装配车间")
    machine = Machine(code="M1", name="车床", workshop=w1)
    session.add_all([w1, w2, machine])
    for i in range(8):
        worker = Worker(code=f"A{i:02d}", name=f"工人{i}", workshop=w1)
        session.add(worker)
        session.add(ProductionRecord(
            date=today, shift="day", worker=worker, machine=machine, planned_minutes=480,
            run_minutes=480 * (0.35 + i * 0.09), output=20 * i, defects=0,
            source=RecordSource.MES))
    session.add(Worker(code="S01", name="李主管", workshop=w1, role=Role.SUPERVISOR,
                       pin_hash=hash_secret(SUPERVISOR_PIN)))
    session.add(Worker(code="B01", name="装配工", workshop=w2))
    import_scheme(session, WEEKLY_SCHEME, actor="test")
