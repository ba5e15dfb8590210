"""What a kiosk may read beyond its roster: scorecards, leaderboards, claims, photos.

A kiosk reads only the workers and workshops it serves; anything else is Forbidden (403)
even when it exists, and an unknown name is NotFound (404).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, text, true
from sqlalchemy.orm import Session, aliased

from server.models import (
    Alert,
    AuditEntry,
    EntryStatus,
    Event,
    Kiosk,
    PointCategory,
    PointEntry,
    ScoreStamp,
    Worker,
    Workshop,
)
from server.models.base import UTCDateTime
from server.scoring import period_span, previous_span
from server.services import InvalidInput, NotFound
from server.services.devices.roster import (
    require_workshop,
    roster_etag,
    served_worker,
    served_worker_ids,
    served_workshop_ids,
)
from server.services.events.kinds import EventKind
from server.services.scores.privacy import celebrated, private_rank
from server.services.scores.scorecards import StandingsCache, leaderboard, worker_scorecard
from server.services.scores.tasks import CURRENT_VISIT, last_visit_query

MAX_CLAIMS = 200


def kiosk_scorecard(session: Session, kiosk: Kiosk, worker_code: str, period: str,
                    on: date, zone: ZoneInfo,
                    cache: StandingsCache | None = None) -> dict[str, Any]:
    """The worker's card as a kiosk on the shop floor may show it: the rank only in the
    top 20 % of the workshop (services/scores/privacy.py)."""
    served_worker(session, kiosk, worker_code)
    return private_rank(worker_scorecard(session, worker_code, period, on, zone, cache=cache))


# Written out, not bound: a planner uses a partial index only for a query whose condition
# it can see implies the index's (SQLite never sees through a parameter).
_NOT_A_BADGE_IN = text("events.kind != 'badge_in'")


def _card_version_statement() -> Any:
    """What `scorecard_version` reads, in one statement built once: the newest audit id,
    the workshop's stamps from `first` to `last`, the worker's newest event other than a
    badge-in (the partial index `ix_events_worker_acts`), their last visit as the card's
    tasks count it (`tasks.last_visit`), the alerts."""
    stamps = select(func.coalesce(func.sum(ScoreStamp.stamp), 0).label("total"),
                    func.count().label("days")).where(
        ScoreStamp.workshop_id == bindparam("shop"),
        ScoreStamp.date.between(bindparam("first"), bindparam("last"))).subquery()
    alerts = select(func.coalesce(func.max(Alert.id), 0).label("newest"),
                    func.count(Alert.resolved_at).label("resolved")).subquery()
    return (select(select(func.coalesce(func.max(AuditEntry.id), 0)).scalar_subquery(),
                   stamps.c.total, stamps.c.days,
                   select(func.max(Event.id))
                   .where(Event.worker_id == bindparam("worker"), _NOT_A_BADGE_IN)
                   .scalar_subquery(),
                   last_visit_query(bindparam("worker"),
                                    bindparam("before", type_=UTCDateTime)).scalar_subquery(),
                   alerts.c.newest, alerts.c.resolved)
            .select_from(stamps.join(alerts, true())))


_CARD_VERSION = _card_version_statement()


def scorecard_version(session: Session, kiosk_id: int, worker_code: str, period: str,
                      on: date, now: datetime, zone: ZoneInfo) -> str:
    """A version of the worker's card, known without building it: it moves whenever
    anything the card is made of may have changed, so an unchanged card costs a few index
    reads (`CardMemo`) instead of its workshop's standing.

    What moves it: any audited change (schemes, people, decisions, claims, appeals,
    rewards, the ledger, training completed, periods closed), the score stamps of the
    worker's workshop over the period and the one before (records, points, a day's first
    badge-in: their rank), the worker's own newest event other than a badge-in (what they
    did that nobody audits, such as a notice seen), their last visit (what the card's
    tasks list as decided "since the last visit"), the alerts (fault minutes on the card),
    and the day and hour (a projection's "today", the window decided claims are looked up
    in). A second tap the same day moves none of these: nothing on the card changes with
    it (attendance lists the day's first badge-in), so it is answered from the memo. Only
    workers the kiosk `kiosk_id` serves are answered: the check comes first.
    """
    worker, workshop = served_worker_ids(session, kiosk_id, worker_code)
    try:
        span = period_span(period, on)
    except ValueError:
        raise InvalidInput(f"period: must be day, week or month, not {period!r}") from None
    parts = session.connection().execute(_CARD_VERSION, {
        "shop": workshop, "worker": worker, "first": previous_span(span).start,
        "last": span.end, "before": now - CURRENT_VISIT}).one()
    local = now.astimezone(zone)
    made = (worker_code, period, on.isoformat(), local.strftime("%Y-%m-%dT%H"), *parts)
    return hashlib.sha256(repr(made).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CardLookup:
    """A card asked of the memo: where it is held (the same card whichever kiosk asks),
    the version it must be at, and the (ETag, JSON body) held at that version, or None."""

    key: Hashable
    version: str
    held: tuple[str, bytes] | None


class CardMemo:
    """Each card as last served, its ETag and the `scorecard_version` it was made at, by
    (worker, period, day); the least recently used dropped beyond `max_entries`. One per
    app (server process).

    While the version stands, the card is answered from here: a 304 to its ETag, or its
    bytes to a kiosk that has not got it yet (a card does not depend on which kiosk asks;
    whether it may ask is checked first). The ETag is a hash of the card (`card_etag`), so
    a card built again after an unrelated change that comes out the same still answers
    304. About 5 KB a card: 6,000 cards (2,000 workers, three periods) hold 30 MB.
    """

    def __init__(self, max_entries: int = 6_000) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._cards: OrderedDict[Hashable, tuple[str, str, bytes]] = OrderedDict()

    def look_up(self, session: Session, kiosk_id: int, worker_code: str, period: str,
                on: date, now: datetime, zone: ZoneInfo) -> CardLookup:
        """The card as held at its current version (`scorecard_version`, whose 404 and 403
        for a worker the kiosk `kiosk_id` may not read come first)."""
        version = scorecard_version(session, kiosk_id, worker_code, period, on, now, zone)
        key = (worker_code, period, on)
        return CardLookup(key, version, self.get(key, version))

    def get(self, key: Hashable, version: str) -> tuple[str, bytes] | None:
        """(ETag, JSON body) of the card made at `version`, or None."""
        with self._lock:
            held = self._cards.get(key)
            if held is None or held[0] != version:
                return None
            self._cards.move_to_end(key)
            return held[1], held[2]

    def put(self, key: Hashable, version: str, etag: str, body: bytes) -> None:
        with self._lock:
            self._cards[key] = (version, etag, body)
            self._cards.move_to_end(key)
            while len(self._cards) > self.max_entries:
                self._cards.popitem(last=False)


def card_etag(card: dict[str, Any]) -> str:
    """A scorecard's validator: a hash of the card, so it changes whenever anything the
    kiosk shows does, and differs between workers and periods (both are in the card).
    `tasks.since` is left out: the start of the window decided claims are looked up in,
    which for a worker never seen at a kiosk moves on every hour; the lists it selects are
    in the hash themselves, and the kiosk never reads it. Without this a kiosk prefetching
    2,000 workers' cards would fetch most of them whole every hour."""
    tasks = card.get("tasks")
    if isinstance(tasks, dict) and "since" in tasks:
        card = {**card, "tasks": {k: v for k, v in tasks.items() if k != "since"}}
    return roster_etag(card)


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
