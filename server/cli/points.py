"""`points balance|history|add`: a worker's points account (services/points/ledger.py).

    shopfloor-server points balance W001 --json
    shopfloor-server points history W001 [--limit 50] --json
    shopfloor-server points add W001 --points 10 --reason "5S audit" [--category SAFETY]
    shopfloor-server points add W001 --points -5 --reason "correction"

`add` is an HR line: an approved point entry dated today (it counts toward the period's
score within the scheme's points_cap) and its ledger line. A deduction that would take the
balance below zero is refused. Every refusal is one line on stderr; nothing is written.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from server.cli.common import Context, emit
from server.services.points import ledger

ACTOR = "cli"


def cmd_balance(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        data = ledger.account(session, args.worker, limit=0)
    data.pop("lines")
    emit(args, data, f"{data['worker']} {data['name']}: {data['balance']:g} points")
    return 0


def cmd_history(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        data = ledger.account(session, args.worker, limit=args.limit)

    def text() -> str:
        lines = [f"{data['worker']} {data['name']}: {data['balance']:g} points"]
        lines += [f"  {line['at'][:19]} {line['points']:+g} {line['source']:<10} "
                  f"{line['category'] or '':<10} {line['reason'] or ''}"
                  for line in data["lines"]]
        return "\n".join(lines)
    emit(args, data, text)
    return 0


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        line = ledger.hr_line(session, args.worker, args.points, args.reason, args.category,
                              ACTOR, datetime.now(ctx.config.zone).date())
        session.commit()
        data = {"worker": args.worker, "line": line.id, "points": line.points,
                "balance": ledger.balance(session, line.worker_id)}
    emit(args, data, f"{args.worker}: {data['points']:+g}, balance {data['balance']:g}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    points = sub.add_parser("points", help="a worker's points account: balance, history, "
                                           "HR lines")
    verbs = points.add_subparsers(dest="points_cmd", required=True)

    balance = verbs.add_parser("balance", help="the worker's balance")
    balance.add_argument("worker", metavar="WORKER")
    balance.add_argument("--json", action="store_true")
    balance.set_defaults(handler=cmd_balance)

    history = verbs.add_parser("history", help="the worker's ledger lines, newest first")
    history.add_argument("worker", metavar="WORKER")
    history.add_argument("--limit", type=int, default=50, help="lines to show (default 50)")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=cmd_history)

    add = verbs.add_parser("add", help="award (or, negative, deduct) points by hand; "
                                       "audited")
    add.add_argument("worker", metavar="WORKER")
    add.add_argument("--points", type=float, required=True, metavar="N")
    add.add_argument("--reason", required=True, metavar="TEXT")
    add.add_argument("--category", metavar="C", help="a point category code")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)
