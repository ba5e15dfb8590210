"""Backups of a whole site: the database and the data folder's own files, in one archive.

An archive is a tar file holding `manifest.json` (what kind of database, which schema
revision, when), the database (`database.sqlite` made by SQLite's online backup API, or
`database.pgdump` made by `pg_dump -Fc`) and `data/...`: the secret key, photos and uploads.
Restoring checks the manifest against the configured database, so a PostgreSQL dump is
never poured into a SQLite file or the other way round.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from server.config import Config
from server.db import current_revision, head_revision, make_engine
from server.services import ServiceError
from server.version import __version__

FORMAT = "shopfloor-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
# The data folder's files that belong to the site (the database itself aside).
DATA_ITEMS = ("secret_key", "photos", "uploads")
PG_TOOL_TIMEOUT = 3600


class BackupError(ServiceError):
    """A backup or restore that cannot go ahead, said in one line."""


@dataclass(frozen=True)
class Manifest:
    kind: str
    schema_revision: str | None
    created_at: str
    server_version: str

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
                           "kind": self.kind, "schema_revision": self.schema_revision,
                           "created_at": self.created_at,
                           "server_version": self.server_version}, indent=2).encode()

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
        return cls(data["kind"], data.get("schema_revision"), str(data.get("created_at")),
                   str(data.get("server_version")))


def engine_kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in PAYLOADS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def backup(config: Config, out: Path) -> Manifest:
    """Write an archive of the configured site to `out` (never over an existing file)."""
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
            else:
                _pg_dump(engine, payload)
            partial = out.with_name(out.name + ".part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle,
                                                                 mode="w") as archive:
                    _add_bytes(archive, MANIFEST, manifest.to_json())
                    archive.add(payload, arcname=PAYLOADS[kind])
                    for item in DATA_ITEMS:
                        if (config.data_dir / item).exists():
                            archive.add(config.data_dir / item, arcname=f"data/{item}")
                os.replace(partial, out)
            finally:
                partial.unlink(missing_ok=True)
        return manifest
    finally:
        engine.dispose()


def read_manifest(archive_path: Path) -> Manifest:
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


def restore(config: Config, archive_path: Path) -> RestoreResult:
    """Replace the configured database and the site's data files with the archive's."""
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
        return RestoreResult(manifest, needs_upgrade)
    finally:
        engine.dispose()


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
