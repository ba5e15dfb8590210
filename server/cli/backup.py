"""`backup --out FILE [--encrypt | --recipient KEY]` and `restore FILE [--identity KEY]
[--yes]` (docs/ARCHITECTURE.md, "The command line").

`--encrypt` seals the backup with a passphrase: SHOPFLOOR_BACKUP_PASSPHRASE, else asked
twice on a terminal, else one line of stdin. `--recipient` seals it to a public key (PEM,
X25519 or RSA); only the matching private key (`restore --identity`) opens it. Only an
encrypted backup holds the session secret key. Restore asks before it replaces a site that
holds anything; with no terminal to ask on it refuses instead, unless `--yes` says so up
front.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import make_url

from server.cli.common import Context, emit, read_secret
from server.services.backup import (
    BackupError,
    backup,
    describe,
    encryption,
    identity,
    opened,
    passphrase,
    read_manifest,
    recipient,
    restore,
    target_is_empty,
)
from server.services.encryption import Lock, Unlock


def _lock(args: argparse.Namespace, ctx: Context) -> Lock | None:
    if args.recipient:
        return recipient(Path(args.recipient))
    if args.encrypt:
        return passphrase(ctx.config.backup_passphrase
                          or read_secret("passphrase for the backup: ", what="passphrase"))
    return None


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    out = Path(args.out)
    lock = _lock(args, ctx)
    manifest = backup(ctx.config, out, lock)
    sealed = describe(lock)
    text = f"backed up the {manifest.kind} database and data files to {out}"
    text += (f", encrypted to {sealed}" if sealed else
             "\nnot encrypted: it holds no session key, but anyone who has the file can read "
             "everything else (--encrypt or --recipient seal it)")
    emit(args, {"file": str(out), "kind": manifest.kind,
                "schema_revision": manifest.schema_revision,
                "created_at": manifest.created_at, "bytes": out.stat().st_size,
                "encrypted": sealed is not None, "encrypted_to": sealed}, text)
    return 0


def _unlock(args: argparse.Namespace, ctx: Context, archive: Path) -> Unlock | None:
    mode = encryption(archive)
    if mode is None:
        return None
    if args.identity:
        return identity(Path(args.identity))
    if mode == "passphrase":
        return passphrase(ctx.config.backup_passphrase
                          or read_secret("passphrase of the backup: ", what="passphrase",
                                         twice=False))
    return None  # restore then says which key it needs


def _confirmed(target: str) -> bool:
    answer = input(f"{target} is not empty; replace everything in it with the backup? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    archive = Path(args.file)
    database = make_url(ctx.config.database_url).render_as_string(hide_password=True)
    target = f"the database {database} or the data folder {ctx.config.data_dir}"
    with opened(archive, _unlock(args, ctx, archive)) as plain:
        read_manifest(plain)
        if not args.yes and not target_is_empty(ctx.config):
            if not sys.stdin.isatty():
                raise BackupError(f"{target} is not empty: stop the server, then run "
                                  "restore again with --yes to replace it")
            if not _confirmed(target):
                raise BackupError("nothing restored")
        result = restore(ctx.config, plain, name=archive.name)
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
    save.add_argument("--encrypt", action="store_true",
                      help="encrypt with a passphrase (SHOPFLOOR_BACKUP_PASSPHRASE, or stdin); "
                           "only an encrypted backup holds the session key")
    save.add_argument("--recipient", metavar="KEY",
                      help="encrypt to this public key (PEM, X25519 or RSA of 3072+ bits); "
                           "restore then needs its private key")
    save.add_argument("--json", action="store_true")
    save.set_defaults(handler=cmd_backup)

    load = sub.add_parser("restore", help="replace the database and data files with a backup")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--identity", metavar="KEY",
                      help="the private key (PEM) of a backup encrypted with --recipient")
    load.add_argument("--yes", action="store_true",
                      help="replace a database or data folder that is not empty")
    load.add_argument("--json", action="store_true")
    load.set_defaults(handler=cmd_restore)
