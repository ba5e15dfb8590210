"""`init` and `user add`: create or upgrade the database, and add web users."""

from __future__ import annotations

import argparse

from server.cli.common import Context, emit, read_secret
from server.models import UserRole
from server.services.setup import add_user, initialise


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    """Never prints a password: a generated one is in a file only its owner can read."""
    with ctx.session(require_schema=False) as session:
        result = initialise(ctx.engine, session, ctx.config.admin_password,
                            data_dir=ctx.config.data_dir)
    password_file = str(result.password_file) if result.password_file else None
    data = {
        "database": ctx.engine.url.render_as_string(hide_password=True),
        "migrated": result.migrated,
        "server_id": result.server_id,
        "categories_created": result.categories_created,
        "admin_created": result.admin_created,
        "admin_password_file": password_file,
    }
    lines = [f"database: {data['database']} ({'migrated' if result.migrated else 'up to date'})",
             f"server id: {result.server_id}"]
    if result.categories_created:
        lines.append(f"default point categories: {result.categories_created}")
    if result.admin_created:
        lines.append("created the first admin user: admin")
    if password_file:
        lines.append(f"its generated password is in {password_file} (readable by its owner "
                     "only); it must be changed at the first login")
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = sub.add_parser("init", help="create or upgrade the database; make the first admin")
    init.add_argument("--json", action="store_true")
    init.set_defaults(handler=cmd_init)

    user = sub.add_parser("user", help="web users").add_subparsers(dest="user_cmd", required=True)
    add = user.add_parser("add", help="add a user; the password comes from stdin")
    add.add_argument("name")
    add.add_argument("--role", choices=[r.value for r in UserRole], required=True)
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_user_add)
