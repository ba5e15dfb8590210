"""Reports: weekly and monthly per workshop (on screen, XLSX, CSV, PDF) and the payroll
export with its settings."""

from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin import charts as ch
from server.admin.blueprint import ADMIN, READ, admin, allow, scope
from server.admin.common import actor, arg, failed, field, saving, today
from server.scoring import Period
from server.services import InvalidInput, ServiceError
from server.services.people.workers import workshops
from server.services.reports import payroll
from server.services.reports import reports as service
from server.web import app_config, db_session


def _choice() -> tuple[str, Period, str, str]:
    """(kind, period kind, workshop code, period text) from the query, with defaults."""
    kind = arg("kind", "monthly")
    period_kind = service.KINDS.get(kind, Period.MONTH)
    kind = "weekly" if period_kind is Period.WEEK else "monthly"
    shops = workshops(db_session(), scope())
    shop = arg("workshop") or (shops[0].code if shops else "")
    if shop and shop not in {w.code for w in shops}:
        abort(404)
    default = service.period_span_label(period_kind, today())
    return kind, period_kind, shop, arg("period") or default


@admin.route("/reports")
@allow(READ)
def reports() -> str:
    db = db_session()
    kind, period_kind, shop, period = _choice()
    report, problem = None, None
    if shop:
        try:
            on = service.parse_period(period_kind, period)
            report = service.build_report(db, shop, period_kind, on, app_config().zone,
                                          today())
        except ServiceError as error:
            problem = str(error)
    settings = payroll.get_settings(db)
    due = payroll.reminder_due(settings, today())
    # Payroll is paid from closed periods: last month by default, with what is closed.
    payroll_month = service.period_span_label(Period.MONTH, today())
    pay_periods = payroll.pay_periods(db, service.parse_period(Period.MONTH, payroll_month))
    options = {}
    if report is not None and report.tracks and report.rows:
        options["chart-tracks"] = ch.tracks(
            _("Process and result by worker"), [r.code for r in report.rows],
            {key: [r.tracks.get(key, {}).get("percent") for r in report.rows]
             for key in report.tracks},
            {"process": _("Process"), "result": _("Result")})
    return render_template(
        "admin/reports.html", kind=kind, shop=shop, period=period, report=report,
        options=options, charts=bool(options),
        problem=problem, shops=workshops(db, scope()), settings=settings,
        tiers=sorted(set(payroll.tier_keys(db)) | set(settings.bonus)),
        tier_names=payroll.tier_names(db), payroll_month=payroll_month,
        pay_periods=pay_periods, payroll_due=due)


@admin.route("/reports/download")
@allow(READ)
def reports_download() -> Response:
    kind, _period_kind, shop, period = _choice()
    try:
        name, data = service.report_file(db_session(), kind, shop, arg("format", "xlsx"),
                                         app_config().zone, period, today(),
                                         font=app_config().pdf_font)
    except ServiceError as error:
        failed(error)
        return redirect(url_for("admin.reports", kind=kind, workshop=shop, period=period))
    return send_file(io.BytesIO(data), mimetype=service.MIME[arg("format", "xlsx")],
                     as_attachment=True, download_name=name)


@admin.route("/reports/payroll")
@allow(ADMIN)
def reports_payroll() -> Response:
    month = arg("month") or service.period_span_label(Period.MONTH, today())
    fmt = arg("format", "xlsx")
    try:
        start = service.parse_period(Period.MONTH, month)
        name, data = payroll.payroll_file(db_session(), start, fmt, app_config().zone,
                                          today(), workshop=arg("workshop") or None)
    except ServiceError as error:
        failed(error)
        return redirect(url_for("admin.reports") + "#payroll")
    return send_file(io.BytesIO(data), mimetype=service.MIME[fmt], as_attachment=True,
                     download_name=name)


@admin.route("/reports/payroll/settings", methods=["POST"])
@allow(ADMIN)
def reports_payroll_settings() -> Response:
    with saving() as saved:
        bonus = {}
        for key in request.form.getlist("tier"):
            text = request.form.get(f"bonus_{key}", "").strip() or "0"
            try:
                bonus[key] = float(text)
            except ValueError:
                raise InvalidInput(f"bonus {key}: {text!r} is not a number") from None
        day = field("reminder_day")
        if not day.isdigit():
            raise InvalidInput(f"reminder day: {day!r} is not a day of the month")
        payroll.save_settings(db_session(), payroll.PayrollSettings(bonus, int(day)), actor())
        saved.done(_("The payroll settings were saved."))
    return redirect(url_for("admin.reports") + "#payroll")
