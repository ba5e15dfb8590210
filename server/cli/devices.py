"""Device commands: `kiosk add|code|list|revoke`, `badge assign|import`,
`token add|list|revoke`, `events`. The logic lives in services (kiosks, badges, tokens,
events, imports) for the admin UI."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from server.cli.common import CliError, Context, emit
from server.models import IntegrationToken
from server.services.devices.identity import server_id
from server.services.devices.keys import load_keys
from server.services.devices.kiosks import (
    IssuedCode,
    add_kiosk,
    enrolment_payload,
    issue_code,
    list_kiosks,
    revoke_kiosk,
)
from server.services.devices.tokens import (
    SCOPES,
    add_integration_token,
    list_integration_tokens,
    revoke_integration_token,
)
from server.services.events.ingest import list_events
from server.services.events.kinds import KINDS
from server.services.imports import import_cards
from server.services.people.badges import assign_card, assign_qr, qr_png
from server.serving.tls import ensure_identity, fingerprint_b32

ACTOR = "cli"


def _code_answer(args: argparse.Namespace, ctx: Context, issued: IssuedCode,
                 own_id: str) -> None:
    identity = ensure_identity(ctx.config.data_dir)
    payload = enrolment_payload(own_id, fingerprint_b32(identity.fingerprint), issued.code)
    data = {"kiosk": issued.kiosk.name, "workshops": [w.code for w in issued.kiosk.workshops],
            "code": issued.code, "payload": payload, "server_id": own_id,
            "fingerprint": identity.fingerprint, "expires_at": issued.expires_at.isoformat()}
    emit(args, data, f"kiosk {data['kiosk']} ({', '.join(data['workshops'])}): enrolment code "
                     f"{payload}\nscan it at the kiosk (the admin pages show it as a QR code) "
                     f"or run `shopfloor-kiosk enroll {payload}` before {data['expires_at']}; "
                     f"it works once")


def cmd_kiosk_add(args: argparse.Namespace, ctx: Context) -> int:
    workshops = [code for value in args.workshop for code in value.split(",")]
    with ctx.session() as session:
        issued = add_kiosk(session, args.name, workshops, ACTOR)
        session.commit()
        _code_answer(args, ctx, issued, server_id(session))
    return 0


def cmd_kiosk_code(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        issued = issue_code(session, args.name, ACTOR)
        session.commit()
        _code_answer(args, ctx, issued, server_id(session))
    return 0


def cmd_kiosk_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        rows = list_kiosks(session)

    def text() -> str:
        if not rows:
            return "no kiosks yet: add one with `shopfloor-server kiosk add NAME --workshop W`"
        return "\n".join(
            f"{r['name']:<20} {','.join(r['workshops']):<12} {r['state']:<22} "
            f"last seen {r['last_seen'] or 'never'}  version {r['version'] or '-'}  "
            f"queue {r['queue_depth'] if r['queue_depth'] is not None else '-'}"
            for r in rows)

    emit(args, rows, text)
    return 0


def cmd_kiosk_revoke(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        kiosk = revoke_kiosk(session, args.name, ACTOR)
        session.commit()
        revoked_at = kiosk.revoked_at
    emit(args, {"kiosk": args.name, "revoked_at": revoked_at},
         f"kiosk {args.name} revoked: its token no longer works")
    return 0


def cmd_badge_assign(args: argparse.Namespace, ctx: Context) -> int:
    if args.png and not args.qr:
        raise CliError("--png goes with --qr")
    secret: str | None = None
    with ctx.session() as session:
        if args.qr:
            badge, secret = assign_qr(session, args.worker, ACTOR)
        else:
            badge = assign_card(session, load_keys(ctx.config.data_dir), args.worker,
                                args.uid, ACTOR)
        if args.png:
            Path(args.png).write_bytes(qr_png(secret or ""))
        session.commit()
        # Never the digest: with the site key it is as good as the card's number.
        data: dict[str, Any] = {"worker": args.worker, "kind": badge.kind.value}
    lines = [f"{data['kind']} badge assigned to {args.worker}"]
    if secret is not None:
        data["secret"] = secret
        lines.append(f"QR secret (shown once; print it): {secret}")
    if args.png:
        data["png"] = args.png
        lines.append(f"QR image written to {args.png}")
    emit(args, data, "\n".join(lines))
    return 0


def cmd_badge_import(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    config = ctx.config
    with ctx.session() as session:
        report = import_cards(session, path, path.name, keys=load_keys(config.data_dir),
                              card_format=config.card_format,
                              card_reversed=config.card_reversed, skip_bad=args.skip_bad,
                              actor=ACTOR)
        if report.imported:
            session.commit()
    emit(args, report.to_dict(), report.to_text)
    return 0 if report.imported and not (report.errors and not args.skip_bad) else 1


def _shops(codes: list[str]) -> str:
    return ",".join(codes) or "every workshop"


def cmd_token_add(args: argparse.Namespace, ctx: Context) -> int:
    workshops = [code for value in args.workshop or () for code in value.split(",")]
    with ctx.session() as session:
        integration, token = add_integration_token(session, args.name, args.scope, ACTOR,
                                                   workshops)
        session.commit()
        shops = sorted(w.code for w in integration.workshops)
    emit(args, {"name": integration.name, "scope": integration.scope, "workshops": shops,
                "token": token},
         f"token {integration.name} (scope {integration.scope}, {_shops(shops)}), shown "
         f"once:\n{token}")
    return 0


def _token_row(token: IntegrationToken) -> dict[str, Any]:
    return {"name": token.name, "scope": token.scope,
            "workshops": sorted(w.code for w in token.workshops),
            "created_at": token.created_at.isoformat(),
            "last_used": token.last_used.isoformat() if token.last_used else None,
            "revoked": token.revoked_at is not None}


def cmd_token_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        rows = [_token_row(t) for t in list_integration_tokens(session)]
    emit(args, rows, lambda: "\n".join(
        f"{r['name']:<20} {r['scope']:<12} {_shops(r['workshops']):<16} "
        f"last used {r['last_used'] or 'never'}"
        f"{'  REVOKED' if r['revoked'] else ''}" for r in rows) or "no integration tokens")
    return 0


def cmd_token_revoke(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        revoke_integration_token(session, args.name, ACTOR)
        session.commit()
    emit(args, {"name": args.name, "revoked": True}, f"token {args.name} revoked")
    return 0


def _since(value: str, ctx: Context) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--since: {value!r} is not an ISO date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ctx.config.zone)


def cmd_events(args: argparse.Namespace, ctx: Context) -> int:
    since = _since(args.since, ctx) if args.since else None
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    with ctx.session() as session:
        rows = list_events(session, args.kind, since, args.limit)
    emit(args, rows, lambda: "\n".join(
        f"{r['received_at']}  {r['kind']:<17} {r['worker'] or '-':<10} {r['kiosk'] or '-':<12} "
        f"{r['uuid']}" for r in rows) or "no events")
    return 0


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kiosk = sub.add_parser("kiosk", help="kiosks: enrol, list, revoke").add_subparsers(
        dest="kiosk_cmd", required=True)
    add = kiosk.add_parser("add", help="add a kiosk; prints a one-time enrolment code")
    add.add_argument("name")
    add.add_argument("--workshop", action="append", required=True,
                     help="a workshop code it serves (repeat, or separate with commas)")
    add.set_defaults(handler=cmd_kiosk_add)
    code = kiosk.add_parser("code", help="a new enrolment code for an existing kiosk")
    code.add_argument("name")
    code.set_defaults(handler=cmd_kiosk_code)
    listing = kiosk.add_parser("list", help="kiosks with last contact, version, queue depth")
    listing.set_defaults(handler=cmd_kiosk_list)
    revoke = kiosk.add_parser("revoke", help="stop a kiosk's token at once")
    revoke.add_argument("name")
    revoke.set_defaults(handler=cmd_kiosk_revoke)
    for parser in (add, code, listing, revoke):
        _json(parser)

    badge = sub.add_parser("badge", help="badges").add_subparsers(dest="badge_cmd",
                                                                  required=True)
    assign = badge.add_parser("assign", help="give a worker a card (--uid) or a QR badge (--qr)")
    assign.add_argument("worker", help="the worker's code")
    which = assign.add_mutually_exclusive_group(required=True)
    which.add_argument("--uid", help="the card's UID in hex (any case; ':' and spaces ignored)")
    which.add_argument("--qr", action="store_true", help="make a random QR secret")
    assign.add_argument("--png", metavar="FILE", help="with --qr: write the QR code as a PNG")
    assign.set_defaults(handler=cmd_badge_assign)
    _json(assign)
    many = badge.add_parser("import", help="give workers their cards from a file: "
                                           "worker_code,card (工号,卡号), CSV, XLSX or XLS")
    many.add_argument("file", help="each worker's card number as printed on the card, in "
                                   "the site's format (SHOPFLOOR_CARD_FORMAT)")
    many.add_argument("--skip-bad", action="store_true", help="import the good rows anyway")
    many.set_defaults(handler=cmd_badge_import)
    _json(many)

    token = sub.add_parser("token", help="integration (MES/ERP) tokens").add_subparsers(
        dest="token_cmd", required=True)
    t_add = token.add_parser("add", help="make a token; shown once")
    t_add.add_argument("name")
    t_add.add_argument("--scope", choices=SCOPES, required=True)
    t_add.add_argument("--workshop", action="append",
                       help="limit the token to this workshop's workers and machines "
                            "(repeat, or separate with commas; default: every workshop)")
    t_add.set_defaults(handler=cmd_token_add)
    t_list = token.add_parser("list", help="list tokens")
    t_list.set_defaults(handler=cmd_token_list)
    t_revoke = token.add_parser("revoke", help="stop a token at once")
    t_revoke.add_argument("name")
    t_revoke.set_defaults(handler=cmd_token_revoke)
    for parser in (t_add, t_list, t_revoke):
        _json(parser)

    events = sub.add_parser("events", help="stored kiosk events, newest first, for diagnosis")
    events.add_argument("--kind", choices=KINDS)
    events.add_argument("--since", help="received at or after (ISO date or time; factory zone "
                                        "when no offset)")
    events.add_argument("--limit", type=int, default=100)
    events.set_defaults(handler=cmd_events)
    _json(events)
