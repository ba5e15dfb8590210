"""`shopfloor-server`: the server's command line (docs/ARCHITECTURE.md, "The command line").

Every command that prints data takes `--json`. Errors are one line on stderr and a
non-zero exit, never a traceback. No command waits for input when stdin is no terminal.
Each topic module registers its commands; COMMANDS lists them, in the order of `--help`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from server import logs
from server.cli import (
    aggregates,
    alerts,
    audit,
    backup,
    data,
    devices,
    displays,
    metrics,
    periods,
    points,
    privacy,
    reports,
    rewards,
    serve,
    setup,
    videos,
    workers,
)
from server.cli.common import CliError, Context, Handler
from server.config import Config
from server.services import ServiceError
from server.version import __version__

logger = logging.getLogger(__name__)

COMMANDS = (setup, serve, data, metrics, workers, periods, points, rewards, displays, devices,
            alerts, backup, audit, reports, videos, aggregates, privacy)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shopfloor-server",
        description="Shopfloor Kiosk server: data, scoring, kiosks and displays.",
        epilog="Settings come from SHOPFLOOR_* environment variables; see README.md.")
    parser.add_argument("--version", action="version", version=f"shopfloor-server {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logs.configure()
    args = build_parser().parse_args(argv)
    try:
        ctx = Context(Config.from_env())
    except ValueError as error:  # a SHOPFLOOR_* setting that is no valid value
        print(f"error: {error}", file=sys.stderr)
        return 2
    handler: Handler = args.handler
    try:
        return handler(args, ctx)
    except (CliError, ServiceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:
        print(f"error: database: {error.orig}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"error: database: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()
