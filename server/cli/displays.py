"""`display add|list|revoke`: wall display links for workshop TVs."""

from __future__ import annotations

import argparse
import socket

from server.cli.common import Context, emit
from server.config import Config
from server.models import Language
from server.services.devices.displays import add_display, list_displays, revoke_display
from server.wall.links import wall_base_url


def default_base_url(config: Config) -> str:
    """Where TVs reach this server: SHOPFLOOR_PUBLIC_URL, else this host's wall port."""
    return wall_base_url(config, socket.gethostname())


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        made = add_display(session, args.name, None if args.all else args.workshop,
                           Language(args.lang), actor="cli")
        session.commit()
    base_url = args.base_url or default_base_url(ctx.config)
    url = f"{base_url.rstrip('/')}{made.path()}"
    emit(args, {"name": args.name, "workshop": None if args.all else args.workshop,
                "language": args.lang, "url": url},
         f"display {args.name}: open this link on the TV (shown once):\n{url}")
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        rows = [{"name": d.name, "workshop": d.workshop.code if d.workshop else None,
                 "language": d.language.value,
                 "last_seen": d.last_seen.isoformat() if d.last_seen else None,
                 "revoked": d.revoked_at is not None} for d in list_displays(session)]
    emit(args, rows, lambda: "\n".join(
        f"{r['name']:<20} {r['workshop'] or 'all':<8} {r['language']:<6} "
        f"last seen {r['last_seen'] or 'never'}{'  REVOKED' if r['revoked'] else ''}"
        for r in rows) or "no displays yet: add one with `shopfloor-server display add`")
    return 0


def cmd_revoke(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        revoke_display(session, args.name, actor="cli")
        session.commit()
    emit(args, {"name": args.name, "revoked": True}, f"display {args.name} revoked")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    display = sub.add_parser("display", help="wall display links").add_subparsers(
        dest="display_cmd", required=True)
    add = display.add_parser("add", help="make a display link for a TV")
    add.add_argument("name")
    scope = add.add_mutually_exclusive_group(required=True)
    scope.add_argument("--workshop", help="show this workshop")
    scope.add_argument("--all", action="store_true", help="rotate through every workshop")
    add.add_argument("--lang", choices=[lang.value for lang in Language],
                     default=Language.ZH_CN.value)
    add.add_argument("--base-url",
                     help="how TVs reach this server (default: SHOPFLOOR_PUBLIC_URL or "
                          "http://<host name>:<port>)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)

    listing = display.add_parser("list", help="list display links")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    revoke = display.add_parser("revoke", help="stop a display link")
    revoke.add_argument("name")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(handler=cmd_revoke)
