"""`run` and `demo`: initialise, then serve under gunicorn (server/serving/gunicorn.py).

``--http`` serves plain HTTP only, for a reverse proxy on the same host that terminates
TLS; the server then does not advertise itself, since kiosks only speak HTTPS to a
pinned certificate.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace

from server.cli.common import Context, emit
from server.cli.setup import cmd_init
from server.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_WALL_PORT, Config
from server.serving.gunicorn import serve

logger = logging.getLogger(__name__)

DEMO_DIR = "var/demo"


def _chosen(args: argparse.Namespace, config: Config) -> Config:
    """`config` with what the command line chose over the settings' host and ports."""
    return replace(config,
                   host=config.host if args.host is None else args.host,
                   port=config.port if args.port is None else args.port,
                   wall_port=config.wall_port if args.wall_port is None else args.wall_port,
                   http=bool(args.http) or config.http)


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    args.json = False
    cmd_init(args, ctx)
    config = _chosen(args, ctx.config)
    serve(config, config.host, config.port, args.workers, http=config.http,
          wall_port=config.wall_port)
    return 0


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    from server.demo import build_demo

    config = _chosen(args, Config.from_env(default_data_dir=DEMO_DIR))
    summary = build_demo(config, admin_password=config.admin_password)
    emit(args, summary.to_dict(), summary.to_text)
    if not args.no_serve:
        print(f"serving the demo on {'http' if config.http else 'https'}://{config.host}:"
              f"{config.port}/  (Ctrl+C stops it)", flush=True)
        serve(config, config.host, config.port, args.workers, http=config.http,
              wall_port=config.wall_port)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, handler, help_text in (
        ("run", cmd_run, "initialise if needed and serve"),
        ("demo", cmd_demo, "build a believable demo factory in ./var/demo and serve it"),
    ):
        parser = sub.add_parser(name, help=help_text)
        # Unset options fall back to the settings (Config), resolved by the handler.
        parser.add_argument("--host",
                            help=f"address to serve on (default: SHOPFLOOR_HOST or {DEFAULT_HOST})")
        parser.add_argument("--port", type=int,
                            help=f"HTTPS port (default: SHOPFLOOR_PORT or {DEFAULT_PORT})")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--http", action="store_true", default=None,
                            help="plain HTTP only, behind a reverse proxy that terminates TLS "
                                 "(also SHOPFLOOR_HTTP=1); not advertised by mDNS")
        parser.add_argument("--wall-port", type=int,
                            help="plain-HTTP port serving only /wall and the health check "
                                 "beside HTTPS (0: none; default: SHOPFLOOR_WALL_PORT or "
                                 f"{DEFAULT_WALL_PORT})")
        if name == "demo":
            parser.add_argument("--no-serve", action="store_true", help="build, then exit")
            parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=handler)
