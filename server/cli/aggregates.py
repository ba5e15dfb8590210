"""`aggregates rebuild [--check]`: the day sums scoring reads (services/scores/aggregates.py),
recomputed from the records, or compared with them."""

from __future__ import annotations

import argparse

from server.cli.common import Context, emit
from server.services.audit import record
from server.services.scores import aggregates


def cmd_rebuild(args: argparse.Namespace, ctx: Context) -> int:
    zone = ctx.config.zone
    with ctx.session() as session:
        if args.check:
            if aggregates.zone_of(session) != zone:
                stored = aggregates.zone_of(session)
                differences = [f"the day sums are dated in {stored.key if stored else 'no zone'}"
                               f", the server runs in {zone.key}: run without --check"]
            else:
                differences = aggregates.rebuild(session, check=True)
            emit(args, {"differences": differences, "ok": not differences},
                 lambda: "\n".join(differences) + f"\n{len(differences)} differences"
                 if differences else "the day sums agree with the records")
            return 1 if differences else 0
        if not aggregates.establish(session, zone):
            aggregates.rebuild(session)
        record(session, "cli", "aggregates.rebuild", "aggregates", zone.key)
        session.commit()
        rows = aggregates.stored_rows(session)
    emit(args, {"rebuilt": True, "zone": zone.key, "day_rows": rows},
         f"day sums rebuilt in {zone.key}: {rows} worker-days")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("aggregates", help="the day sums scoring reads").add_subparsers(
        dest="aggregates_cmd", required=True)
    rebuild = group.add_parser("rebuild", help="recompute the day sums from the records")
    rebuild.add_argument("--check", action="store_true",
                         help="change nothing; list every difference (exit 1 if any)")
    rebuild.add_argument("--json", action="store_true")
    rebuild.set_defaults(handler=cmd_rebuild)
