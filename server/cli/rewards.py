"""`reward add|list|retire`: the reward catalogue (services/rewards/catalogue.py).

    shopfloor-server reward add GLOVES --name 手套 --name-en Gloves --cost 30 --stock 20 \
        --picture gloves.jpg
    shopfloor-server reward add DAYOFF --name 调休一天 --cost 200 --approval
    shopfloor-server reward add BONUS100 --name 奖金100元 --cost 1 --menu excellent --cash 100
    shopfloor-server reward list --json
    shopfloor-server reward retire GLOVES

Every refusal (a cost of 0 or less, a code taken, an unreadable picture) is one line on
stderr; nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from server.cli.common import Context, emit
from server.services.rewards.catalogue import (
    RewardSpec,
    add_reward,
    list_rewards,
    retire_reward,
    reward_dict,
)

ACTOR = "cli"


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    picture = Path(args.picture).read_bytes() if args.picture else None
    spec = RewardSpec(name=args.name, name_en=args.name_en, cost=args.cost, stock=args.stock,
                      tier=args.tier, needs_approval=args.approval, cash=args.cash,
                      menus=tuple(args.menu or ()))
    with ctx.session() as session:
        reward = add_reward(session, args.code, spec, ACTOR, picture)
        session.commit()
        data = reward_dict(reward)
    emit(args, data, f"reward {data['code']} added: {data['name']}, {data['cost']:g} points"
                     + (f", stock {data['stock']}" if data["stock"] is not None else ""))
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        rows = [reward_dict(r) for r in list_rewards(session)]

    def text() -> str:
        return "\n".join(
            f"{r['code']:<12} {r['cost']:>8g}  "
            f"{'∞' if r['stock'] is None else r['stock']:>5}  "
            f"{'' if r['active'] else '(retired) '}{r['name']}"
            + (f"  tier {r['tier']}" if r["tier"] else "")
            + (f"  menus {','.join(r['menus'])}" if r["menus"] else "")
            + ("  approval" if r["approval"] else "")
            for r in rows) or "no rewards"
    emit(args, rows, text)
    return 0


def cmd_retire(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        reward = retire_reward(session, args.code, ACTOR)
        session.commit()
        data = reward_dict(reward)
    emit(args, data, f"reward {data['code']} retired")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reward = sub.add_parser("reward", help="the reward catalogue workers spend points on")
    verbs = reward.add_subparsers(dest="reward_cmd", required=True)

    add = verbs.add_parser("add", help="add a reward; audited")
    add.add_argument("code", metavar="CODE")
    add.add_argument("--name", required=True, metavar="N")
    add.add_argument("--name-en", metavar="N")
    add.add_argument("--cost", type=float, required=True, metavar="P", help="points, above 0")
    add.add_argument("--stock", type=int, metavar="S", help="default: unlimited")
    add.add_argument("--tier", metavar="TIER",
                     help="only for workers who held this tier in the last closed period")
    add.add_argument("--menu", action="append", metavar="TIER",
                     help="offer it on this tier's reward menu (repeatable)")
    add.add_argument("--cash", type=float, metavar="AMOUNT",
                     help="its money value when it is a cash choice (payroll export)")
    add.add_argument("--approval", action="store_true",
                     help="a supervisor or HR approves it before hand-over")
    add.add_argument("--picture", metavar="FILE", help="a JPEG or PNG")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)

    listing = verbs.add_parser("list", help="every reward, retired ones last")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    retire = verbs.add_parser("retire", help="stop offering a reward; audited")
    retire.add_argument("code", metavar="CODE")
    retire.add_argument("--json", action="store_true")
    retire.set_defaults(handler=cmd_retire)
