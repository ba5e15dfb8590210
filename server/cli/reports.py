"""`report weekly|monthly`: the same report files the admin's Reports page makes.

    shopfloor-server report monthly --workshop W1 --format xlsx --out m.xlsx [--month 2026-03]
    shopfloor-server report weekly  --workshop W1 --format pdf  --out w.pdf  [--week 2026-W11]

Without --month/--week the last full period is reported.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from server.cli.common import Context, emit
from server.services.reports.reports import FORMATS, KINDS, report_file


def cmd_report(args: argparse.Namespace, ctx: Context) -> int:
    zone = ctx.config.zone
    period = args.month if args.kind == "monthly" else args.week
    with ctx.session() as session:
        name, data = report_file(session, args.kind, args.workshop, args.format, zone,
                                 period, datetime.now(zone).date(),
                                 font=ctx.config.pdf_font)
    out = Path(args.out) if args.out else Path(name)
    out.write_bytes(data)
    emit(args, {"file": str(out), "report": name, "bytes": len(data)},
         f"wrote {out} ({len(data)} bytes)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="weekly or monthly workshop reports (xlsx, csv, pdf)")
    report.add_argument("kind", choices=sorted(KINDS))
    report.add_argument("--workshop", required=True, help="workshop code")
    report.add_argument("--format", choices=FORMATS, default="xlsx")
    report.add_argument("--out", help="file to write (default: a name made from the report)")
    report.add_argument("--month", help="YYYY-MM (monthly; default: last full month)")
    report.add_argument("--week", help="YYYY-Www (weekly; default: last full week)")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=cmd_report)
