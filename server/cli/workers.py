"""`worker pin-locks|unlock-pin`: supervisors' PINs (services/people/pins.py).

    shopfloor-server worker pin-locks --json       # wrong PINs, locks, PINs to renew
    shopfloor-server worker unlock-pin S001 --json

After MAX_WRONG_PINS wrong PINs a supervisor's acts are locked; `unlock-pin` lets them act
again (audited) and makes every kiosk start its own count afresh. `pin-locks` also lists
the supervisors whose PINs are shorter than new ones must be: HR sets them new ones in the
admin. The admin's "PIN locks" page does the same.
"""

from __future__ import annotations

import argparse
from typing import Any

from server.cli import privacy
from server.cli.common import Context, emit
from server.models import Worker
from server.services.people import pins

ACTOR = "cli"


def _row(worker: Worker) -> dict[str, Any]:
    return {"code": worker.code, "workshop": worker.workshop.code,
            "wrong_pins": worker.pin_failures,
            "locked_at": worker.pin_locked_at.isoformat() if worker.pin_locked_at else None,
            "pin_digits": worker.pin_digits}


def cmd_pin_locks(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        data = {"locks": [_row(w) for w in pins.locks(session)],
                "renew": [_row(w) for w in pins.short_pins(session)]}

    def text() -> str:
        lines = [f"{r['code']:<12} {r['workshop']:<8} {r['wrong_pins']} wrong PINs"
                 + (f", locked since {r['locked_at']}" if r["locked_at"] else "")
                 for r in data["locks"]] or ["no wrong PINs and no locks"]
        if data["renew"]:
            lines.append("PINs to renew (shorter than new PINs, or of unknown length): "
                         + ", ".join(r["code"] for r in data["renew"]))
        return "\n".join(lines)

    emit(args, data, text)
    return 0


def cmd_unlock_pin(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        worker = pins.unlock(session, args.code, ACTOR)
        session.commit()
        data = {"code": worker.code, "unlocked": True, "pin_epoch": worker.pin_epoch}
    emit(args, data, f"{args.code} may act again; kiosks start counting wrong PINs afresh")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="workers: supervisors' PIN locks, export and "
                                           "erase one worker's data")
    verbs = worker.add_subparsers(dest="worker_cmd", required=True)
    locks = verbs.add_parser("pin-locks", help="supervisors with wrong PINs or locked acts, "
                                               "and PINs to renew")
    locks.set_defaults(handler=cmd_pin_locks)
    unlock = verbs.add_parser("unlock-pin", help="let a locked supervisor act again "
                                                 "(audited)")
    unlock.add_argument("code", help="the supervisor's worker code")
    unlock.set_defaults(handler=cmd_unlock_pin)
    for parser in (locks, unlock):
        parser.add_argument("--json", action="store_true", help="print JSON")
    privacy.register_worker_verbs(verbs)
