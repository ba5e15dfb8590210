"""The demo factory: three workshops, about 60 workers, six weeks of believable data.

Everything is made from one seeded random generator, dated relative to today in the
factory's time zone, so the demo always shows a live-looking current week. Secrets (the
admin password, supervisor PINs) are generated per build and printed once, never fixed.
"""

from __future__ import annotations

import hashlib
import io
import random
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from server.config import Config
from server.db import Base, make_engine, make_sessionmaker
from server.models import (
    Appeal,
    AppealStatus,
    Badge,
    BadgeDigest,
    BadgeKind,
    EntryStatus,
    Language,
    LedgerSource,
    Machine,
    PointCategory,
    PointEntry,
    ProductionRecord,
    RecordSource,
    Role,
    Worker,
    Workshop,
)
from server.services.audit import record
from server.services.devices.keys import ServerKeys, load_keys
from server.services.points.ledger import line_for_entry
from server.services.scores.schemes import import_scheme
from server.services.security import hash_secret
from server.services.setup import initialise
from shopfloor_trust.pins import pin_check

SEED = 20260101
WEEKS = 6
WORKERS_PER_WORKSHOP = 20
SUPERVISORS_PER_WORKSHOP = 2
PHOTOS_PER_WORKSHOP = 8  # the first workers of each workshop get a drawn portrait

# code, name, machine prefix, machine name, machines, output per run minute, scheme mode
WORKSHOPS = (
    ("W1", "机加工车间", "CNC", "数控车床", 7, 0.25, "threshold"),
    ("W2", "装配车间", "ASM", "装配工位", 7, 1.0, "weighted"),
    ("W3", "注塑车间", "INJ", "注塑机", 6, 0.6, "weighted"),
)
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑"
            "梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏魏吕丁沈")
GIVEN_NAMES = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
               "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "国强",
               "志明", "春梅", "海燕", "小红", "建国", "立新", "红梅", "德华", "玉兰")
ENGLISH_SPEAKERS = ("Maria Santos", "Nguyen Van An", "John Carter")

THRESHOLD_SCHEME = """\
name: 机加工车间 周考核
workshops: [W1]
period: week
mode: threshold
effective_from: {start}
dimensions:
  - {{key: uptime,      target: 0.75, points: 60}}
  - {{key: defect_rate, target: 0.03, points: 30}}
  - {{key: output,      target: 550,  points: 10}}
hourly_points: 1
points_cap: 20
tiers:
  - {{key: excellent, top_percent: 10}}
  - {{key: good,      top_percent: 20}}
  - {{key: improved,  most_improved_percent: 10}}
"""

WEIGHTED_SCHEME = """\
name: 装配与注塑 周考核
workshops: [W2, W3]
period: week
mode: weighted
effective_from: {start}
dimensions:
  - {{key: uptime,      target: 0.80, weight: 40}}
  - {{key: defect_rate, target: 0.025, weight: 30}}
  - {{key: output,      target: 1500, weight: 20}}
  - {{key: points,      target: 10,   weight: 10}}
points_cap: 20
tiers:
  - {{key: excellent, top_percent: 10}}
  - {{key: good,      top_percent: 20}}
  - {{key: improved,  most_improved_percent: 10}}
"""


@dataclass
class DemoSummary:
    data_dir: str
    database: str
    workshops: int
    workers: int
    supervisors: dict[str, str] = field(default_factory=dict)
    machines: int = 0
    production_records: int = 0
    point_entries: int = 0
    sample_badges: dict[str, str] = field(default_factory=dict)
    admin_password: str | None = None
    missing_shift: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def to_text(self) -> str:
        lines = [
            f"demo factory built in {self.data_dir} ({self.database})",
            f"  {self.workshops} workshops, {self.workers} workers, {self.machines} machines, "
            f"{self.production_records} production records, {self.point_entries} point entries",
            f"  a missing night shift to find: {self.missing_shift}",
            "  supervisor PINs (shown once): "
            + ", ".join(f"{code} {pin}" for code, pin in self.supervisors.items()),
            "  badge card UIDs to try: "
            + ", ".join(f"{code} {uid}" for code, uid in self.sample_badges.items()),
        ]
        if self.admin_password:
            lines.append(f"  web login: admin / {self.admin_password} (shown once)")
        return "\n".join(lines)


def _reset(engine: Engine) -> None:
    """A fresh database: the SQLite file goes; on another engine every table is dropped."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(engine.url.database + suffix).unlink(missing_ok=True)
        return
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def card_uid(index: int) -> str:
    return f"04{0x5A0000 + index * 7919:012X}"


def build_demo(config: Config, admin_password: str | None = None) -> DemoSummary:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.database_url)
    _reset(engine)
    rng = random.Random(SEED)
    today = datetime.now(config.zone).date()
    try:
        with make_sessionmaker(engine)() as session:
            # The demo's own credentials, printed with its summary: a throwaway site.
            generated = None if admin_password else secrets.token_urlsafe(12)
            initialise(engine, session, admin_password or generated, actor="demo")
            summary = DemoSummary(
                data_dir=str(config.data_dir),
                database=engine.url.render_as_string(hide_password=True),
                workshops=len(WORKSHOPS), workers=0,
                admin_password=generated,
            )
            _populate(session, rng, today, summary, load_keys(config.data_dir))
            _photos(session, config.data_dir)
            session.commit()
    finally:
        engine.dispose()
    return summary


def _populate(session: Session, rng: random.Random, today: date, summary: DemoSummary,
              keys: ServerKeys) -> None:
    start = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    missing_day = start + timedelta(days=7 * (WEEKS - 2) + 2)
    summary.missing_shift = f"W3 night shift of {missing_day.isoformat()}"
    categories = {c.code: c for c in session.scalars(select(PointCategory))}
    index = 0
    for ws_code, ws_name, prefix, machine_name, n_machines, rate, _mode in WORKSHOPS:
        workshop = Workshop(code=ws_code, name=ws_name)
        machines = [Machine(code=f"{prefix}-{m + 1:02d}", name=f"{machine_name} {m + 1}号",
                            workshop=workshop) for m in range(n_machines)]
        session.add_all([workshop, *machines])
        summary.machines += n_machines
        supervisors: list[Worker] = []
        for slot in range(WORKERS_PER_WORKSHOP):
            index += 1
            worker = _make_worker(rng, index, workshop, slot)
            session.add(worker)
            session.add(Badge(worker=worker, kind=BadgeKind.CARD, digest=BadgeDigest.KEYED,
                              credential_hash=keys.card_digest(card_uid(index))))
            if len(summary.sample_badges) < 3 and worker.role == Role.WORKER:
                summary.sample_badges[worker.code] = card_uid(index)
            if worker.role == Role.SUPERVISOR:
                pin = f"{secrets.randbelow(10**6):06d}"
                worker.pin_hash = hash_secret(pin)
                worker.pin_digits, worker.pin_check = len(pin), pin_check(worker.code, pin)
                summary.supervisors[worker.code] = pin
                supervisors.append(worker)
                session.flush()
                continue
            machine = machines[slot % n_machines]
            summary.production_records += _production(
                session, rng, worker, machine, rate, start, today,
                skip_night=(missing_day if ws_code == "W3" else None),
            )
            summary.point_entries += _points(session, rng, worker, supervisors, categories,
                                             start, today)
        summary.workers += WORKERS_PER_WORKSHOP
        session.flush()
        record(session, "demo", "workshop.create", "workshop", ws_code,
               after={"name": ws_name, "workers": WORKERS_PER_WORKSHOP})
    # In force since well before the data starts, so last week and last month have a
    # scheme too and "most improved" can be judged from the first day.
    scheme_start = (start.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()
    import_scheme(session, THRESHOLD_SCHEME.format(start=scheme_start), actor="demo")
    import_scheme(session, WEIGHTED_SCHEME.format(start=scheme_start), actor="demo")
    _open_appeal(session, today)


def _make_worker(rng: random.Random, index: int, workshop: Workshop, slot: int) -> Worker:
    english = index in (7, 29, 51)
    name = (ENGLISH_SPEAKERS[(index // 22) % len(ENGLISH_SPEAKERS)] if english
            else rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES))
    return Worker(
        code=f"W{index:03d}", name=name, workshop=workshop,
        language=Language.EN if english else Language.ZH_CN,
        role=Role.SUPERVISOR if slot < SUPERVISORS_PER_WORKSHOP else Role.WORKER,
    )


def _production(session: Session, rng: random.Random, worker: Worker, machine: Machine,
                rate: float, start: date, today: date, skip_night: date | None) -> int:
    """Daily records with a personal level, a trend (improving, slipping or steady) and noise."""
    shift = "night" if rng.random() < 0.3 else "day"
    uptime0, defect0 = rng.uniform(0.64, 0.9), rng.uniform(0.008, 0.045)
    trend = rng.choice((0.018, -0.014, 0.0, 0.0, 0.0))
    count = 0
    day = start
    while day <= today:
        if day.weekday() < 6 and not (shift == "night" and day == skip_night):
            weeks_in = (day - start).days / 7
            uptime = min(0.98, max(0.35, uptime0 + trend * weeks_in + rng.gauss(0, 0.05)))
            defect = max(0.0, defect0 - trend * weeks_in * 0.4 + rng.gauss(0, 0.006))
            planned = 480.0
            run = round(planned * uptime)
            output = round(run * rate * rng.uniform(0.9, 1.1))
            session.add(ProductionRecord(
                date=day, shift=shift, worker=worker, machine=machine, planned_minutes=planned,
                run_minutes=float(run), output=output, defects=round(output * defect),
                source=RecordSource.MES,
            ))
            count += 1
        day += timedelta(days=1)
    return count


def _points(session: Session, rng: random.Random, worker: Worker, supervisors: list[Worker],
            categories: dict[str, PointCategory], start: date, today: date) -> int:
    """A few remarks and claims: mostly approved, some waiting for a supervisor, a few rejected."""
    count = 0
    span = (today - start).days
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        category = categories[rng.choice(list(categories))]
        day = start + timedelta(days=rng.randrange(span + 1))
        recent = (today - day).days <= 2
        status = (EntryStatus.PENDING if recent and category.needs_approval
                  else rng.choice((EntryStatus.APPROVED,) * 6 + (EntryStatus.REJECTED,)))
        supervisor = rng.choice(supervisors)
        # decided the next morning (factory time near enough), never in the future
        decided_at = (None if status == EntryStatus.PENDING
                      else min(datetime.combine(day + timedelta(days=1), time(1), UTC),
                               datetime.now(UTC)))
        entry = PointEntry(
            worker=worker, category=category, points=category.points, date=day, status=status,
            reason=category.name,
            given_by_worker_id=None if category.needs_approval else supervisor.id,
            decided_by_worker_id=None if status == EntryStatus.PENDING else supervisor.id,
            decided_at=decided_at,
        )
        session.add(entry)
        if status == EntryStatus.APPROVED:  # paid into the worker's points account
            session.flush()
            line_for_entry(session, entry, LedgerSource.CLAIM if category.needs_approval
                           else LedgerSource.REMARK, "demo")
        count += 1
    return count


def _open_appeal(session: Session, today: date) -> None:
    worker = session.scalars(select(Worker).where(Worker.code == "W010")).one()
    session.add(Appeal(worker=worker, period="week",
                       period_start=today - timedelta(days=today.weekday() + 7),
                       dimension="uptime", reason="machine_broken",
                       status=AppealStatus.OPEN))


def avatar_jpeg(code: str, size: tuple[int, int] = (240, 300)) -> bytes:
    """A drawn head-and-shoulders portrait whose colours come from the worker code: a
    stand-in for the photo HR would upload, so the kiosk shows a picture, not an icon."""
    digest = hashlib.sha256(code.encode()).digest()
    width, height = size
    backgrounds = ((196, 222, 240), (222, 236, 206), (244, 224, 200), (230, 216, 238))
    skins = ((241, 206, 176), (224, 180, 140), (198, 150, 112), (250, 220, 196))
    hairs = ((40, 32, 28), (70, 50, 36), (20, 20, 24), (110, 80, 52))
    uniforms = ((30, 90, 160), (40, 110, 80), (60, 70, 90), (170, 70, 50))
    image = Image.new("RGB", size, backgrounds[digest[0] % 4])
    draw = ImageDraw.Draw(image)
    cx, head = width // 2, width * 0.22
    top = height * 0.22
    draw.ellipse((cx - width * 0.44, height * 0.66, cx + width * 0.44, height * 1.3),
                 fill=uniforms[digest[1] % 4])
    draw.rectangle((cx - width * 0.1, top + head * 1.7, cx + width * 0.1, height * 0.7),
                   fill=skins[digest[2] % 4])
    draw.ellipse((cx - head * 1.06, top - head * 0.12, cx + head * 1.06, top + head * 1.55),
                 fill=hairs[digest[3] % 4])
    draw.ellipse((cx - head, top + head * 0.2, cx + head, top + head * 2.2),
                 fill=skins[digest[2] % 4])
    for side in (-1, 1):
        ex = cx + side * head * 0.38
        draw.ellipse((ex - 6, top + head * 1.05 - 6, ex + 6, top + head * 1.05 + 6),
                     fill=(40, 40, 40))
    draw.arc((cx - head * 0.4, top + head * 1.2, cx + head * 0.4, top + head * 1.75),
             20, 160, fill=(150, 70, 60), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _photos(session: Session, data_dir: Path) -> None:
    """Portraits for the first workers of each workshop, in `<data dir>/photos` (the
    folder HR's uploads go to), named like uploads: code and content hash."""
    folder = data_dir / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    workers = session.scalars(select(Worker).order_by(Worker.code))
    slots: dict[int, int] = {}
    for worker in workers:
        slot = slots[worker.workshop_id] = slots.get(worker.workshop_id, -1) + 1
        if slot >= PHOTOS_PER_WORKSHOP:
            continue
        jpeg = avatar_jpeg(worker.code)
        name = f"{worker.code}-{hashlib.sha256(jpeg).hexdigest()[:12]}.jpg"
        (folder / name).write_bytes(jpeg)
        worker.photo_path = f"photos/{name}"
