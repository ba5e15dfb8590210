"""The plant (factory.py) with what privacy must find (tests/server/privacy): A001 (张三)
with a photo and an older one, five badge taps last month, a claim with its picture, a
remark they gave another worker, last month closed for W1 (snapshots: the board, cards,
payroll). Both photo files are dated three years back."""

from __future__ import annotations

import base64
import io
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Config
from server.models import Event, Kiosk, PointEntry, Worker
from server.scoring import period_span
from server.services.people.workers import save_photo
from server.services.periods.closing import close_period
from support.factory import Plant, last_month_days

ACTOR = "test"


def jpeg(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Seeded:
    plant: Plant
    config: Config
    photo_dir: Path
    worker_id: int
    tap_days: list[date]
    claim_uuid: str
    picture: bytes
    old_photo: Path


def _photo(session: Session) -> str:
    return session.scalars(select(Worker.photo_path).where(Worker.code == "A001")).one() or ""


def seed(session: Session, plant: Plant, config: Config) -> Seeded:
    photos = config.data_dir / "photos"
    save_photo(session, "A001", jpeg("red"), photos, ACTOR)
    old_photo = photos / Path(_photo(session)).name
    save_photo(session, "A001", jpeg("blue"), photos, ACTOR)  # the first stays on disk
    workers = {w.code: w for w in session.scalars(select(Worker))}
    kiosk = session.scalars(select(Kiosk)).one()
    days = last_month_days(plant.today)[:5]
    for day in days:  # A001 badged in at 08:00, factory time
        at = datetime.combine(day, time(8), config.zone).astimezone(UTC)
        session.add(Event(uuid=str(uuid.uuid4()), kind="badge_in",
                          worker_id=workers["A001"].id, kiosk_id=kiosk.id, occurred_at=at,
                          payload={"kind": "card"}, body_hash="1" * 64))
    picture = jpeg("green")
    claim_uuid = str(uuid.uuid4())
    claimed = datetime.combine(days[0], time(10), config.zone).astimezone(UTC)
    claim = Event(uuid=claim_uuid, kind="point_claim", worker_id=workers["A001"].id,
                  kiosk_id=kiosk.id, occurred_at=claimed,
                  payload={"category": "help_colleague",
                           "photo_jpeg": base64.b64encode(picture).decode()},
                  body_hash="2" * 64)
    remark = Event(uuid=str(uuid.uuid4()), kind="remark", worker_id=workers["A002"].id,
                   kiosk_id=kiosk.id, occurred_at=claimed,
                   payload={"given_by": "A001", "points": 5, "note": "张三 说好"},
                   body_hash="3" * 64)
    session.add_all([claim, remark])
    session.flush()
    entry = session.get(PointEntry, plant.claim_id)
    assert entry is not None
    entry.event_id = claim.id
    month = period_span("month", plant.last_month).label
    close_period(session, "W1", "month", month, ACTOR, config.zone, plant.today, force=True,
                 reason="test")
    session.commit()
    long_ago = (datetime.now(UTC) - timedelta(days=3 * 365)).timestamp()
    for path in photos.iterdir():
        os.utime(path, (long_ago, long_ago))
    return Seeded(plant, config, photos, workers["A001"].id, days, claim_uuid, picture,
                  old_photo)
