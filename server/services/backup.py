"""Backups of a whole site: the database and the data folder's own files, in one archive.

An archive is a tar file holding `manifest.json` (what kind of database, which schema
revision, when, and the audit chain's anchor: its count and newest hash, see
services/audit.py), the database (`database.sqlite` made by SQLite's online backup API, or
`database.pgdump` made by `pg_dump -Fc`) and `data/...`: photos, uploads and, only in an
encrypted backup, the session secret key. Restoring checks the manifest against the
configured database, so a PostgreSQL dump is never poured into a SQLite file or the other
way round. A site restored from a plain backup makes itself a new secret key on start
(everyone logs in again). A restore is itself an audit entry (`backup.restore`), naming
the backup's anchor and whether the restored chain still holds it.

An encrypted backup is the same archive sealed to a passphrase or a recipient's public key
(`server/services/encryption.py`). Restoring one first opens it whole into a private
temporary folder, every part checked, so a wrong passphrase or key or an altered file
changes nothing.

    ServiceError
     └── BackupError     every problem, as one line a person can act on
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from server.config import Config
from server.db import current_revision, head_revision, make_engine, make_sessionmaker
from server.services import ServiceError
from server.services.audit import Anchor, current_anchor, record, verify_chain
from server.services.encryption import (
    Lock,
    Passphrase,
    Sealer,
    SealError,
    Unlock,
    fingerprint,
    load_identity,
    load_recipient,
    sealed_mode,
    unseal,
)
from server.version import __version__

FORMAT = "shopfloor-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
# The data folder's files that belong to the site (the database itself aside). The secret
# key that signs sessions goes only into encrypted backups.
DATA_ITEMS = ("secret_key", "keys", "photos", "uploads")
# The site key and the sealing key (devices/keys.py) go with the session key: only into
# encrypted backups.
SECRET_ITEMS = frozenset({"secret_key", "keys"})
PG_TOOL_TIMEOUT = 3600


class BackupError(ServiceError):
    """A backup or restore that cannot go ahead, said in one line."""


@dataclass(frozen=True)
class Manifest:
    kind: str
    schema_revision: str | None
    created_at: str
    server_version: str
    audit: dict[str, Any] | None = None  # the audit chain's Anchor, as a dict

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
                           "kind": self.kind, "schema_revision": self.schema_revision,
                           "created_at": self.created_at,
                           "server_version": self.server_version,
                           "audit": self.audit}, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise BackupError(f"the manifest is not JSON: {error}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError("this file is not a Shopfloor backup")
        if data.get("format_version") != FORMAT_VERSION or data.get("kind") not in PAYLOADS:
            raise BackupError(f"unsupported backup (format {data.get('format_version')}, "
                              f"kind {data.get('kind')}): restore it with the version "
                              f"that made it ({data.get('server_version')})")
        audit = data.get("audit")
        return cls(data["kind"], data.get("schema_revision"), str(data.get("created_at")),
                   str(data.get("server_version")), audit if isinstance(audit, dict) else None)


def engine_kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in PAYLOADS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


@contextmanager
def _as_backup_error() -> Iterator[None]:
    try:
        yield
    except SealError as error:
        raise BackupError(str(error)) from None


def passphrase(text: str) -> Passphrase:
    with _as_backup_error():
        return Passphrase(text)


def recipient(path: Path) -> Lock:
    """The public key (PEM: X25519, or RSA of 3072 bits or more) to encrypt a backup to."""
    with _as_backup_error():
        return load_recipient(path)


def identity(path: Path) -> Unlock:
    """The private key (unencrypted PEM) that opens backups encrypted to its public key."""
    with _as_backup_error():
        return load_identity(path)


def encryption(path: Path) -> str | None:
    """How a backup file is encrypted: "passphrase", "x25519", "rsa", or None (not)."""
    if not path.is_file():
        raise BackupError(f"there is no file {path}")
    with _as_backup_error():
        return sealed_mode(path)


def describe(lock: Lock | None) -> str | None:
    """A lock in words, for messages: None for no encryption."""
    if lock is None:
        return None
    return "a passphrase" if isinstance(lock, Passphrase) else f"the key {fingerprint(lock)}"


def backup(config: Config, out: Path, lock: Lock | None = None) -> Manifest:
    """Write an archive of the configured site to `out` (never over an existing file),
    encrypted to `lock` when given; only then does it hold the session secret key."""
    if out.exists():
        raise BackupError(f"{out} already exists: choose a new file name")
    if not out.parent.is_dir():
        raise BackupError(f"there is no folder {out.parent}")
    engine = make_engine(config.database_url)
    try:
        kind = engine_kind(engine.url)
        if not _has_tables(engine):
            raise BackupError("the database is empty or missing: nothing to back up "
                              "(is SHOPFLOOR_DATABASE_URL or SHOPFLOOR_DATA_DIR right?)")
        manifest = Manifest(kind, current_revision(engine),
                            datetime.now(UTC).isoformat(timespec="seconds"), __version__)
        with tempfile.TemporaryDirectory(prefix="shopfloor-backup-") as tmp:
            payload = Path(tmp) / PAYLOADS[kind]
            if kind == "sqlite":
                _sqlite_copy(_sqlite_path(engine.url), payload)
                copy = create_engine(f"sqlite:///{payload}")
                try:
                    manifest = replace(manifest, audit=_audit_anchor(copy))
                finally:
                    copy.dispose()
            else:
                # read before pg_dump takes its snapshot: the dump holds at least this entry
                manifest = replace(manifest, audit=_audit_anchor(engine))
                _pg_dump(engine, payload)
            partial = out.with_name(out.name + ".part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            items = [item for item in DATA_ITEMS if lock is not None or item not in SECRET_ITEMS]
            try:
                with os.fdopen(fd, "wb") as handle:
                    sealer = Sealer(handle, lock) if lock is not None else None
                    # tarfile's stream mode ("w|") only ever writes to its file object
                    target = cast(BinaryIO, sealer) if sealer is not None else handle
                    with tarfile.open(fileobj=target, mode="w|") as archive:
                        _add_bytes(archive, MANIFEST, manifest.to_json())
                        archive.add(payload, arcname=PAYLOADS[kind])
                        for item in items:
                            if (config.data_dir / item).exists():
                                archive.add(config.data_dir / item, arcname=f"data/{item}")
                    if sealer is not None:
                        sealer.finish()
                os.replace(partial, out)
            finally:
                partial.unlink(missing_ok=True)
        return manifest
    finally:
        engine.dispose()


@contextmanager
def opened(archive_path: Path, unlock: Unlock | None = None) -> Iterator[Path]:
    """The plain archive of a backup file: the file itself, or for an encrypted one a copy
    opened into a private temporary folder, checked whole before anything reads it."""
    if encryption(archive_path) is None:
        yield archive_path
        return
    with tempfile.TemporaryDirectory(prefix="shopfloor-open-") as tmp:
        plain = Path(tmp) / "backup.tar"
        fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            try:
                unseal(archive_path, handle, unlock)
            except SealError as error:
                raise BackupError(f"{error}: nothing was restored") from None
        yield plain


def read_manifest(archive_path: Path) -> Manifest:
    if encryption(archive_path) is not None:
        raise BackupError(f"{archive_path} is encrypted: open it first")
    with _open_archive(archive_path) as archive:
        return Manifest.from_json(_member_bytes(archive, MANIFEST))


def target_is_empty(config: Config) -> bool:
    """True when neither the database nor the data folder holds anything of a site."""
    if any((config.data_dir / item).exists() for item in DATA_ITEMS):
        return False
    engine = make_engine(config.database_url)
    try:
        return not _has_tables(engine)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    needs_upgrade: bool


def restore(config: Config, archive_path: Path, unlock: Unlock | None = None, *,
            actor: str = "cli", name: str | None = None) -> RestoreResult:
    """Replace the configured database and the site's data files with the archive's; an
    encrypted one is opened with `unlock` first. The restore is audited as `actor`,
    naming the backup file `name` (by default the archive's own)."""
    with opened(archive_path, unlock) as plain:
        return _restore(config, plain, actor, name or archive_path.name)


def _restore(config: Config, archive_path: Path, actor: str, name: str) -> RestoreResult:
    manifest = read_manifest(archive_path)
    engine = make_engine(config.database_url)
    try:
        kind = engine_kind(engine.url)
        if kind != manifest.kind:
            raise BackupError(f"this backup holds a {manifest.kind} database but the "
                              f"configured database (SHOPFLOOR_DATABASE_URL) is {kind}")
        with tempfile.TemporaryDirectory(prefix="shopfloor-restore-") as tmp, \
                _open_archive(archive_path) as archive:
            payload = Path(tmp) / PAYLOADS[kind]
            payload.write_bytes(_member_bytes(archive, PAYLOADS[kind]))
            if kind == "sqlite":
                target = _sqlite_path(engine.url)
                target.parent.mkdir(parents=True, exist_ok=True)
                _sqlite_copy(payload, target)
            else:
                _pg_restore(engine, payload)
            _restore_data(archive, config.data_dir)
        needs_upgrade = manifest.schema_revision != head_revision()
        _audit_restore(engine, manifest, name, actor)
        return RestoreResult(manifest, needs_upgrade)
    finally:
        engine.dispose()


def _audit_anchor(engine: Engine) -> dict[str, Any] | None:
    """The audit chain's anchor in the database `engine` reaches (None without a chain
    table: a database older than any this server reads)."""
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM audit_entries")).scalar_one()
            last = connection.execute(text("SELECT id, hash FROM audit_entries "
                                           "ORDER BY id DESC LIMIT 1")).first()
    except SQLAlchemyError:
        return None
    if last is None:
        return Anchor(0, "0" * 64, None).to_dict()
    return Anchor(int(count), str(last.hash), int(last.id)).to_dict()


def _audit_restore(engine: Engine, manifest: Manifest, file_name: str, actor: str) -> None:
    """A restore replaces the audit chain with the backup's; it says so in that chain,
    with the backup's anchor and whether the restored chain still holds it."""
    with make_sessionmaker(engine)() as session:
        anchors = [Anchor.from_dict(manifest.audit)] if manifest.audit else []
        check = verify_chain(session, anchors)
        record(session, actor, "backup.restore", "backup", None, after={
            "file": file_name, "created_at": manifest.created_at,
            "server_version": manifest.server_version,
            "schema_revision": manifest.schema_revision, "backup_anchor": manifest.audit,
            "restored": {k: v for k, v in current_anchor(session).to_dict().items()
                         if k != "at"},
            "chain_ok": check.ok, "problem": check.problem})
        session.commit()


# --- SQLite -------------------------------------------------------------------------------

def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while the server writes."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite: {error}") from None
    finally:
        src.close()


# --- PostgreSQL ---------------------------------------------------------------------------

def _pg_tool(engine: Engine, name: str) -> str:
    """Debian's pg_dump/pg_restore for the server's major version (a newer one also reads
    an older server); Debian keeps each version in /usr/lib/postgresql/N/bin."""
    with engine.connect() as connection:
        major = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    installed = sorted(int(p.parent.parent.name) for p in
                       Path("/usr/lib/postgresql").glob(f"*/bin/{name}")
                       if p.parent.parent.name.isdigit())
    usable = [version for version in installed if version >= major]
    if not usable:
        raise BackupError(f"{name} for PostgreSQL {major} is not installed: install Debian's "
                          f"postgresql-client-{major}")
    return f"/usr/lib/postgresql/{usable[0]}/bin/{name}"


def _pg_env(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, which goes in PGPASSWORD (argv is public)."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run_pg(argv: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=PG_TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(argv[0]).name} took longer than {PG_TOOL_TIMEOUT} s") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"{Path(argv[0]).name}: {lines[-1] if lines else 'failed'}")


def _pg_dump(engine: Engine, out: Path) -> None:
    uri, env = _pg_env(engine.url)
    _run_pg([_pg_tool(engine, "pg_dump"), "--format=custom", "--no-owner", "--no-acl",
             f"--file={out}", f"--dbname={uri}"], env)


def _pg_restore(engine: Engine, dump: Path) -> None:
    tool = _pg_tool(engine, "pg_restore")
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except OperationalError as error:
        raise BackupError(f"PostgreSQL: cannot empty the database: {error.orig}") from None
    uri, env = _pg_env(engine.url)
    _run_pg([tool, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
             f"--dbname={uri}", str(dump)], env)


# --- the archive --------------------------------------------------------------------------

@contextmanager
def _open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    if not path.is_file():
        raise BackupError(f"there is no file {path}")
    try:
        with tarfile.open(path, mode="r:") as archive:
            yield archive
    except tarfile.TarError as error:
        raise BackupError(f"{path} is not a readable backup: {error}") from None


def _member_bytes(archive: tarfile.TarFile, name: str) -> bytes:
    try:
        member = archive.extractfile(name)
    except KeyError:
        member = None
    if member is None:
        raise BackupError(f"the backup has no {name}: it is incomplete")
    return member.read()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def _restore_data(archive: tarfile.TarFile, data_dir: Path) -> None:
    """Replace the site's data items with the archive's. Only plain files and folders under
    those items are written (Debian 12's Python has no tarfile extraction filters)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for item in DATA_ITEMS:
        path = data_dir / item
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for member in archive.getmembers():
        parts = PurePosixPath(member.name).parts
        if len(parts) < 2 or parts[0] != "data" or parts[1] not in DATA_ITEMS \
                or ".." in parts or not (member.isfile() or member.isdir()):
            continue
        target = data_dir.joinpath(*parts[1:])
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = archive.extractfile(member)
        if source is not None:
            with source, target.open("wb") as handle:
                shutil.copyfileobj(source, handle)
            target.chmod(member.mode & 0o777)


def _has_tables(engine: Engine) -> bool:
    if engine.url.get_backend_name() == "sqlite" and engine.url.database \
            and not Path(engine.url.database).exists():
        return False
    with engine.connect() as connection:
        return bool(inspect(connection).get_table_names())
