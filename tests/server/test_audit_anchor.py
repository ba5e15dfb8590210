"""The audit chain anchored outside the database, attacked as someone who can write the
database would: rewrite history and recompute every hash after it, empty the chain, cut
it short, restore an old backup. Plain verification cannot tell; checked against an
anchor (a checkpoint, a backup's manifest, the JSON log's `audit_head` lines) it fails.
On both engines."""

from __future__ import annotations

import json
import logging
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server.cli import main
from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import AuditEntry, Setting
from server.services import InvalidInput
from server.services.audit import (
    CHAIN_COUNT_KEY,
    CHAIN_HEAD_KEY,
    Anchor,
    _entry_hash,
    current_anchor,
    read_anchors,
    record,
    verify_chain,
)
from server.services.backup import backup, restore
from shopfloor_logging import JsonFormatter


@pytest.fixture
def cli_site(migrated: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    """`shopfloor-server` run in-process against the test's database."""
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(migrated.data_dir))
    monkeypatch.setenv("SHOPFLOOR_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    return migrated


def _entries(session: Session, n: int = 5) -> list[AuditEntry]:
    made = [record(session, "user:li", "points.approve", "point_entry", i,
                   before={"status": "pending"}, after={"status": "approved", "points": 10})
            for i in range(1, n + 1)]
    session.commit()
    return made


def _rewrite(session: Session, from_id: int, after: dict[str, object]) -> None:
    """What an attacker with write access does: change one entry, then recompute its hash
    and every later one's, and the head, so the chain verifies again."""
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    prev = "0" * 64
    for row in rows:
        if row.id == from_id:
            row.after = after
        if row.id >= from_id:
            row.prev_hash = prev
            row.hash = _entry_hash(prev, row.at, row.actor, row.action, row.entity,
                                   row.entity_id, row.before, row.after)
        prev = row.hash
    session.execute(update(Setting).where(Setting.key == CHAIN_HEAD_KEY).values(value=prev))
    session.commit()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


# --- the log line ------------------------------------------------------------------------

def test_each_commit_that_adds_entries_logs_the_new_head_as_json(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="server.services.audit"):
        first = record(session, "cli", "a.b", "thing", 1)
        second = record(session, "cli", "a.c", "thing", 2)
        assert not caplog.records  # nothing before the commit
        session.commit()
        record(session, "cli", "a.d", "thing", 3)
        session.rollback()  # like an import's preview: never logged
        session.commit()
    lines = [r for r in caplog.records if r.getMessage() == "audit_head"]
    assert len(lines) == 1
    logged = json.loads(JsonFormatter().format(lines[0]))
    assert logged == {**logged, "event": "audit_head", "count": 2, "head": second.hash,
                      "last_id": second.id}
    assert first.hash != second.hash
    assert read_anchors(JsonFormatter().format(lines[0]))[0].head == second.hash


def test_the_stored_count_matches_the_rows(session: Session) -> None:
    _entries(session, 3)
    assert session.get(Setting, CHAIN_COUNT_KEY).value == "3"  # type: ignore[union-attr]
    assert current_anchor(session).count == 3


# --- checkpoint and verify ---------------------------------------------------------------

def test_rewritten_history_verifies_plainly_but_fails_against_a_checkpoint(
    cli_site: Config, session: Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    made = _entries(session)
    checkpoint = tmp_path / "audit.json"
    code, written = _cli(capsys, "audit", "checkpoint", "--out", str(checkpoint))
    assert code == 0 and written["count"] == 5 and written["last_id"] == made[-1].id
    saved = json.loads(checkpoint.read_text())
    assert saved == {"count": 5, "head": made[-1].hash, "last_id": made[-1].id,
                     "at": saved["at"]}
    assert _cli(capsys, "audit", "verify", "--against", str(checkpoint))[0] == 0

    _rewrite(session, made[1].id, {"status": "approved", "points": 1000})
    code, plain = _cli(capsys, "audit", "verify")
    assert code == 0 and plain["ok"], "recomputed hashes fool the plain check"
    code, against = _cli(capsys, "audit", "verify", "--against", str(checkpoint))
    assert code == 1 and not against["ok"]
    assert against["first_bad_id"] == made[-1].id
    assert str(against["problem"]).startswith("history was rewritten")


def test_the_json_log_names_the_first_anchored_entry_rewritten(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="server.services.audit"):
        made = [_entries(session, 1)[0] for _ in range(5)]  # one commit, one line each
    log = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    anchors = read_anchors(log)
    assert [a.count for a in anchors] == [1, 2, 3, 4, 5]
    _rewrite(session, made[2].id, {"status": "approved", "points": 1000})
    report = verify_chain(session, anchors)
    assert not report.ok and report.first_bad_id == made[2].id
    assert report.problem == ("history was rewritten: this entry no longer has the hash "
                              f"anchored for it (after entry {made[1].id}, the last "
                              "anchored one that matches)")


def test_an_emptied_chain_fails_against_a_checkpoint(
    cli_site: Config, session: Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _entries(session)
    checkpoint = tmp_path / "audit.json"
    assert main(["audit", "checkpoint", "--out", str(checkpoint)]) == 0
    session.execute(delete(AuditEntry))
    session.execute(delete(Setting).where(Setting.key.in_((CHAIN_HEAD_KEY, CHAIN_COUNT_KEY))))
    session.commit()
    capsys.readouterr()
    assert _cli(capsys, "audit", "verify")[1]["ok"], "an empty chain verifies plainly"
    code, against = _cli(capsys, "audit", "verify", "--against", str(checkpoint))
    assert code == 1 and against["entries"] == 0
    assert against["problem"] == ("the chain is shorter than an anchor says it was: entries "
                                  "were deleted (0 now, 5 anchored)")


def test_a_chain_cut_short_fails_against_a_checkpoint(session: Session) -> None:
    made = _entries(session)
    anchor = current_anchor(session)
    session.execute(delete(AuditEntry).where(AuditEntry.id > made[2].id))
    session.execute(update(Setting).where(Setting.key == CHAIN_HEAD_KEY)
                    .values(value=made[2].hash))
    session.commit()
    assert verify_chain(session).ok
    report = verify_chain(session, [anchor])
    assert not report.ok and report.problem is not None and "shorter" in report.problem


def test_a_chain_that_grew_since_the_checkpoint_still_passes(session: Session) -> None:
    _entries(session, 2)
    anchor = current_anchor(session)
    _entries(session, 3)
    report = verify_chain(session, [anchor])
    assert report.ok and report.entries == 5 and report.anchors == 1


def test_checkpoint_refuses_to_anchor_a_broken_chain(
    cli_site: Config, session: Session, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    made = _entries(session)
    session.execute(update(AuditEntry).where(AuditEntry.id == made[1].id)
                    .values(actor="someone else"))
    session.commit()
    out = tmp_path / "audit.json"
    assert main(["audit", "checkpoint", "--out", str(out)]) == 1
    assert "the audit chain is broken at entry" in capsys.readouterr().err
    assert not out.exists()


def test_a_file_that_is_no_anchor_is_refused(
    cli_site: Config, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for text in ("", "{}", '{"count": 1, "head": "00", "last_id": 1}', "not json"):
        path = tmp_path / "x.json"
        path.write_text(text)
        assert main(["audit", "verify", "--against", str(path)]) == 1
        assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(InvalidInput, match="an audit anchor needs count"):
        Anchor.from_dict({"count": True, "head": "0" * 64, "last_id": None})


# --- backups -----------------------------------------------------------------------------

def test_the_manifest_anchors_the_chain_and_a_restore_is_an_audit_entry(
    migrated: Config, session: Session, empty_database_url: str, tmp_path: Path,
    cli_site: Config, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _entries(session)
    archive = tmp_path / "site.sfbackup"
    manifest = backup(migrated, archive)
    assert manifest.audit == {k: v for k, v in current_anchor(session).to_dict().items()
                              if k != "at"}
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        (tmp_path / "manifest.json").write_bytes(member.read())

    target = Config.from_env(data_dir=tmp_path / "restored", database_url=empty_database_url,
                             timezone=migrated.timezone, testing=True)
    restore(target, archive)
    engine = make_engine(target.database_url)
    try:
        with make_sessionmaker(engine)() as restored:
            last = restored.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert last is not None and last.action == "backup.restore"
            assert last.after is not None and last.after["backup_anchor"] == manifest.audit
            assert last.after["chain_ok"] is True and last.after["file"] == "site.sfbackup"
            assert verify_chain(restored).entries == 6  # the backup's 5, and the restore
    finally:
        engine.dispose()
    # The restored site still holds the entry the backup's manifest anchors.
    monkeypatch.setenv("SHOPFLOOR_DATABASE_URL", target.database_url)
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(target.data_dir))
    code, report = _cli(capsys, "audit", "verify", "--against",
                        str(tmp_path / "manifest.json"))
    assert code == 0 and report["anchors"] == 1
