"""The dashboard: completeness before publishing, the week's trends, workshops compared."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_babel import gettext as _

from server.admin import charts as ch
from server.admin.blueprint import READ, admin, allow, scope
from server.admin.common import date_arg, today
from server.services.reports import dashboard as service
from server.services.reports.payroll import get_settings, reminder_due
from server.web import app_config, db_session


@admin.route("/")
@allow(READ)
def dashboard() -> str:
    db = db_session()
    now = today()
    on = date_arg("week") or now
    weeks = service.plant_week(db, on, now, app_config().zone, scope())
    data = service.chart_data(weeks)
    start, end = service.week_of(on)
    options = {}
    if weeks:
        options = {
            "chart-uptime": ch.lines(_("Uptime by day"), data["days"], data["uptime"], "%"),
            "chart-defects": ch.lines(_("Defect rate by day"), data["days"],
                                      data["defect_rate"], "%"),
            "chart-compare": ch.bars(_("Workshops this week"), data["workshops"], {
                _("Uptime %"): data["comparison"]["uptime"],
                _("Defect rate %"): data["comparison"]["defect_rate"],
                _("Average score"): data["comparison"]["score"]}),
            "chart-heat": ch.heatmap(_("Plant heat map: uptime by workshop and day"),
                                     data["days"], data["workshops"], data["heat"],
                                     _("Uptime")),
        }
    payroll = get_settings(db)
    return render_template(
        "admin/dashboard.html", weeks=weeks, start=start, end=end, today=now,
        options=options, charts=bool(options),
        payroll_due=reminder_due(payroll, now), payroll_day=payroll.reminder_day,
        has_data=any(d.records for w in weeks for d in w.days),
        previous=start - timedelta(days=7), following=start + timedelta(days=7),
    )
