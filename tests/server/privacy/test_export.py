"""`shopfloor-server worker export CODE --out FILE.zip`: everything held about one worker."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cli import main
from server.config import Config
from server.models import AuditEntry
from support.privacy_seed import Seeded


def test_export_holds_everything_about_the_worker(
        seeded: Seeded, session: Session, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "A001.zip"
    assert main(["worker", "export", "A001", "--out", str(out), "--json"]) == 0
    told = json.loads(capsys.readouterr().out)
    assert told["file"] == str(out) and out.stat().st_mode & 0o077 == 0
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        read = {name: archive.read(name) for name in names}
    manifest = json.loads(read["manifest.json"])
    assert manifest["worker"] == {"id": seeded.worker_id, "code": "A001"}
    for item in manifest["files"]:  # the manifest vouches for each file
        assert hashlib.sha256(read[item["name"]]).hexdigest() == item["sha256"]
    assert "README.txt" in names and "A001" in read["README.txt"].decode()

    profile = json.loads(read["worker.json"])
    assert profile["name"] == "张三" and profile["workshop"] == "W1"
    assert "pin_hash" not in profile
    badges = json.loads(read["badges.json"])
    assert len(badges) == 1 and "credential_hash" not in badges[0]
    events = json.loads(read["events.json"])
    assert sum(e["kind"] == "badge_in" for e in events) == len(seeded.tap_days)
    claim = next(e for e in events if e["uuid"] == seeded.claim_uuid)
    assert "photo_jpeg" not in claim["payload"]
    assert read[claim["payload"]["photo"]] == seeded.picture
    assert read["photo.jpg"][:2] == b"\xff\xd8"
    production = json.loads(read["production_records.json"])
    assert len(production) >= 15 and {r["worker_id"] for r in production} == {seeded.worker_id}
    assert json.loads(read["worker_day_sums.json"])
    cards = json.loads(read["snapshot_cards.json"])
    assert len(cards) == 1 and cards[0]["card"]
    entries = json.loads(read["point_entries.json"])
    assert [e["reason"] for e in entries] == ["帮王五搬料"]
    audit = json.loads(read["audit.json"])
    assert {"worker.photo"} <= {entry["action"] for entry in audit}
    # Another worker's rows are not in it.
    assert "李四" not in b"".join(read.values()).decode("utf-8", "replace")

    # The export itself is audited, with counts only.
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert last.action == "worker.export" and last.entity_id == str(seeded.worker_id)
    assert "张三" not in json.dumps(last.after, ensure_ascii=False)


def test_unknown_code_and_existing_file_are_refused_clearly(
        cli: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nobody.zip"
    assert main(["worker", "export", "NOBODY", "--out", str(out)]) == 1
    assert "no worker 'NOBODY'" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    out.write_bytes(b"keep me")
    assert main(["worker", "export", "NOBODY", "--out", str(out)]) == 1
    assert "exists" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert main(["worker", "erase", "NOBODY", "--yes"]) == 1
    assert "no worker 'NOBODY'" in capsys.readouterr().err
