"""`backup --out FILE` and `restore FILE [--yes]` (docs/ARCHITECTURE.md, "The command line").

Restore asks before it replaces a site that holds anything; with no terminal to ask on it
refuses instead, unless `--yes` says so up front.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import make_url

from server.cli.common import Context, emit
from server.services.backup import BackupError, backup, read_manifest, restore, target_is_empty


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    out = Path(args.out)
    manifest = backup(ctx.config, out)
    emit(args, {"file": str(out), "kind": manifest.kind,
                "schema_revision": manifest.schema_revision,
                "created_at": manifest.created_at, "bytes": out.stat().st_size},
         f"backed up the {manifest.kind} database and data files to {out}")
    return 0


def _confirmed(target: str) -> bool:
    answer = input(f"{target} is not empty; replace everything in it with the backup? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    archive = Path(args.file)
    database = make_url(ctx.config.database_url).render_as_string(hide_password=True)
    target = f"the database {database} or the data folder {ctx.config.data_dir}"
    read_manifest(archive)
    if not args.yes and not target_is_empty(ctx.config):
        if not sys.stdin.isatty():
            raise BackupError(f"{target} is not empty: stop the server, then run "
                              "restore again with --yes to replace it")
        if not _confirmed(target):
            raise BackupError("nothing restored")
    result = restore(ctx.config, archive)
    manifest = result.manifest
    lines = [f"restored the {manifest.kind} backup made {manifest.created_at}"]
    if result.needs_upgrade:
        lines.append("its schema is older than this server's: run `shopfloor-server init`")
    emit(args, {"file": str(archive), "kind": manifest.kind,
                "created_at": manifest.created_at,
                "schema_revision": manifest.schema_revision,
                "needs_upgrade": result.needs_upgrade}, "\n".join(lines))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    save = sub.add_parser("backup", help="write the database and data files to one archive")
    save.add_argument("--out", required=True, metavar="FILE", help="a new file to write")
    save.add_argument("--json", action="store_true")
    save.set_defaults(handler=cmd_backup)

    load = sub.add_parser("restore", help="replace the database and data files with a backup")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--yes", action="store_true",
                      help="replace a database or data folder that is not empty")
    load.add_argument("--json", action="store_true")
    load.set_defaults(handler=cmd_restore)
