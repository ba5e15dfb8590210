"""`shopfloor-server worker erase CODE --yes`: personal fields gone, the worker
pseudonymised in scores, snapshots and payroll, the audit chain still valid."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import JSON, String, Table, Text, select
from sqlalchemy.orm import Session

from server.cli import main
from server.models import AuditEntry, Badge, Base, Event, UnknownTap, Worker
from server.scoring import period_span
from server.services.reports.payroll import payroll_rows
from support.factory import PLANT_CARD
from support.privacy_seed import Seeded


def _texts(session: Session) -> dict[str, list[str]]:
    """Every text and JSON value in the database, by table (JSON as stored and decoded)."""
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if not columns:
            continue
        values = []
        for row in session.connection().execute(select(*columns)):
            for value in row:
                if value is None:
                    continue
                values.append(value if isinstance(value, str)
                              else json.dumps(value, ensure_ascii=False))
        found[table.name] = values
    return found


def _where(texts: dict[str, list[str]], needle: str, *, whole: bool = False) -> list[str]:
    pattern = re.compile(rf"(?<![A-Za-z0-9_.-]){re.escape(needle)}(?![A-Za-z0-9_.-])"
                         if whole else re.escape(needle))
    return [f"{table}: {value[:120]}" for table, values in texts.items() for value in values
            if pattern.search(value)]


def _verify(capsys: pytest.CaptureFixture[str], *against: str) -> dict[str, Any]:
    code = main(["audit", "verify", *against, "--json"])
    told = cast(dict[str, Any], json.loads(capsys.readouterr().out))
    assert code == 0, told
    return told


def test_erase_leaves_no_trace_and_keeps_the_numbers(
        seeded: Seeded, session: Session, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    month = period_span("month", seeded.plant.last_month)
    before_pay = {row[1]: row for row in payroll_rows(session, month.start, seeded.config.zone,
                                                     seeded.plant.today, workshop="W1")}
    digest = session.scalars(select(Badge.credential_hash)
                             .where(Badge.worker_id == seeded.worker_id)).one()
    photos = sorted(p.name for p in seeded.photo_dir.iterdir())
    assert len(photos) == 2
    # A001's card was tapped while it was nobody's: its number is in an unknown tap.
    number = PLANT_CARD.replace(":", "")
    tapped = datetime.now(UTC)
    tap = Event(uuid=str(uuid.uuid4()), kind="badge_in", worker_id=None, occurred_at=tapped,
                payload={"kind": "card", "card_number": number}, body_hash="4" * 64)
    session.add_all([tap, UnknownTap(kind="card", number=number, digest=digest,
                                     event_uuid=tap.uuid, seen_at=tapped)])
    session.commit()
    texts = _texts(session)
    assert _where(texts, "张三") and _where(texts, "A001", whole=True) and _where(texts, digest)
    _verify(capsys)
    anchor = tmp_path / "checkpoint.json"  # the chain as it stood before the erasure
    assert main(["audit", "checkpoint", "--out", str(anchor)]) == 0
    capsys.readouterr()

    # Without --yes: refused, nothing changed.
    assert main(["worker", "erase", "A001"]) == 2
    assert "--yes" in capsys.readouterr().err
    session.expire_all()
    assert _texts(session) == texts

    assert main(["worker", "erase", "A001", "--yes", "--json"]) == 0
    told = json.loads(capsys.readouterr().out)
    ident = seeded.worker_id
    assert told["code"] == f"ERASED-{ident}" and told["name"] == f"已删除 #{ident}"
    assert told["counts"]["badges"] == 1 and told["files_removed"] == 2
    assert told["counts"]["unknown_taps"] == 1
    assert told["counts"]["claim_pictures"] == 1
    session.expire_all()

    # No trace of the name, the code, the card or the photos anywhere, audit log included.
    texts = _texts(session)
    assert _where(texts, "张三") == []
    assert _where(texts, "A001", whole=True) == []
    assert _where(texts, digest) == []
    assert _where(texts, number) == []
    assert all(_where(texts, name) == [] for name in photos)
    assert list(seeded.photo_dir.iterdir()) == []
    assert _where(texts, "photo_jpeg") == []
    # Other people are untouched; a name in another worker's claim reason stays theirs.
    assert _where(texts, "李四") and _where(texts, "帮王五搬料")
    worker = session.get(Worker, ident)
    assert worker is not None and not worker.active and worker.pin_hash is None
    assert worker.photo_path is None and worker.badges == []

    # Payroll history and the snapshots keep the numbers under the pseudonym.
    after_pay = {row[1]: row for row in payroll_rows(session, month.start, seeded.config.zone,
                                                    seeded.plant.today, workshop="W1")}
    erased = after_pay.pop(f"ERASED-{ident}")
    kept = before_pay.pop("A001")
    assert erased[2] == f"已删除 #{ident}" and erased[3:] == kept[3:]
    assert after_pay == before_pay

    # The audit chain still verifies, and still holds the entry anchored before the
    # erasure (no history rewritten); the erasure is its newest entry, counts only.
    verified = _verify(capsys, "--against", str(anchor))
    assert verified["ok"] is True and verified["anchors"] == 1
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (last.action, last.entity, last.entity_id) == ("worker.erase", "worker", str(ident))
    assert main(["aggregates", "rebuild", "--check", "--json"]) == 0
    capsys.readouterr()

    # Erasing again is refused; the pseudonym's export still works.
    assert main(["worker", "erase", f"ERASED-{ident}", "--yes"]) == 1
    assert "already erased" in capsys.readouterr().err
    table = cast(Table, Worker.__table__)
    assert session.connection().execute(select(table.c.name).where(
        table.c.id == ident)).scalar_one() == f"已删除 #{ident}"
