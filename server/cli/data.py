"""Data commands: imports, schemes, scorecards, leaderboards, point categories."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from server.cli.common import CliError, Context, emit
from server.cli.metrics import import_metrics_file
from server.models import PointLevel
from server.services import imports
from server.services.devices.keys import load_keys
from server.services.points.categories import add_category
from server.services.scores import schemes, scorecards


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _today(args: argparse.Namespace, ctx: Context) -> date:
    on: date | None = args.date
    return on or datetime.now(ctx.config.zone).date()


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    if args.into_open and args.kind != "production":
        raise CliError("--into-open is for production rows dated in a closed period")
    if args.kind == "metrics":
        report = import_metrics_file(args, ctx)
        emit(args, report.to_dict(), report.to_text)
        return 0 if report.imported and not (report.errors and not args.skip_bad) else 1
    config = ctx.config
    with ctx.session() as session:
        if args.kind == "workers":
            report = imports.import_workers(
                session, path, path.name, skip_bad=args.skip_bad, actor="cli",
                strict=args.strict, keys=load_keys(config.data_dir),
                card_format=config.card_format, card_reversed=config.card_reversed)
        else:
            report = imports.import_production(
                session, path, path.name, skip_bad=args.skip_bad, actor="cli",
                into_open=args.into_open, zone=config.zone, strict=args.strict)
        if report.imported:
            session.commit()
    emit(args, report.to_dict(), report.to_text)
    return 0 if report.imported and not (report.errors and not args.skip_bad) else 1


def cmd_template(args: argparse.Namespace, ctx: Context) -> int:
    fmt: Literal["csv", "xlsx"] = "xlsx" if args.file.lower().endswith(".xlsx") else "csv"
    data = imports.template(args.kind, fmt, args.lang, card_format=ctx.config.card_format)
    Path(args.file).write_bytes(data)
    print(f"wrote {args.file}: a {args.kind} template ({fmt}, {args.lang} headers, one "
          "example row to replace)", file=sys.stderr)
    return 0


def cmd_scheme_import(args: argparse.Namespace, ctx: Context) -> int:
    text = Path(args.file).read_text(encoding="utf-8")
    with ctx.session() as session:
        scheme = schemes.import_scheme(session, text, actor="cli")
        session.commit()
        workshops = [w.code for w in scheme.workshops]
        data = {"name": scheme.name, "version": scheme.version,
                "effective_from": scheme.effective_from.isoformat(), "workshops": workshops}
    emit(args, data, f"scheme {data['name']!r} saved as version {data['version']}, "
                     f"effective from {data['effective_from']} for {', '.join(workshops)}")
    return 0


def cmd_scheme_export(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        text = schemes.export_scheme(session, args.name, args.version)
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"wrote {args.file}", file=sys.stderr)
    return 0


def _scorecard_text(card: dict[str, Any]) -> str:
    worker = card["worker"]
    lines = [f"{worker['code']} {worker['name']} — {card['period']} "
             f"{card['period_start']}..{card['period_end']}",
             f"total {card['total']:.1f}"
             + (f", rank {card['rank']} of {card['rank_of']}" if card.get("rank") else "")
             + (f", tier {card['tier']['key']}" if card.get("tier") else "")
             + ("" if card.get("complete", True) else "  (incomplete: some data missing)")]
    for dim in card["dimensions"]:
        if dim.get("no_data"):
            lines.append(f"  {dim['key']:<12} no data")
            continue
        mark = "met" if dim["met"] else "not met"
        lines.append(f"  {dim['key']:<12} {dim['value']:.4g} (target {dim['target']:.4g}, "
                     f"{mark}) {dim['points']:.1f} points")
    if card.get("hourly_points"):
        lines.append(f"  run hours    {card['hourly_points']:.1f} points")
    if card.get("point_entries_total"):
        lines.append(f"  remarks and claims {card['point_entries_total']:.1f} points")
    return "\n".join(lines)


def cmd_scorecard(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        card = scorecards.worker_scorecard(session, args.worker, args.period,
                                           _today(args, ctx), ctx.config.zone)
    emit(args, card, lambda: _scorecard_text(card))
    return 0


def _leaderboard_text(board: dict[str, Any]) -> str:
    lines = [f"{board['workshop']['code']} {board['workshop']['name']} — {board['period']} "
             f"{board['period_start']}..{board['period_end']}"]
    if not board["standings"]:
        lines.append("  no scores yet")
    for row in board["standings"]:
        tier = row["tier"]["key"] if row.get("tier") else ""
        rank = "—" if row["rank"] is None else row["rank"]  # a worker with no data yet
        lines.append(f"  {rank:>3}  {row['code']:<8} {row['name']:<12} "
                     f"{row['total']:>7.1f}  {tier}")
    return "\n".join(lines)


def cmd_leaderboard(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        board = scorecards.leaderboard(session, args.workshop, args.period,
                                       _today(args, ctx), ctx.config.zone)
    emit(args, board, lambda: _leaderboard_text(board))
    return 0


def cmd_category_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        category = add_category(session, args.code, args.name, PointLevel(args.level),
                                args.points, args.approval, name_en=args.name_en, actor="cli")
        session.commit()
        data = {"code": category.code, "name": category.name, "level": category.level.value,
                "points": category.points, "needs_approval": category.needs_approval}
    emit(args, data, f"category {data['code']} added")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="import workers, production records or metric "
                                        "values (CSV, XLSX or XLS; English or Chinese "
                                        "headers)")
    imp.add_argument("kind", choices=["workers", "production", "metrics"])
    imp.add_argument("file")
    imp.add_argument("--skip-bad", action="store_true", help="import the good rows anyway")
    imp.add_argument("--strict", action="store_true",
                     help="create no workshop or machine: a row naming one that does not "
                          "exist is a bad row (default: create them and list them)")
    imp.add_argument("--into-open", action="store_true",
                     help="rows dated in a closed period: store them and book what they change "
                          "as an adjustment in the first open period (default: refuse them)")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=cmd_import)

    tpl = sub.add_parser("template", help="write a template file to fill in and import "
                                          "(.csv or .xlsx, by the file name)")
    tpl.add_argument("kind", choices=["workers", "production"])
    tpl.add_argument("file", help="where to write it: NAME.csv (UTF-8 with BOM) or NAME.xlsx")
    tpl.add_argument("--lang", choices=["zh_CN", "en"], default="zh_CN",
                     help="the header's language (default zh_CN)")
    tpl.set_defaults(handler=cmd_template)

    scheme = sub.add_parser("scheme", help="scoring schemes (YAML)").add_subparsers(
        dest="scheme_cmd", required=True)
    s_imp = scheme.add_parser("import", help="save a scheme file as a new version")
    s_imp.add_argument("file")
    s_imp.add_argument("--json", action="store_true")
    s_imp.set_defaults(handler=cmd_scheme_import)
    s_exp = scheme.add_parser("export", help="write a scheme as YAML ('-' for stdout)")
    s_exp.add_argument("file")
    s_exp.add_argument("--name", help="which scheme (needed when there are several)")
    s_exp.add_argument("--version", type=int, help="which version (default: the newest)")
    s_exp.set_defaults(handler=cmd_scheme_export)

    card = sub.add_parser("scorecard", help="a worker's scorecard")
    card.add_argument("worker")
    card.add_argument("--period", choices=["day", "week", "month"], default="week")
    card.add_argument("--date", type=_date, help="a day inside the period (default today)")
    card.add_argument("--json", action="store_true")
    card.set_defaults(handler=cmd_scorecard)

    board = sub.add_parser("leaderboard", help="a workshop's standings")
    board.add_argument("--workshop", required=True)
    board.add_argument("--period", choices=["day", "week", "month"], default="week")
    board.add_argument("--date", type=_date, help="a day inside the period (default today)")
    board.add_argument("--json", action="store_true")
    board.set_defaults(handler=cmd_leaderboard)

    category = sub.add_parser("category", help="point categories").add_subparsers(
        dest="category_cmd", required=True)
    c_add = category.add_parser("add", help="add a point category")
    c_add.add_argument("code")
    c_add.add_argument("--name", required=True)
    c_add.add_argument("--name-en")
    c_add.add_argument("--level", choices=[level.value for level in PointLevel], required=True)
    c_add.add_argument("--points", type=float, required=True)
    c_add.add_argument("--approval", action="store_true", help="claims need a supervisor's yes")
    c_add.add_argument("--json", action="store_true")
    c_add.set_defaults(handler=cmd_category_add)
