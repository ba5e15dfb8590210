"""Metrics: HR's own measures for scheme dimensions (list, add, change; audited)."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, READ_PLANT, admin, allow
from server.admin.common import actor, field, saving
from server.models import Better, Combine
from server.services.metrics.definitions import (
    MetricFields,
    add_metric,
    change_metric,
    list_metrics,
)
from server.web import db_session


def _fields() -> MetricFields:
    return MetricFields(name_zh=field("name"), better=field("better"),
                        combine=field("combine"), name_en=field("name_en") or None,
                        unit=field("unit") or None, numerator=field("numerator") or None,
                        denominator=field("denominator") or None)


@admin.route("/metrics")
@allow(READ_PLANT)
def metrics() -> str:
    return render_template("admin/metrics.html", rows=list_metrics(db_session()),
                           betters=[b.value for b in Better],
                           combines=[c.value for c in Combine])


@admin.route("/metrics/new", methods=["POST"])
@allow(ADMIN)
def metrics_new() -> Response:
    with saving() as saved:
        add_metric(db_session(), field("code"), _fields(), actor=actor())
        saved.done(_("Metric %(code)s was added.", code=field("code")))
    return redirect(url_for("admin.metrics"))


@admin.route("/metrics/<code>", methods=["POST"])
@allow(ADMIN)
def metrics_edit(code: str) -> Response:
    with saving(not_found=404) as saved:
        change_metric(db_session(), code, _fields(), actor=actor())
        saved.done(_("Metric %(code)s was saved.", code=code))
    return redirect(url_for("admin.metrics"))
