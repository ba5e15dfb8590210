"""A small plant for the admin tests, built through the services: two workshops, workers,
a monthly scheme, last month's and this week's production, a pending claim, an open
appeal, an enrolled kiosk with an unknown badge tap, and users of every role.

`expected_scores` recomputes last month's standings with the pure scoring engine from
the same numbers, for tests that check what the reports say.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    PointCategory,
    PointEntry,
    RecordSource,
    UserRole,
    Worker,
)
from server.scoring import ProductionRow as EngineRow
from server.scoring import Scorecard, WorkerInputs, period_span, rank, score
from server.scoring.schemes import parse_yaml
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.imports import import_workers
from server.services.people.badges import assign_card
from server.services.people.users import create_user
from server.services.production.records import ProductionRow, upsert_production
from server.services.scores.schemes import import_scheme
from server.services.setup import add_default_categories, add_user

PASSWORD = "admin password 1"
WORKERS_CSV = """code,name,workshop,role,language
A001,张三,W1,worker,zh_CN
A002,李四,W1,worker,zh_CN
A003,王五,W1,worker,en
S001,赵六,W1,supervisor,zh_CN
B001,陈七,W2,worker,zh_CN
B002,周八,W2,worker,zh_CN
"""
SCHEME = """
name: 月度方案
workshops: [W1, W2]
period: month
mode: threshold
effective_from: {start}
dimensions:
  - {{key: uptime, target: 0.75, points: 60}}
  - {{key: defect_rate, target: 0.03, points: 30}}
  - {{key: output, target: 900, points: 10}}
tiers:
  - {{key: excellent, name: 优秀, top_percent: 10}}
  - {{key: good, name: 良好, top_percent: 20}}
  - {{key: improved, name: 进步之星, most_improved_percent: 10}}
"""
# worker -> (planned, run, output, defects) per shift worked last month
LAST_MONTH = {
    "A001": (480, 430, 120, 1),
    "A002": (480, 300, 100, 6),
    "A003": (480, 400, 80, 2),
    "S001": (480, 360, 60, 0),
    "B001": (480, 470, 150, 3),
    "B002": (480, 320, 90, 1),
}
MACHINE = {"W1": "CNC-01", "W2": "ASM-01"}
SHOP = {"A001": "W1", "A002": "W1", "A003": "W1", "S001": "W1", "B001": "W2", "B002": "W2"}


@dataclass(frozen=True)
class Plant:
    today: date
    last_month: date
    kiosk_token: str
    claim_id: int
    appeal_id: int


def last_month_days(today: date) -> list[date]:
    """Every weekday of last month: the shifts the plant worked."""
    span = period_span("month", period_span("month", today).start - timedelta(days=1))
    days = [span.start + timedelta(days=i) for i in range(span.days)]
    return [d for d in days if d.weekday() < 5]


def production_rows(today: date) -> list[ProductionRow]:
    rows = []
    for index, day in enumerate(last_month_days(today)):
        for code, (planned, run, out, defects) in LAST_MONTH.items():
            wobble = (index * 7 + len(code)) % 5
            rows.append(ProductionRow(day, "day", code, MACHINE[SHOP[code]], planned,
                                      min(planned, run + wobble * 3), out + wobble, defects))
    week_start = today - timedelta(days=today.weekday())
    for offset in range((today - week_start).days + 1):
        day = week_start + timedelta(days=offset)
        if day < today.replace(day=1):
            continue  # early in a month this week began last month: that day has its row
        for code in ("A001", "A002", "B001"):
            rows.append(ProductionRow(day, "day", code, MACHINE[SHOP[code]], 480, 400, 100, 2))
    return rows


def build_plant(session: Session, today: date, *, with_admin: bool = True) -> Plant:
    actor = "test"
    if with_admin:
        add_user(session, "admin", UserRole.ADMIN, PASSWORD, actor)
    add_default_categories(session, actor)
    import_workers(session, WORKERS_CSV.encode(), "workers.csv", actor=actor)
    session.flush()
    create_user(session, "sup1", UserRole.SUPERVISOR, PASSWORD, ["W1"], actor)
    create_user(session, "view1", UserRole.VIEWER, PASSWORD, [], actor)
    month_start = period_span("month", today).start
    scheme_start = period_span("month", month_start - timedelta(days=40)).start
    import_scheme(session, SCHEME.format(start=scheme_start.isoformat()), actor)
    upsert_production(session, production_rows(today), RecordSource.IMPORT, actor)
    assign_card(session, "A001", "04:A2:3B:1C", actor)
    issued = add_kiosk(session, "K1", ["W1"], actor)
    kiosk, token = enroll(session, issued.code)
    workers = {w.code: w for w in session.scalars(select(Worker))}
    category = session.scalars(
        select(PointCategory).where(PointCategory.code == "help_colleague")).one()
    claim = PointEntry(worker_id=workers["A001"].id, category_id=category.id,
                       points=category.points, date=today, status=EntryStatus.PENDING,
                       reason="帮王五搬料")
    last = last_month_days(today)[0]
    appeal = Appeal(worker_id=workers["A002"].id, period="month",
                    period_start=period_span("month", last).start, dimension="uptime",
                    reason="machine_broken", status=AppealStatus.OPEN)
    tap = Event(uuid=str(uuid.uuid4()), kind="badge_in", worker_id=None, kiosk_id=kiosk.id,
                occurred_at=datetime.now(UTC), payload={"badge_hash": "ab" * 32,
                                                        "badge_kind": "card"},
                body_hash="0" * 64)
    session.add_all([claim, appeal, tap])
    session.flush()
    return Plant(today, last, token, claim.id, appeal.id)


def expected_scores(today: date) -> list[Scorecard]:
    """Last month's W1 standings computed by the pure engine from the seeded numbers."""
    start = period_span("month", today).start
    scheme_start = period_span("month", start - timedelta(days=40)).start
    scheme = parse_yaml(SCHEME.format(start=scheme_start.isoformat()))
    span = period_span("month", last_month_days(today)[0])
    rows: dict[str, list[EngineRow]] = {code: [] for code in LAST_MONTH}
    for number, row in enumerate(production_rows(today)):
        if span.contains(row.date):
            rows[row.worker_code].append(EngineRow(number, row.date, row.planned_minutes,
                                                   row.run_minutes, row.output, row.defects))
    cards = [score(scheme, WorkerInputs(code, production=tuple(found)), span, span.end)
             for code, found in rows.items() if SHOP[code] == "W1"]
    return rank(cards)
