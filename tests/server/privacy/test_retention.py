"""The retention purge: what outlived its setting is deleted; the day sums of the purged
days, the snapshots of closed periods and the audit chain stay, and `aggregates rebuild
--check` agrees with what is kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.cli import main
from server.models import (
    AuditEntry,
    Event,
    PointEntry,
    ProductionRecord,
    SnapshotCard,
    Worker,
    WorkerDaySums,
    WorkerPeriodSums,
)
from server.services import InvalidInput
from server.services.privacy import remove_files
from server.services.privacy.retention import (
    Retention,
    checked,
    get_retention,
    purge,
    save_retention,
)
from server.services.scores.aggregates import badges_kept_before, rebuild
from support.privacy_seed import ACTOR, Seeded


def _sums(session: Session) -> tuple[list[tuple], list[tuple]]:
    days = [tuple(r) for r in session.execute(
        select(WorkerDaySums.worker_id, WorkerDaySums.date, WorkerDaySums.badge_ins,
               WorkerDaySums.output).order_by(WorkerDaySums.worker_id, WorkerDaySums.date))]
    periods = [tuple(r) for r in session.execute(
        select(WorkerPeriodSums.worker_id, WorkerPeriodSums.period, WorkerPeriodSums.start,
               WorkerPeriodSums.attended_days, WorkerPeriodSums.output)
        .order_by(WorkerPeriodSums.worker_id, WorkerPeriodSums.period,
                  WorkerPeriodSums.start))]
    return days, periods


def _count(session: Session, kind: str) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.kind == kind)) \
        or 0


def test_purge_deletes_old_records_and_keeps_sums_and_snapshots(
        seeded: Seeded, session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    zone, photos = seeded.config.zone, seeded.photo_dir
    sums = _sums(session)
    assert any(row[2] for row in sums[0])  # A001's badge-ins are in the day sums
    cards = session.scalar(select(func.count()).select_from(SnapshotCard))

    # Nothing is old yet today: a purge deletes nothing (the photos are of an active
    # worker, and replaced ones are three years old: only the old one goes).
    report = purge(session, zone, photos, ACTOR)
    session.commit()
    assert report.counts == {"badge_taps": 0, "events": 0, "refused_events": 0,
                             "claim_pictures": 0, "photos": 1}
    assert [p.name for p in report.files] == [seeded.old_photo.name]
    assert remove_files(report.files) == 1 and not seeded.old_photo.exists()

    # 91 days after the last of them, last month's taps are past 90 days (today's unknown
    # card tap is not); the sums keep them.
    later = datetime.combine(seeded.tap_days[-1] + timedelta(days=91), time(12), zone)
    # Not while a kiosk may still send them (a site with a 200-day offline window).
    report = purge(session, zone, photos, ACTOR, now=later,
                   offline_window=timedelta(days=200))
    session.commit()
    assert report.counts["badge_taps"] == 0 and _sums(session) == sums
    report = purge(session, zone, photos, ACTOR, now=later)
    session.commit()
    assert report.counts["badge_taps"] == len(seeded.tap_days)
    assert report.counts["events"] == 0 and _count(session, "badge_in") == 1  # today's tap
    assert badges_kept_before(session) == seeded.tap_days[-1] + timedelta(days=1)
    assert _sums(session) == sums
    assert rebuild(session, check=True) == []
    assert main(["aggregates", "rebuild", "--check", "--json"]) == 0
    capsys.readouterr()

    # A purged day summed again (HR corrects its production) keeps its badge-ins.
    record = session.scalars(select(ProductionRecord).where(
        ProductionRecord.worker_id == seeded.worker_id,
        ProductionRecord.date == seeded.tap_days[0])).one()
    record.output += 1
    session.commit()
    days, _ = _sums(session)
    key = (seeded.worker_id, seeded.tap_days[0])
    assert [row[2] for row in days if row[:2] == key] == [1]
    record.output -= 1
    session.commit()
    assert _sums(session) == sums
    # A full rebuild keeps them too.
    assert main(["aggregates", "rebuild", "--json"]) == 0
    capsys.readouterr()
    session.expire_all()
    assert _sums(session) == sums

    # Three years on: the other events and the claim pictures go; the claim stays.
    much_later = datetime.now(UTC) + timedelta(days=3 * 365)
    report = purge(session, zone, photos, ACTOR, now=much_later)
    session.commit()
    assert report.counts["events"] == 2 and _count(session, "point_claim") == 0
    entry = session.get(PointEntry, seeded.plant.claim_id)
    assert entry is not None and entry.event_id is None and entry.reason == "帮王五搬料"
    assert session.scalar(select(func.count()).select_from(SnapshotCard)) == cards
    assert _sums(session)[0] == [row for row in sums[0]]
    assert main(["aggregates", "rebuild", "--check"]) == 0
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    purges = list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == "privacy.purge")))
    assert len(purges) == 4
    assert "张三" not in json.dumps([p.after for p in purges], ensure_ascii=False)


def test_claim_pictures_and_inactive_photos_follow_their_own_settings(
        seeded: Seeded, session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["privacy", "settings", "--claim-pictures", "7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["claim_pictures"] == 7
    worker = session.get(Worker, seeded.worker_id)
    assert worker is not None
    worker.active = False  # a leaver: their photo, three years old, goes
    session.commit()
    assert main(["privacy", "purge", "--json"]) == 0
    told = json.loads(capsys.readouterr().out)
    assert told["counts"]["claim_pictures"] == 1 and told["counts"]["photos"] == 2
    assert told["counts"]["events"] == 0 and told["files_removed"] == 2
    session.expire_all()
    claim = session.scalars(select(Event).where(Event.uuid == seeded.claim_uuid)).one()
    assert "photo_jpeg" not in claim.payload and claim.payload["category"] == "help_colleague"
    assert session.get(Worker, seeded.worker_id).photo_path is None  # type: ignore[union-attr]
    assert list(seeded.photo_dir.iterdir()) == []


def test_settings_are_checked(session: Session) -> None:
    assert get_retention(session) == Retention(730, 730, 730, 90)
    with pytest.raises(InvalidInput, match="Badge taps: 62 to 3650 days"):
        checked({"badge_taps": "5"})
    with pytest.raises(InvalidInput, match="Kiosk events: two years is not a whole"):
        checked({"events": "two years"})
    save_retention(session, checked({"events": "365", "badge_taps": 120}), ACTOR)
    session.commit()
    assert get_retention(session) == Retention(365, 730, 730, 120)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert last.action == "privacy.retention" and last.after == {
        "events": 365, "photos": 730, "claim_pictures": 730, "badge_taps": 120}
