"""Metric commands: `metric add|change|list`, and `import metrics FILE` (registered with
the other imports in data.py, which calls `import_metrics` here)."""

from __future__ import annotations

import argparse
from pathlib import Path

from server.cli.common import Context, emit
from server.models import Better, Combine
from server.services import imports
from server.services.imports.report import ImportReport
from server.services.metrics.definitions import (
    MetricFields,
    add_metric,
    change_metric,
    describe,
    list_metrics,
)


def import_metrics_file(args: argparse.Namespace, ctx: Context) -> ImportReport:
    path = Path(args.file)
    with ctx.session() as session:
        report = imports.import_metrics(session, path, path.name, skip_bad=args.skip_bad,
                                        actor="cli", strict=args.strict)
        if report.imported:
            session.commit()
    return report


def _fields(args: argparse.Namespace) -> MetricFields:
    return MetricFields(name_zh=args.name, better=args.better, combine=args.combine,
                        name_en=args.name_en, unit=args.unit, numerator=args.numerator,
                        denominator=args.denominator)


def _text(data: dict[str, object]) -> str:
    rule = str(data["combine"])
    if data["combine"] == Combine.RATIO.value:
        rule = f"ratio {data['numerator']} / {data['denominator']}"
    unit = f" [{data['unit']}]" if data.get("unit") else ""
    return (f"{data['code']:<20} {data['name']}{unit}  {rule}, {data['better']} is better")


def cmd_metric_add(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        data = describe(add_metric(session, args.code, _fields(args), actor="cli"))
        session.commit()
    emit(args, data, f"metric {data['code']} added")
    return 0


def cmd_metric_change(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        data = describe(change_metric(session, args.code, _fields(args), actor="cli"))
        session.commit()
    emit(args, data, f"metric {data['code']} changed")
    return 0


def cmd_metric_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        rows = [describe(m) for m in list_metrics(session)]
    emit(args, {"metrics": rows},
         lambda: "\n".join(_text(r) for r in rows) if rows else "no metrics yet")
    return 0


def _definition(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code")
    parser.add_argument("--name", required=True, help="the name in Chinese")
    parser.add_argument("--name-en")
    parser.add_argument("--better", choices=[b.value for b in Better], required=True)
    parser.add_argument("--combine", choices=[c.value for c in Combine], required=True,
                        help="how a period's values make one: sum, mean, last, or ratio "
                             "(Σ numerator / Σ denominator)")
    parser.add_argument("--unit", help="shown beside values; %% or percent: shares 0 to 1")
    parser.add_argument("--numerator", help="ratio only: the metric above the line")
    parser.add_argument("--denominator", help="ratio only: the metric below the line")
    parser.add_argument("--json", action="store_true")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    metric = sub.add_parser("metric", help="metrics for scheme dimensions").add_subparsers(
        dest="metric_cmd", required=True)
    m_add = metric.add_parser("add", help="define a metric")
    _definition(m_add)
    m_add.set_defaults(handler=cmd_metric_add)
    m_change = metric.add_parser("change", help="change a metric's names, unit or rule")
    _definition(m_change)
    m_change.set_defaults(handler=cmd_metric_change)
    m_list = metric.add_parser("list", help="the metrics")
    m_list.add_argument("--json", action="store_true")
    m_list.set_defaults(handler=cmd_metric_list)
