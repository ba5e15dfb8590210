"""`period close|reopen|list`: settle a workshop's week or month (services/periods).

    shopfloor-server period close --workshop W1 --month 2026-11
    shopfloor-server period close --all --week 2026-W47 --force --reason "line 3 down"
    shopfloor-server period reopen --workshop W1 --month 2026-11 --reason "late MES batch"
    shopfloor-server period list [--workshop W1] --json

Every refusal is one line on stderr and a non-zero exit; nothing is written then.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from server.cli.common import Context, emit
from server.scoring import Period
from server.services.periods.closing import close_period, list_periods, reopen_period

ACTOR = "cli"


def _which(args: argparse.Namespace) -> tuple[Period, str]:
    return (Period.MONTH, args.month) if args.month else (Period.WEEK, args.week)


def _close_text(results: list[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        line = (f"{r['workshop']} {r['period']}: closed as version {r['version']} "
                f"({r['workers']} workers)")
        if r["forced"]:
            line += f", forced past {len(r['flags'])} flag(s)"
        if r["star"]:
            line += f"; improvement star {r['star']['name']} ({r['star']['code']})"
        lines.append(line)
        lines.extend(f"  {c['worker']}: total {c['total'][0]} -> {c['total'][1]}, "
                     f"rank {c['rank'][0]} -> {c['rank'][1]}, tier {c['tier'][0]} -> "
                     f"{c['tier'][1]}" for c in r["changes"])
    return "\n".join(lines)


def cmd_close(args: argparse.Namespace, ctx: Context) -> int:
    kind, key = _which(args)
    zone = ctx.config.zone
    with ctx.session() as session:
        results = close_period(session, None if args.all else args.workshop, kind, key, ACTOR,
                               zone, datetime.now(zone).date(), force=args.force,
                               reason=args.reason)
        session.commit()
        data = [r.to_dict() for r in results]
    emit(args, data if args.all else data[0], lambda: _close_text(data))
    return 0


def cmd_reopen(args: argparse.Namespace, ctx: Context) -> int:
    kind, key = _which(args)
    with ctx.session() as session:
        row = reopen_period(session, args.workshop, kind, key, ACTOR, args.reason)
        session.commit()
        data = {"workshop": args.workshop, "period": row.key, "state": row.state.value,
                "version": row.version, "reason": row.reason}
    emit(args, data, f"{data['workshop']} {data['period']}: reopened (version "
                     f"{data['version']} stays on record until it is closed again)")
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    zone = ctx.config.zone
    with ctx.session() as session:
        rows = list_periods(session, args.workshop, datetime.now(zone).date())

    def text() -> str:
        return "\n".join(
            f"{r['workshop']:<8} {r['period']:<9} {r['state']:<9}"
            + (f" v{r['version']} {r['closed_by'] or ''} {r['closed_at'] or ''}"
               if r["version"] else (" (running)" if not r["ended"] else ""))
            for r in rows) or "no periods"
    emit(args, rows, text)
    return 0


def _period_args(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", metavar="YYYY-MM", help="a month, for monthly schemes")
    which.add_argument("--week", metavar="YYYY-Www", help="an ISO week, for weekly schemes")
    parser.add_argument("--json", action="store_true")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    period = sub.add_parser("period", help="close, reopen and list settled periods")
    verbs = period.add_subparsers(dest="period_cmd", required=True)

    close = verbs.add_parser("close", help="check, freeze and settle a week or month")
    where = close.add_mutually_exclusive_group(required=True)
    where.add_argument("--workshop", metavar="W")
    where.add_argument("--all", action="store_true",
                       help="every workshop scored by that kind of period")
    _period_args(close)
    close.add_argument("--force", action="store_true",
                       help="close although the completeness check flags gaps")
    close.add_argument("--reason", help="why (required with --force), kept with the snapshot")
    close.set_defaults(handler=cmd_close)

    reopen = verbs.add_parser("reopen", help="reopen a closed period (admin; audited)")
    reopen.add_argument("--workshop", metavar="W", required=True)
    _period_args(reopen)
    reopen.add_argument("--reason", help="why the settled period is reopened (required)")
    reopen.set_defaults(handler=cmd_reopen)

    listing = verbs.add_parser("list", help="periods and their state: open, closed, reopened")
    listing.add_argument("--workshop", metavar="W")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
