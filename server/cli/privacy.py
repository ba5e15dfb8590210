"""Privacy (PIPL): `worker export|erase` and `privacy purge|settings` (services/privacy/).

    shopfloor-server worker export A001 --out A001.zip      # everything held about A001
    shopfloor-server worker erase A001 --yes                # cannot be undone
    shopfloor-server privacy purge --json                   # nightly: shopfloor-retention.timer
    shopfloor-server privacy settings --badge-taps 90       # show, or change, the retention

An unknown worker code is `error: no worker 'X'` and exit 1, as every refused command;
`erase` without `--yes` changes nothing and exits 2. Every export, erasure and purge is in
the audit log (counts only).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from server.cli.common import CliError, Context, emit
from server.services.people.workers import get_worker
from server.services.privacy import remove_files
from server.services.privacy.erase import erase_worker
from server.services.privacy.export import export_worker
from server.services.privacy.retention import (
    DEFAULTS,
    checked,
    get_retention,
    purge,
    save_retention,
)

ACTOR = "cli"
REFUSED = 2


def _photo_dir(ctx: Context) -> Path:
    return ctx.config.data_dir / "photos"


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:
        raise CliError(f"{out} exists: choose another file or add --force")
    if not out.parent.is_dir():
        raise CliError(f"there is no folder {out.parent}")
    partial = out.with_name(out.name + ".part")
    with ctx.session() as session:
        get_worker(session, args.code)  # an unknown code: the clear error, no file made
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                manifest = export_worker(session, args.code, _photo_dir(ctx), handle, ACTOR)
            session.commit()
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    emit(args, {**manifest, "file": str(out)},
         f"worker {args.code}: {len(manifest['files'])} files written to {out} "
         "(personal data: keep it safe, mode 0600)")
    return 0


def cmd_erase(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        worker = get_worker(session, args.code)
        if not args.yes:
            print(f"error: erasing {worker.code} removes their name, PIN, badges and "
                  "photos for good and cannot be undone; nothing was changed. Run again "
                  "with --yes (export the data first: worker export CODE --out FILE.zip)",
                  file=sys.stderr)
            return REFUSED
        erasure = erase_worker(session, args.code, _photo_dir(ctx), ACTOR)
        session.commit()
    removed = remove_files(erasure.files)
    data = {**erasure.to_dict(), "files_removed": removed}
    emit(args, data, f"worker {args.code} was erased: now {erasure.code} "
         f"({erasure.name}); {erasure.counts['badges']} badges and {removed} photo files "
         f"removed, {erasure.counts['rows_rewritten']} rows pseudonymised")
    return 0


def cmd_purge(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        report = purge(session, ctx.config.zone, _photo_dir(ctx), ACTOR,
                       offline_window=ctx.config.offline_window)
        session.commit()
    removed = remove_files(report.files)
    data = {**report.to_dict(), "files_removed": removed}
    emit(args, data, lambda: "purged: " + ", ".join(
        f"{count} {name.replace('_', ' ')}" for name, count in report.counts.items()))
    return 0


def cmd_settings(args: argparse.Namespace, ctx: Context) -> int:
    given = {name: getattr(args, name) for name in DEFAULTS}
    with ctx.session() as session:
        current = get_retention(session)
        if any(value is not None for value in given.values()):
            merged = {name: given[name] if given[name] is not None else getattr(current, name)
                      for name in DEFAULTS}
            current = save_retention(session, checked(merged), ACTOR)
            session.commit()
    data = current.to_dict()
    emit(args, data, lambda: "\n".join(f"{name.replace('_', ' ')}: {days} days"
                                       for name, days in data.items()))
    return 0


def register_worker_verbs(verbs: argparse._SubParsersAction[argparse.ArgumentParser]
                          ) -> None:
    """`worker export` and `worker erase`, on the `worker` command of cli/workers.py."""
    export = verbs.add_parser("export", help="everything held about one worker, as a zip "
                                             "of JSON files and photos")
    export.add_argument("code", help="the worker's code")
    export.add_argument("--out", required=True, metavar="FILE.zip")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(handler=cmd_export)
    erase = verbs.add_parser("erase", help="erase one worker's personal data (cannot be "
                                           "undone; needs --yes)")
    erase.add_argument("code", help="the worker's code")
    erase.add_argument("--yes", action="store_true", help="really erase")
    erase.set_defaults(handler=cmd_erase)
    for parser in (export, erase):
        parser.add_argument("--json", action="store_true", help="print JSON")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    privacy = sub.add_parser("privacy", help="retention of personal data: settings, "
                                             "the nightly purge")
    verbs = privacy.add_subparsers(dest="privacy_cmd", required=True)
    run = verbs.add_parser("purge", help="delete what has outlived the retention settings "
                                         "(day sums and closed periods are kept)")
    run.set_defaults(handler=cmd_purge)
    settings = verbs.add_parser("settings", help="show the retention settings, or change "
                                                 "those given")
    for name, default in DEFAULTS.items():
        settings.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int,
                              metavar="DAYS", help=f"default {default}")
    settings.set_defaults(handler=cmd_settings)
    for parser in (run, settings):
        parser.add_argument("--json", action="store_true", help="print JSON")
