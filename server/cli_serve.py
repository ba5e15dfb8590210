"""`run` and `demo`: serve the app under gunicorn, a real WSGI server.

gunicorn (not Flask's development server) because it runs several workers and takes a
TLS certificate and key directly; its master process owns what lives as long as the
server does.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from server import create_app
from server.config import Config

if TYPE_CHECKING:
    from flask import Flask

    from server.cli import Context

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8750
DEMO_DIR = "var/demo"


class ShopfloorServer(BaseApplication):  # type: ignore[misc]
    """gunicorn driven from our CLI: the app is built once in the master, then forked."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(config: Config, host: str, port: int, workers: int) -> None:
    app = create_app(config)
    # Connections made in the master must not be shared with forked workers.
    app.extensions["shopfloor.engine"].dispose(close=False)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 8,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "proc_name": "shopfloor-server",
        "preload_app": True,
        # gunicorn's control socket lives at one path per user, which several servers
        # on one machine (a test run, a demo beside a real site) would fight over.
        "control_socket_disable": True,
    }
    logger.info("serving", extra={"url": f"http://{host}:{port}/", "workers": workers})
    ShopfloorServer(app, options).run()


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    from server.cli import cmd_init

    args.json = False
    cmd_init(args, ctx)
    serve(ctx.config, args.host, args.port, args.workers)
    return 0


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    from server.cli import emit
    from server.demo import build_demo

    config = Config.from_env(data_dir=os.environ.get("SHOPFLOOR_DATA_DIR", DEMO_DIR))
    summary = build_demo(config, admin_password=os.environ.get("SHOPFLOOR_ADMIN_PASSWORD"))
    emit(args, summary.to_dict(), summary.to_text)
    if not args.no_serve:
        print(f"serving the demo on http://{args.host}:{args.port}/  (Ctrl+C stops it)",
              flush=True)
        serve(config, args.host, args.port, args.workers)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, handler, help_text in (
        ("run", cmd_run, "initialise if needed and serve"),
        ("demo", cmd_demo, "build a believable demo factory in ./var/demo and serve it"),
    ):
        parser = sub.add_parser(name, help=help_text)
        parser.add_argument("--host", default=os.environ.get("SHOPFLOOR_HOST", "0.0.0.0"))
        parser.add_argument("--port", type=int,
                            default=int(os.environ.get("SHOPFLOOR_PORT", DEFAULT_PORT)))
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        if name == "demo":
            parser.add_argument("--no-serve", action="store_true", help="build, then exit")
            parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=handler)
