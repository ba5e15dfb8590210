"""`audit checkpoint [--out FILE]` and `audit verify [--against FILE]`.

A checkpoint is the audit chain's anchor outside the database: how many entries, the
newest one's id and hash, and when (services/audit.py). Keep it where someone who can
write the database cannot (another machine, a printout, a ticket). `verify` recomputes
the chain; `--against` also checks it against a checkpoint, a backup's manifest.json or
the server's JSON log (its `audit_head` lines), so history rewritten with fresh hashes,
or a chain emptied or cut short, fails. Exit status 0: intact; 1: broken.

    shopfloor-server audit checkpoint --out /srv/anchors/audit-2026-03-31.json
    shopfloor-server audit verify --against /srv/anchors/audit-2026-03-31.json
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from server.cli.common import CliError, Context, emit
from server.services.audit import ChainReport, current_anchor, read_anchors, verify_chain


def _broken(report: ChainReport) -> str:
    where = f" at entry {report.first_bad_id}" if report.first_bad_id is not None else ""
    return f"the audit chain is broken{where}: {report.problem}"


def cmd_checkpoint(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        report = verify_chain(session)
        if not report.ok:  # an anchor would vouch for a chain already broken
            raise CliError(_broken(report) + "; no checkpoint written")
        anchor = current_anchor(session)
    data = anchor.to_dict()
    if args.out is None:
        print(json.dumps(data, indent=2))
        return 0
    out = Path(args.out)
    partial = out.with_name(out.name + ".part")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, out)
    emit(args, {**data, "file": str(out)},
         f"checkpoint of {anchor.count} audit entries (newest {anchor.last_id}) "
         f"written to {out}")
    return 0


def cmd_verify(args: argparse.Namespace, ctx: Context) -> int:
    anchors = []
    if args.against is not None:
        path = Path(args.against)
        if not path.is_file():
            raise CliError(f"there is no file {path}")
        anchors = read_anchors(path.read_text(encoding="utf-8"))
    with ctx.session() as session:
        report = verify_chain(session, anchors)
    data = {"ok": report.ok, "entries": report.entries, "first_bad_id": report.first_bad_id,
            "problem": report.problem, "anchors": report.anchors}
    checked = f", {report.anchors} anchor(s) matched" if anchors else ""
    emit(args, data, f"the audit chain is intact: {report.entries} entries{checked}"
         if report.ok else _broken(report))
    return 0 if report.ok else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="anchor and verify the audit chain")
    verbs = audit.add_subparsers(dest="verb", required=True, metavar="VERB")

    checkpoint = verbs.add_parser("checkpoint", help="write the chain's head and count "
                                  "(JSON) to keep outside the database")
    checkpoint.add_argument("--out", metavar="FILE",
                            help="write it to FILE (default: print it)")
    checkpoint.add_argument("--json", action="store_true")
    checkpoint.set_defaults(handler=cmd_checkpoint)

    verify = verbs.add_parser("verify", help="recompute the chain; with --against, check "
                              "it still holds an anchor's entry")
    verify.add_argument("--against", metavar="FILE",
                        help="a checkpoint, a backup's manifest.json or a JSON log")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=cmd_verify)
