"""`alert list` and `notify test`: alerts (andon) and their notification targets.

    shopfloor-server alert list [--workshop W] [--json]   # open alerts, newest first
    shopfloor-server notify test [--json]                 # one test message to each target

The targets are the settings SHOPFLOOR_NOTIFY_URLS and SHOPFLOOR_ESCALATE_URLS (apprise
URLs); they hold keys, so they are shown by scheme and host only.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from server.cli.common import CliError, Context, emit
from server.models import Workshop
from server.services.alerts import alert_dict, open_alerts
from server.services.alerts.messages import KIND_NAMES, TEST_BODY, TEST_TITLE, when
from server.services.alerts.notify import send_test


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    zone = ctx.config.zone
    with ctx.session() as session:
        ids = None
        if args.workshop is not None:
            found = session.scalar(select(Workshop.id).where(Workshop.code == args.workshop))
            if found is None:
                raise CliError(f"no workshop with code {args.workshop!r}")
            ids = {found}
        alerts = open_alerts(session, ids)
        rows = [alert_dict(a) for a in alerts]
        opened = {a.id: when(a.opened_at, zone) for a in alerts}

    def line(row: dict[str, Any]) -> str:
        state = (f"acknowledged by {row['acknowledged_by_name']}" if row["acknowledged_at"]
                 else "NOT ACKNOWLEDGED")
        machine = row["machine"] or "-"
        return (f"{row['id']:>6}  {opened[row['id']]:<13} {row['workshop']:<8} "
                f"{KIND_NAMES[row['kind']]:<5} {machine:<10} {row['reason'] or '-':<12} "
                f"{row['reporter']:<8} {state}")

    emit(args, {"alerts": rows},
         lambda: "\n".join(line(r) for r in rows) or "no open alerts")
    return 0


def cmd_notify_test(args: argparse.Namespace, ctx: Context) -> int:
    lists = {"notify": ctx.config.notify_urls, "escalate": ctx.config.escalate_urls}
    if not any(lists.values()):
        raise CliError("no notification targets: set SHOPFLOOR_NOTIFY_URLS (and "
                       "SHOPFLOOR_ESCALATE_URLS) to apprise URLs, e.g. json://host/path")
    outcomes = send_test(lists, TEST_TITLE, TEST_BODY)
    rows = [{"target": o.target, "list": o.list, "sent": o.sent} for o in outcomes]
    emit(args, {"targets": rows}, lambda: "\n".join(
        f"{r['list']:<9} {r['target']:<40} {'sent' if r['sent'] else 'FAILED'}"
        for r in rows))
    return 0 if all(o.sent for o in outcomes) else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alert = sub.add_parser("alert", help="alerts (andon): machine faults and quality "
                                         "issues").add_subparsers(dest="alert_cmd",
                                                                  required=True)
    listing = alert.add_parser("list", help="open alerts, newest first")
    listing.add_argument("--workshop", help="one workshop's (its code)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=cmd_list)
    notify = sub.add_parser("notify", help="notification targets").add_subparsers(
        dest="notify_cmd", required=True)
    test = notify.add_parser("test", help="send one test message to every configured "
                                          "target (SHOPFLOOR_NOTIFY_URLS, "
                                          "SHOPFLOOR_ESCALATE_URLS)")
    test.add_argument("--json", action="store_true", help="print JSON")
    test.set_defaults(handler=cmd_notify_test)
