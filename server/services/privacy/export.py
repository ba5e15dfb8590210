"""Everything held about one worker, as one zip (PIPL: a person's copy of their data).

    README.txt            what each file is, in Chinese and English
    manifest.json         the worker, when and by whom it was made, each file's rows and
                          sha256
    worker.json           the worker's own row (without the PIN's hash and check)
    <table>.json          every row of every table with a column that refers to the
                          worker (events, production records, day and period sums,
                          snapshot cards of closed periods, point entries, appeals,
                          notices, the points ledger, redemptions, entitlements, training,
                          metrics, certifications, alerts they reported, ...), found from
                          the foreign keys so a new table is never forgotten
    refused_events.json   kiosk events refused for a closed period, by their code
    audit.json            the audit entries about the worker (by id, as the log keeps them)
    photo.jpg             the worker's photo, when there is one
    pictures/<uuid>.jpg   the photo taken with each claim (moved out of its event's JSON)

Left out: the digests of badges and PINs (secrets derived from the card and the PIN; the
badges' other fields are in badges.json). Making an export is audited (counts only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import String, Table, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from server.models import AuditEntry, Base, RefusedEvent, Worker, utcnow
from server.services.audit import record
from server.services.people.workers import get_worker
from server.version import __version__

# Columns never exported: secrets derived from a card or a PIN.
SECRET = {("workers", "pin_hash"), ("workers", "pin_check"), ("badges", "credential_hash")}
PHOTO_KEY = "photo_jpeg"
_ACTOR_WORKER = re.compile(r"worker:(\d+)")

README = """\
工人个人信息导出 / Personal data export
=====================================

工号 / worker code: {code}
导出时间 / made at: {at} (UTC)
服务器版本 / server version: {version}

本压缩包包含服务器保存的关于该工人的全部信息（JSON 文件，UTF-8）。
This archive holds everything the server keeps about this worker (JSON files, UTF-8).

manifest.json   文件清单：每个文件的行数和 sha256 / the files, their rows and sha256
worker.json     工人资料 / the worker's profile
<表名>.json     与该工人相关的每一行记录（事件、产量、得分汇总、结算快照、积分、申诉、
                兑换、培训……）/ every row about the worker in each table (events,
                production, score sums, closed periods' snapshots, points, appeals,
                redemptions, training, ...)
audit.json      审计日志中关于该工人的条目 / the audit log's entries about the worker
photo.jpg       工人照片（如有）/ the worker's photo, if any
pictures/       积分申请时拍的照片 / the photos taken with point claims

未导出：工卡和 PIN 的摘要（由卡号和 PIN 推导的密钥材料）。
Not included: the digests of badges and the PIN (secrets derived from them).
"""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "value"):  # an Enum
        return value.value
    return value


def _rows(session: Session, table: Table, where: Any) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if (table.name, c.name) not in SECRET]
    order = list(table.primary_key.columns)
    return [{c.name: _plain(v) for c, v in zip(columns, row, strict=True)}
            for row in session.connection().execute(
                select(*columns).where(where).order_by(*order))]


def _worker_tables() -> Iterable[tuple[Table, list[Any]]]:
    """Every table with a column that refers to a worker, and those columns."""
    for table in Base.metadata.sorted_tables:
        if table.name == "workers":
            continue
        columns = [c for c in table.columns
                   if any(fk.column.table.name == "workers" for fk in c.foreign_keys)]
        if columns:
            yield table, columns


def _about(entry: AuditEntry, worker_id: int) -> bool:
    if entry.entity == "worker" and entry.entity_id == str(worker_id):
        return True
    if worker_id in {int(found) for found in _ACTOR_WORKER.findall(entry.actor)}:
        return True
    return any(isinstance(p, dict) and p.get("worker_id") == worker_id
               for p in (entry.before, entry.after))


def _audit(session: Session, worker_id: int) -> list[dict[str, Any]]:
    ident = str(worker_id)
    # Narrowed in SQL (JSON as json.dumps writes it, with or without the space), then
    # checked exactly: "worker_id": 12 is not 123.
    payload = [sql_cast(column, String).like(f'%"worker_id":{space}{ident}%')
               for column in (AuditEntry.before, AuditEntry.after) for space in ("", " ")]
    candidates = session.scalars(select(AuditEntry).where(or_(
        (AuditEntry.entity == "worker") & (AuditEntry.entity_id == ident),
        AuditEntry.actor.like(f"%worker:{ident}%"), *payload,
    )).order_by(AuditEntry.id))
    return [{"id": e.id, "at": _plain(e.at), "actor": e.actor, "action": e.action,
             "entity": e.entity, "entity_id": e.entity_id, "before": e.before,
             "after": e.after} for e in candidates if _about(e, worker_id)]


def _picture(encoded: object) -> bytes | None:
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def export_worker(session: Session, code: str, photo_dir: Path, out: IO[bytes],
                  actor: str) -> dict[str, Any]:
    """Write the zip of worker `code` to `out`; returns the manifest. Adds an audit
    entry in the caller's transaction (the caller commits)."""
    worker = get_worker(session, code)
    at = utcnow()
    files: dict[str, bytes] = {}
    rows_of: dict[str, int] = {}

    def put_json(name: str, data: Any, rows: int) -> None:
        files[name] = json.dumps(data, ensure_ascii=False, indent=2,
                                 default=str).encode() + b"\n"
        rows_of[name] = rows

    workers = Worker.__table__
    profile = _rows(session, workers, workers.c.id == worker.id)  # type: ignore[arg-type]
    profile[0]["workshop"] = worker.workshop.code
    put_json("worker.json", profile[0], 1)
    for table, columns in _worker_tables():
        where = or_(*(column == worker.id for column in columns))
        rows = _rows(session, table, where)
        if table.name == "events":
            for row in rows:
                payload = row.get("payload")
                if isinstance(payload, dict) and PHOTO_KEY in payload:
                    picture = _picture(payload.pop(PHOTO_KEY))
                    if picture is not None:
                        name = f"pictures/{row['uuid']}.jpg"
                        files[name], rows_of[name] = picture, 0
                        payload["photo"] = name
        if rows:
            put_json(f"{table.name}.json", rows, len(rows))
    refused = RefusedEvent.__table__
    rows = _rows(session, refused, refused.c.worker_code == worker.code)  # type: ignore[arg-type]
    if rows:
        put_json("refused_events.json", rows, len(rows))
    entries = _audit(session, worker.id)
    put_json("audit.json", entries, len(entries))
    if worker.photo_path:
        photo = photo_dir / Path(worker.photo_path).name
        if photo.is_file():
            files["photo.jpg"], rows_of["photo.jpg"] = photo.read_bytes(), 0

    manifest = {
        "worker": {"id": worker.id, "code": worker.code},
        "made_at": at.isoformat(timespec="seconds"),
        "server_version": __version__,
        "files": [{"name": name, "rows": rows_of[name], "bytes": len(data),
                   "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(files.items())],
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(
            code=worker.code, at=at.isoformat(timespec="seconds"), version=__version__))
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    record(session, actor, "worker.export", "worker", worker.id,
           after={"worker_id": worker.id, "files": len(files),
                  "rows": sum(rows_of.values())})
    return manifest
