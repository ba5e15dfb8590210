"""What a kiosk may read beyond its roster: scorecards, leaderboards, claims, photos.

A kiosk reads only the workers and workshops it serves; anything else is Forbidden (403)
even when it exists, and an unknown name is NotFound (404).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from server.models import EntryStatus, Event, Kiosk, PointCategory, PointEntry, Worker, Workshop
from server.services import NotFound
from server.services.devices.roster import require_workshop, served_worker, served_workshop_ids
from server.services.events.kinds import EventKind
from server.services.scores.privacy import celebrated, private_rank
from server.services.scores.scorecards import StandingsCache, leaderboard, worker_scorecard

MAX_CLAIMS = 200


def kiosk_scorecard(session: Session, kiosk: Kiosk, worker_code: str, period: str,
                    on: date, zone: ZoneInfo,
                    cache: StandingsCache | None = None) -> dict[str, Any]:
    """The worker's card as a kiosk on the shop floor may show it: the rank only in the
    top 20 % of the workshop (services/scores/privacy.py)."""
    served_worker(session, kiosk, worker_code)
    return private_rank(worker_scorecard(session, worker_code, period, on, zone, cache=cache))


def kiosk_leaderboard(session: Session, kiosk: Kiosk, workshop_code: str, period: str,
                      on: date, zone: ZoneInfo,
                      cache: StandingsCache | None = None) -> dict[str, Any]:
    """The standings a kiosk may show: as the wall's, the top 5 within the top half only."""
    require_workshop(kiosk, workshop_code)
    return celebrated(leaderboard(session, workshop_code, period, on, zone, cache=cache))


def pending_claims(session: Session, kiosk: Kiosk,
                   workshop_code: str | None) -> list[dict[str, Any]]:
    """Claims waiting for a supervisor, oldest first, with the photo sent with each."""
    if workshop_code is not None:
        require_workshop(kiosk, workshop_code)
        workshop_ids = {w.id for w in kiosk.workshops if w.code == workshop_code}
    else:
        workshop_ids = served_workshop_ids(kiosk)
    claimant = aliased(Worker)
    rows = session.execute(
        select(PointEntry, Event, claimant, PointCategory, Workshop)
        .join(Event, PointEntry.event_id == Event.id)
        .join(claimant, PointEntry.worker_id == claimant.id)
        .join(Workshop, claimant.workshop_id == Workshop.id)
        .join(PointCategory, PointEntry.category_id == PointCategory.id)
        .where(PointEntry.status == EntryStatus.PENDING, Event.kind == EventKind.POINT_CLAIM.value,
               claimant.workshop_id.in_(workshop_ids))
        .order_by(Event.occurred_at, Event.id)
        .limit(MAX_CLAIMS)
    )
    return [
        {
            "id": event.uuid, "worker": worker.code, "worker_name": worker.name,
            "workshop": workshop.code, "category": category.code, "points": entry.points,
            "note": entry.reason, "occurred_at": event.occurred_at.isoformat(),
            "photo_jpeg": event.payload.get("photo_jpeg"),
        }
        for entry, event, worker, category, workshop in rows
    ]


def photo_file(session: Session, kiosk: Kiosk, worker_code: str, data_dir: Path) -> Path:
    """The worker's photo, which must lie inside the data folder."""
    worker = served_worker(session, kiosk, worker_code)
    if not worker.photo_path:
        raise NotFound(f"worker {worker_code!r} has no photo")
    root = data_dir.resolve()
    path = (root / worker.photo_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"the photo of worker {worker_code!r} is missing")
    return path
