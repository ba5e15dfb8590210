"""The one test factory: the data tests stand on, written through the services a real
client uses (imports, the admin's services, kiosk enrolment), never as bare rows where a
service exists. Three plants, from small to large:

- `small_factory`: W1 with eight workers whose scores have a known order, for the wall
  (tests/server/test_wall.py, the browser test) and the discovery tests' live servers.
- `build_factory`: what the API tests stand on: two workshops, workers, machines, enrolled
  kiosks K1 and K2 and an integration token; with `bearer` and `make_event` to talk to it.
- `build_plant`: the admin's plant: a monthly scheme, last month's and this week's
  production, a pending claim, an open appeal, an unknown badge tap, users of every role;
  with `expected_scores`, last month's standings recomputed by the pure engine.

Card badges are digested with the site key: `build_plant` takes the app's keys
(`keys=app.extensions["shopfloor.keys"]`, or `load_keys(data_dir)` for a live server's
folder) and falls back to TEST_KEYS, fixed keys that no server loads. Supervisors have
6-digit PINs: SUPERVISOR_PIN (S001 and S01 of every plant) and OTHER_SUPERVISOR_PIN (S101).

Workshops and named machines have no service that makes them (an import names a workshop
or machine by its code only), so those rows are added directly; each function says which
other rows it still adds directly, and why.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Config
from server.models import (
    Appeal,
    AppealStatus,
    EntryStatus,
    Event,
    Language,
    Machine,
    PointCategory,
    PointEntry,
    RecordSource,
    Role,
    TrainingVideo,
    UnknownTap,
    UserRole,
    Worker,
    Workshop,
)
from server.scoring import ProductionRow as EngineRow
from server.scoring import Scorecard, WorkerInputs, period_span, rank, score
from server.scoring.schemes import parse_yaml
from server.services.devices.keys import ServerKeys
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.devices.tokens import add_integration_token
from server.services.imports import import_workers
from server.services.people.badges import assign_card
from server.services.people.users import create_user
from server.services.people.workers import WorkerForm, create_worker
from server.services.production.records import ProductionRow, upsert_production
from server.services.scores.schemes import import_scheme
from server.services.security import hash_secret
from server.services.setup import add_default_categories, add_user
from server.services.training.videos import Assignment, add_video, video_dir
from shopfloor_trust.pins import pin_check

ACTOR = "test"
# Keys for plants built without the app's: fixed, so a test can make the same digests.
TEST_KEYS = ServerKeys(site_key=bytes(range(32)),
                       sealing=X25519PrivateKey.from_private_bytes(bytes(range(32, 64))))


# --- The small factory: scores with a known order ------------------------------------

SUPERVISOR_PIN = "246810"  # S01 of the small factory, S001 of the API's and the admin's
OTHER_SUPERVISOR_PIN = "135790"  # S101 of the API's factory

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
    order is known and A02 sits just outside the wall's top 4, the top half of eight), a
    supervisor S01, and W2 with one worker and no scheme. The caller commits.

    Every output meets the week's output target (100) in full: a week in progress judges
    output against the target pro-rated to the days elapsed, so outputs below 100 would
    meet it early in the week and miss it later, and the order of the board (who a remark
    lifts into the top 4) would depend on the weekday the tests run on."""
    w1, w2 = Workshop(code="W1", name="机加工车间"), Workshop(code="W2", name="装配车间")
    session.add_all([w1, w2, Machine(code="M1", name="车床", workshop=w1)])
    codes = [f"A{i:02d}" for i in range(8)]
    for i, code in enumerate(codes):
        create_worker(session, WorkerForm(code, f"工人{i}", "W1", Role.WORKER,
                                          Language.ZH_CN), ACTOR)
    create_worker(session, WorkerForm("S01", "李主管", "W1", Role.SUPERVISOR, Language.ZH_CN,
                                      SUPERVISOR_PIN), ACTOR)
    create_worker(session, WorkerForm("B01", "装配工", "W2", Role.WORKER, Language.ZH_CN),
                  ACTOR)
    upsert_production(session, [
        ProductionRow(today, "day", code, "M1", 480, 480 * (0.35 + i * 0.09), 100 + 20 * i,
                      0)
        for i, code in enumerate(codes)], RecordSource.MES, ACTOR)
    import_scheme(session, WEEKLY_SCHEME, actor=ACTOR)


# --- The API's factory: enrolled kiosks and an integration token ---------------------

API_SCHEME = """
name: test scheme
workshops: [W1, W2]
period: week
mode: threshold
effective_from: 2026-01-01
dimensions:
  - {key: uptime, target: 0.75, points: 60}
  - {key: defect_rate, target: 0.03, points: 30}
  - {key: output, target: 900, points: 10}
tiers:
  - {key: excellent, top_percent: 10}
  - {key: good, top_percent: 20}
"""


@functools.cache
def pin_hash(pin: str) -> str:
    """argon2 is slow on purpose; hash each test PIN once per run."""
    return hash_secret(pin)


def pin_fields(code: str, pin: str) -> dict[str, Any]:
    """What `create_worker` keeps of a supervisor's PIN, for workers added as rows."""
    return {"pin_hash": pin_hash(pin), "pin_digits": len(pin), "pin_check": pin_check(code, pin)}


@dataclass(frozen=True)
class Factory:
    kiosk_token: str
    other_kiosk_token: str
    integration_token: str


def build_factory(session: Session) -> Factory:
    """Workshops W1 and W2, their workers and machines, the default point categories, a
    weekly scheme, kiosks K1 (W1) and K2 (W2) enrolled, and an MES token `mes`. Commits.

    The workers are added as rows, not through `create_worker`: that would hash the two
    supervisors' PINs with argon2 for every API test (`pin_hash` hashes each once a run)
    and add an audit entry per worker."""
    w1, w2 = Workshop(code="W1", name="机加工车间"), Workshop(code="W2", name="装配车间")
    session.add_all([w1, w2])
    session.add_all([
        Worker(code="W001", name="张三", workshop=w1),
        Worker(code="W002", name="李四", workshop=w1, language="en"),
        Worker(code="S001", name="王主管", workshop=w1, role=Role.SUPERVISOR,
               **pin_fields("S001", SUPERVISOR_PIN)),
        Worker(code="W101", name="赵六", workshop=w2),
        Worker(code="S101", name="钱主管", workshop=w2, role=Role.SUPERVISOR,
               **pin_fields("S101", OTHER_SUPERVISOR_PIN)),
        Worker(code="W999", name="离职", workshop=w1, active=False),
        Machine(code="M1", name="CNC-1", workshop=w1),
        Machine(code="M2", name="CNC-2", workshop=w1),
        Machine(code="M9", name="Press-9", workshop=w2),
    ])
    session.flush()
    add_default_categories(session, ACTOR)
    import_scheme(session, API_SCHEME, ACTOR)
    codes = [add_kiosk(session, name, [shop], ACTOR).code
             for name, shop in (("K1", "W1"), ("K2", "W2"))]
    tokens = [enroll(session, code)[1] for code in codes]
    _, integration = add_integration_token(session, "mes", "production", ACTOR)
    session.commit()
    return Factory(tokens[0], tokens[1], integration)


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def make_event(kind: str, worker: str | None = "W001", payload: dict[str, Any] | None = None,
               occurred_at: datetime | str | None = None, **fields: Any) -> dict[str, Any]:
    when = occurred_at or datetime.now(UTC).replace(microsecond=0)
    return {
        "uuid": str(uuid.uuid4()), "kind": kind, "worker": worker,
        "occurred_at": when if isinstance(when, str) else when.isoformat(),
        "payload": payload if payload is not None else {}, **fields,
    }


# What the `post_events` fixture returns: post events as kiosk K1, get their results.
PostEvents = Callable[..., list[dict[str, Any]]]


def add_training_video(session: Session, config: Config, clip: Path,
                       **assign: Any) -> TrainingVideo:
    """The clip added as a training video (probed, thumbnailed) the way the CLI and the
    admin's upload add one. Commits."""
    incoming = video_dir(config.data_dir) / "incoming.mp4"
    incoming.write_bytes(clip.read_bytes())
    video = add_video(session, config.data_dir, incoming,
                      Assignment(title="安全操作", title_en="Safety", **assign), ACTOR)
    session.commit()
    return video


# --- The admin's plant: a month of production and something to decide ----------------

PASSWORD = "admin password 1"
WORKERS_CSV = """code,name,workshop,role,language
A001,张三,W1,worker,zh_CN
A002,李四,W1,worker,zh_CN
A003,王五,W1,worker,en
S001,赵六,W1,supervisor,zh_CN
B001,陈七,W2,worker,zh_CN
B002,周八,W2,worker,zh_CN
"""
PLANT_SCHEME = """
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


def plant_zone(app: Flask) -> ZoneInfo:
    """The zone the plant's `today` is taken in: the app's."""
    config: Config = app.config["SHOPFLOOR"]
    return config.zone


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


PLANT_CARD = "04:A2:3B:1C"  # A001's card
UNKNOWN_CARD = "04C0FFEE"  # tapped at K1, nobody's


def build_plant(session: Session, today: date, *, with_admin: bool = True,
                keys: ServerKeys | None = None) -> Plant:
    """Users admin (unless `with_admin` is false: the live server's setup makes one),
    sup1 (W1) and view1; the workers of WORKERS_CSV imported, supervisor S001 with
    SUPERVISOR_PIN; the monthly scheme; last month's production; card PLANT_CARD for A001
    (digested with `keys`, TEST_KEYS by default); kiosk K1 enrolled. The caller commits.

    The pending claim, the open appeal and K1's tap of an unknown card (UNKNOWN_CARD) are
    added as rows: only the kiosk's events make them (POST /api/v1/events), and sending
    those would add events, audit entries and links to them that the admin tests do not
    expect. S001's PIN is set on the row for the same reason."""
    actor = ACTOR
    keys = keys or TEST_KEYS
    if with_admin:
        add_user(session, "admin", UserRole.ADMIN, PASSWORD, actor)
    add_default_categories(session, actor)
    import_workers(session, WORKERS_CSV.encode(), "workers.csv", actor=actor)
    session.flush()
    create_user(session, "sup1", UserRole.SUPERVISOR, PASSWORD, ["W1"], actor)
    create_user(session, "view1", UserRole.VIEWER, PASSWORD, [], actor)
    month_start = period_span("month", today).start
    scheme_start = period_span("month", month_start - timedelta(days=40)).start
    import_scheme(session, PLANT_SCHEME.format(start=scheme_start.isoformat()), actor)
    upsert_production(session, production_rows(today), RecordSource.IMPORT, actor)
    assign_card(session, keys, "A001", PLANT_CARD, actor)
    issued = add_kiosk(session, "K1", ["W1"], actor)
    kiosk, token = enroll(session, issued.code)
    workers = {w.code: w for w in session.scalars(select(Worker))}
    for name, value in pin_fields("S001", SUPERVISOR_PIN).items():
        setattr(workers["S001"], name, value)
    category = session.scalars(
        select(PointCategory).where(PointCategory.code == "help_colleague")).one()
    claim = PointEntry(worker_id=workers["A001"].id, category_id=category.id,
                       points=category.points, date=today, status=EntryStatus.PENDING,
                       reason="帮王五搬料")
    last = last_month_days(today)[0]
    appeal = Appeal(worker_id=workers["A002"].id, period="month",
                    period_start=period_span("month", last).start, dimension="uptime",
                    reason="machine_broken", status=AppealStatus.OPEN)
    tapped = datetime.now(UTC)
    tap = Event(uuid=str(uuid.uuid4()), kind="badge_in", worker_id=None, kiosk_id=kiosk.id,
                occurred_at=tapped, payload={"kind": "card", "reader": "pcsc",
                                             "unknown": True},
                body_hash="0" * 64)
    unknown = UnknownTap(kiosk_id=kiosk.id, kind="card", number=UNKNOWN_CARD,
                         digest=keys.card_digest(UNKNOWN_CARD), event_uuid=tap.uuid,
                         seen_at=tapped)
    session.add_all([claim, appeal, tap, unknown])
    session.flush()
    return Plant(today, last, token, claim.id, appeal.id)


def expected_scores(today: date) -> list[Scorecard]:
    """Last month's W1 standings computed by the pure engine from the seeded numbers."""
    start = period_span("month", today).start
    scheme_start = period_span("month", start - timedelta(days=40)).start
    scheme = parse_yaml(PLANT_SCHEME.format(start=scheme_start.isoformat()))
    span = period_span("month", last_month_days(today)[0])
    rows: dict[str, list[EngineRow]] = {code: [] for code in LAST_MONTH}
    for number, row in enumerate(production_rows(today)):
        if span.contains(row.date):
            rows[row.worker_code].append(EngineRow(number, row.date, row.planned_minutes,
                                                   row.run_minutes, row.output, row.defects))
    cards = [score(scheme, WorkerInputs(code, production=tuple(found)), span, span.end)
             for code, found in rows.items() if SHOP[code] == "W1"]
    return rank(cards)
