"""How long personal records are kept, and the purge that applies it.

Four settings, in days, kept as one JSON setting (`privacy.retention`), set by the admin
role in the admin's Privacy page (or `shopfloor-server privacy settings`):

    events          kiosk events other than badge taps, and refused kiosk events    730
    photos          worker photos no longer in use: replaced ones, and those of
                    inactive workers (an active worker's photo is what kiosks show)  730
    claim_pictures  the photo a worker took with a point claim (in its event)        730
    badge_taps      badge_in events                                                  90

`purge` deletes what is older, in one transaction, and adds one audit entry with the
counts (never a person). What it keeps:

- the day, week and month sums: before deleting badge taps it moves the day-sum horizon
  (`aggregates.keep_badges_before`) to the first day it keeps, so the purged days keep
  their badge-ins, summing again never sets them to zero, and `aggregates rebuild
  --check` agrees; no other record the sums are made of (production records, point
  entries, adjustments, metric values) is purged;
- the snapshots of closed periods, the points ledger, point entries and appeals (whose
  link to a purged event is cleared), and the audit log;
- an event an andon alert was opened by (the alert's history needs it).

Events a kiosk may still send are never purged: the events and badge-tap settings are
raised to the offline window (SHOPFLOOR_OFFLINE_WINDOW_DAYS) plus a day when they are
shorter, so a resent event still finds its uuid and counts once.

The horizon is a factory day in the zone the sums are dated in, and the taps deleted are
exactly those before its first instant. Badge taps are kept at least `MIN_DAYS["badge_taps"]`
days: a month's card and the month before it (most improved) are scored from the live
records of a worker who looks at their own card.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import String, Table, delete, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from server.models import (
    Alert,
    Appeal,
    Event,
    PointEntry,
    RefusedEvent,
    Setting,
    Worker,
    utcnow,
)
from server.services.audit import record
from server.services.refusals import N_, Refused
from server.services.scores import aggregates

RETENTION_KEY = "privacy.retention"
LAST_PURGE_KEY = "privacy.last_purge"
BADGE_IN = "badge_in"
CLAIM = "point_claim"
PHOTO_KEY = "photo_jpeg"
DEFAULTS = {"events": 730, "photos": 730, "claim_pictures": 730, "badge_taps": 90}
MIN_DAYS = {"events": 62, "photos": 7, "claim_pictures": 7, "badge_taps": 62}
MAX_DAYS = 3650
# How the admin and a refusal name each setting (translated in the admin).
LABELS = {"events": N_("Kiosk events"), "photos": N_("Photos no longer in use"),
          "claim_pictures": N_("Claim pictures"), "badge_taps": N_("Badge taps")}
_EVENTS = cast(Table, Event.__table__)
# Rows deleted per statement: the id lists stay within every engine's parameter limit.
_CHUNK = 5_000


@dataclass(frozen=True)
class Retention:
    """Days each kind of record is kept."""

    events: int = DEFAULTS["events"]
    photos: int = DEFAULTS["photos"]
    claim_pictures: int = DEFAULTS["claim_pictures"]
    badge_taps: int = DEFAULTS["badge_taps"]

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def get_retention(session: Session) -> Retention:
    stored = session.get(Setting, RETENTION_KEY)
    if stored is None:
        return Retention()
    try:
        data = json.loads(stored.value)
    except ValueError:
        return Retention()
    values = {name: data[name] for name in DEFAULTS
              if isinstance(data, dict) and isinstance(data.get(name), int)}
    return Retention(**values)


def checked(values: dict[str, Any]) -> Retention:
    """A Retention from form or command-line values (missing ones: the defaults)."""
    days: dict[str, int] = {}
    for name, default in DEFAULTS.items():
        value = values.get(name)
        if value is None or value == "":
            days[name] = default
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            raise Refused(N_("%(setting)s: %(value)s is not a whole number of days"),
                          setting=LABELS[name], value=str(value)) from None
        if not MIN_DAYS[name] <= number <= MAX_DAYS:
            raise Refused(N_("%(setting)s: %(low)s to %(high)s days"), setting=LABELS[name],
                          low=MIN_DAYS[name], high=MAX_DAYS)
        days[name] = number
    return Retention(**days)


def save_retention(session: Session, retention: Retention, actor: str) -> Retention:
    before = get_retention(session)
    setting = session.get(Setting, RETENTION_KEY)
    value = json.dumps(retention.to_dict(), sort_keys=True)
    if setting is None:
        session.add(Setting(key=RETENTION_KEY, value=value))
    else:
        setting.value = value
    if before != retention:
        record(session, actor, "privacy.retention", "privacy", None,
               before=before.to_dict(), after=retention.to_dict())
    return retention


@dataclass
class PurgeReport:
    at: str
    settings: dict[str, int]
    counts: dict[str, int] = field(default_factory=dict)
    badges_kept_before: str | None = None
    # Photo files to delete once the purge is committed (remove_files).
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "settings": self.settings, "counts": self.counts,
                "badges_kept_before": self.badges_kept_before}


def last_purge(session: Session) -> dict[str, Any] | None:
    stored = session.get(Setting, LAST_PURGE_KEY)
    if stored is None:
        return None
    try:
        data = json.loads(stored.value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def purge(session: Session, zone: ZoneInfo, photo_dir: Path, actor: str,
          now: datetime | None = None, offline_window: timedelta = timedelta(0)
          ) -> PurgeReport:
    """Delete what has outlived the retention settings (see the module's docstring), in
    the caller's transaction; the caller commits, then removes `report.files`.

    Events a kiosk may still send (within `offline_window`, the server's
    SHOPFLOOR_OFFLINE_WINDOW_DAYS) are kept whatever the settings say: a stored uuid is
    what makes a resent event a duplicate, and a kiosk's production is summed from all
    the events of its shift."""
    now = now or utcnow()
    retention = get_retention(session)
    report = PurgeReport(now.isoformat(timespec="seconds"), retention.to_dict())
    counts = report.counts
    floor = offline_window.days + 1
    horizon = _purge_badge_taps(session, zone, now, max(retention.badge_taps, floor), counts)
    report.badges_kept_before = horizon.isoformat() if horizon else None
    _purge_events(session, now - timedelta(days=max(retention.events, floor)), counts)
    counts["claim_pictures"] = _strip_claim_pictures(
        session, now - timedelta(days=retention.claim_pictures))
    report.files = _old_photos(session, photo_dir, now - timedelta(days=retention.photos),
                               counts)
    record(session, actor, "privacy.purge", "privacy", None,
           after={"settings": report.settings, "counts": counts,
                  "badges_kept_before": report.badges_kept_before})
    value = json.dumps(report.to_dict(), sort_keys=True)
    stored = session.get(Setting, LAST_PURGE_KEY)
    if stored is None:
        session.add(Setting(key=LAST_PURGE_KEY, value=value))
    else:
        stored.value = value
    return report


def _purge_badge_taps(session: Session, zone: ZoneInfo, now: datetime, days: int,
                      counts: dict[str, int]) -> date | None:
    """Delete the badge taps of the factory days before `days` ago; the day sums keep
    those days' badge-ins (the horizon moves first)."""
    sums_zone = aggregates.zone_of(session) or zone
    first_kept = now.astimezone(sums_zone).date() - timedelta(days=days)
    horizon: date | None = None
    if aggregates.zone_of(session) is not None:
        aggregates.settle(session)  # sum what this transaction marked before moving it
        horizon = aggregates.keep_badges_before(session, first_kept)
    cut = datetime.combine(first_kept, time(), sums_zone)
    counts["badge_taps"] = _delete_events(
        session, [_EVENTS.c.kind == BADGE_IN, _EVENTS.c.occurred_at < cut])
    return horizon


def _purge_events(session: Session, cut: datetime, counts: dict[str, int]) -> None:
    counts["events"] = _delete_events(
        session, [_EVENTS.c.kind != BADGE_IN, _EVENTS.c.occurred_at < cut])
    refused = cast(Table, RefusedEvent.__table__)
    counts["refused_events"] = session.connection().execute(
        delete(refused).where(refused.c.received_at < cut)).rowcount or 0


def _delete_events(session: Session, where: list[Any]) -> int:
    """Delete the events matching `where` that no andon alert was opened by, first
    clearing the links point entries and appeals hold to them. Core statements: nothing
    marks the day sums (the badge-in horizon keeps the purged days' sums)."""
    connection = session.connection()
    held = select(Alert.event_id).where(Alert.event_id.is_not(None))
    ids = list(connection.execute(select(_EVENTS.c.id).where(
        *where, _EVENTS.c.id.not_in(held))).scalars())
    deleted = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for table in (cast(Table, PointEntry.__table__), cast(Table, Appeal.__table__)):
            connection.execute(update(table).where(table.c.event_id.in_(chunk))
                               .values(event_id=None))
        deleted += connection.execute(delete(_EVENTS).where(_EVENTS.c.id.in_(chunk)))\
            .rowcount or 0
    return deleted


def _strip_claim_pictures(session: Session, cut: datetime) -> int:
    """Remove the photo from the claim events before `cut`; the claim itself stays."""
    connection = session.connection()
    rows = connection.execute(select(_EVENTS.c.id, _EVENTS.c.payload).where(
        _EVENTS.c.kind == CLAIM, _EVENTS.c.occurred_at < cut,
        sql_cast(_EVENTS.c.payload, String).like(f"%{PHOTO_KEY}%"))).all()
    stripped = 0
    for ident, payload in rows:
        if isinstance(payload, dict) and payload.get(PHOTO_KEY):
            kept = {key: value for key, value in payload.items() if key != PHOTO_KEY}
            connection.execute(update(_EVENTS).where(_EVENTS.c.id == ident)
                               .values(payload=kept))
            stripped += 1
    return stripped


def _old_photos(session: Session, photo_dir: Path, cut: datetime,
                counts: dict[str, int]) -> list[Path]:
    """Photo files older than `cut` that no active worker shows: replaced photos, and the
    photos of inactive workers (whose rows forget them now)."""
    if not photo_dir.is_dir():
        counts["photos"] = 0
        return []
    in_use: dict[str, tuple[int, bool]] = {
        Path(path).name: (ident, active) for ident, path, active in session.execute(
            select(Worker.id, Worker.photo_path, Worker.active)
            .where(Worker.photo_path.is_not(None))) if path}
    limit = cut.timestamp()
    files, forget = [], []
    for path in sorted(photo_dir.iterdir()):
        if not path.is_file() or path.stat().st_mtime >= limit:
            continue
        holder = in_use.get(path.name)
        if holder is not None and holder[1]:
            continue  # an active worker's photo: kiosks show it
        if holder is not None:
            forget.append(holder[0])
        files.append(path)
    if forget:
        workers = cast(Table, Worker.__table__)
        session.connection().execute(update(workers).where(workers.c.id.in_(forget))
                                     .values(photo_path=None))
    counts["photos"] = len(files)
    return files

