"""`shopfloor-server`: the server's command line (DESIGN.md §4b).

Every command that prints data takes `--json`. Errors are one line on stderr and a
non-zero exit, never a traceback. No command waits for input when stdin is no terminal.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from server import __version__, logs
from server.cli_common import CliError, emit
from server.config import Config
from server.db import current_revision, head_revision, make_engine, make_sessionmaker
from server.models import UserRole
from server.services import ServiceError
from server.services.setup import add_user, initialise

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace, "Context"], int]


@dataclass
class Context:
    config: Config
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.config.database_url)
        return self._engine

    @contextmanager
    def session(self, *, require_schema: bool = True) -> Iterator[Session]:
        url = self.engine.url
        if require_schema and url.get_backend_name() == "sqlite" and url.database \
                and not os.path.exists(url.database):
            raise CliError(f"there is no database at {url.database}: "
                           "run `shopfloor-server init`")
        if require_schema and current_revision(self.engine) != head_revision():
            raise CliError("the database is not initialised or not up to date: "
                           "run `shopfloor-server init`")
        with make_sessionmaker(self.engine)() as session:
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def read_secret(prompt: str) -> str:
    """From the terminal (asked twice), or one line from piped stdin; never waits on none."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("again: ") != first:
            raise CliError("the two entries differ")
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CliError("no password on standard input")
    return line


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session(require_schema=False) as session:
        result = initialise(ctx.engine, session, os.environ.get("SHOPFLOOR_ADMIN_PASSWORD"))
    data = {
        "database": ctx.engine.url.render_as_string(hide_password=True),
        "migrated": result.migrated,
        "server_id": result.server_id,
        "categories_created": result.categories_created,
        "admin_created": result.admin_created,
        "admin_password": result.generated_password,
    }
    lines = [f"database: {data['database']} ({'migrated' if result.migrated else 'up to date'})",
             f"server id: {result.server_id}"]
    if result.categories_created:
        lines.append(f"default point categories: {result.categories_created}")
    if result.admin_created:
        lines.append("created the first admin user: admin")
    if result.generated_password:
        lines.append(f"its password (shown once; change it after logging in): "
                     f"{result.generated_password}")
    emit(args, data, "\n".join(lines))
    return 0


def cmd_user_add(args: argparse.Namespace, ctx: Context) -> int:
    password = read_secret(f"password for {args.name}: ")
    with ctx.session() as session:
        user = add_user(session, args.name, UserRole(args.role), password, actor="cli")
        session.commit()
    emit(args, {"user": user.username, "role": user.role.value},
         f"user {user.username} added as {user.role.value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from server import (
        cli_backup,
        cli_data,
        cli_devices,
        cli_displays,
        cli_reports,
        cli_serve,
        cli_videos,
    )

    parser = argparse.ArgumentParser(
        prog="shopfloor-server",
        description="Shopfloor Kiosk server: data, scoring, kiosks and displays.",
        epilog="Settings come from SHOPFLOOR_* environment variables; see README.md.")
    parser.add_argument("--version", action="version", version=f"shopfloor-server {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser("init", help="create or upgrade the database; make the first admin")
    init.add_argument("--json", action="store_true")
    init.set_defaults(handler=cmd_init)

    user = sub.add_parser("user", help="web users").add_subparsers(dest="user_cmd", required=True)
    add = user.add_parser("add", help="add a user; the password comes from stdin")
    add.add_argument("name")
    add.add_argument("--role", choices=[r.value for r in UserRole], required=True)
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_user_add)

    cli_serve.register(sub)
    cli_data.register(sub)
    cli_displays.register(sub)
    cli_devices.register(sub)
    cli_backup.register(sub)
    cli_reports.register(sub)
    cli_videos.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logs.configure()
    args = build_parser().parse_args(argv)
    ctx = Context(Config.from_env())
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


if __name__ == "__main__":
    sys.exit(main())
