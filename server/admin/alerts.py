"""Open issues (andon) in the admin: every alert not resolved yet, with how long it has
waited to be acknowledged and resolved (the clocks of the open ones run: the table is
polled), Acknowledge and Resolve buttons, the ones closed in the last 7 days, and where the
machines' downtime went: a Pareto of faults by reason with the response times.

Admins and supervisors; a supervisor sees and acts on their own workshops only (`scope`).
Every change is audited by the service it calls (services/alerts/lifecycle.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from server.admin import charts as ch
from server.admin.blueprint import MANAGE, admin, allow, scope, ui_language
from server.admin.common import actor, arg, field, saving, today
from server.models import Alert, Workshop, utcnow
from server.services import Conflict
from server.services import alerts as service
from server.services.people.workers import workshops
from server.services.production.reasons import names_by_code as reason_names
from server.services.refusals import N_, Refused
from server.web import app_config, db_session

CLOSED_DAYS = 7
PARETO_DAYS = (7, 30, 90)
PARETO_DEFAULT = 30
# How far back the closed list looks for alerts resolved in the last CLOSED_DAYS.
CLOSED_OPENED_WITHIN = timedelta(days=90)
ACTIONS = ("acknowledge", "resolve")
KIND_NAMES = {"machine_fault": _l("Machine fault"), "quality_issue": _l("Quality issue")}


def duration(seconds: float | None) -> str:
    """12 min · 3 h 05 min · 2 d 4 h: a time to acknowledge or to resolve."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 60:
        return _("%(m)s min", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        padded = f"{minutes:02d}"
    return _("%(h)s h %(m)s min", h=hours, m=padded)
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h", d=days, h=hours)


@dataclass(frozen=True)
class Row:
    """An alert as the tables show it: `alert_dict`, and its clocks at `now`."""

    item: dict[str, Any]
    to_acknowledge_s: int  # until acknowledged, or so far
    to_resolve_s: int  # until resolved, or so far
    acknowledged: bool
    resolved: bool
    late: bool  # still not acknowledged after the escalation time


def _row(alert: Alert, now: datetime, late_after_s: int) -> Row:
    item = service.alert_dict(alert)
    until_ack = alert.acknowledged_at or now
    until_fix = alert.resolved_at or now
    waited = max(0, round((until_ack - alert.opened_at).total_seconds()))
    return Row(item=item, to_acknowledge_s=waited,
               to_resolve_s=max(0, round((until_fix - alert.opened_at).total_seconds())),
               acknowledged=alert.acknowledged_at is not None,
               resolved=alert.resolved_at is not None,
               late=alert.acknowledged_at is None and waited >= late_after_s)


def _chosen() -> tuple[list[Workshop], Workshop | None, Collection[int] | None]:
    """The workshops the user may filter by, the one chosen (None: all of them) and the
    workshop ids to read (None: every workshop)."""
    shops = workshops(db_session(), scope())
    code = arg("workshop")
    chosen = next((w for w in shops if w.code == code), None)
    return shops, chosen, frozenset({chosen.id}) if chosen is not None else scope()


def _open_rows(ids: Collection[int] | None, now: datetime) -> list[Row]:
    late = app_config().escalate_after_min * 60
    alerts = service.unacknowledged_first(service.open_alerts(db_session(), ids))
    return [_row(a, now, late) for a in alerts]


def _closed_rows(ids: Collection[int] | None, now: datetime) -> list[Row]:
    since = now - timedelta(days=CLOSED_DAYS)
    alerts = service.list_alerts(db_session(), ids, start=now - CLOSED_OPENED_WITHIN)
    done = [a for a in alerts if a.resolved_at is not None and a.resolved_at >= since]
    done.sort(key=lambda a: (a.resolved_at, a.id), reverse=True)
    return [_row(a, now, 0) for a in done]


def _reason_label(code: str | None) -> str:
    """A reason code as the reader calls it: HR's name in the UI language, else the code."""
    if code is None:
        return _("no reason given")
    reason = reason_names(db_session()).get(code)
    if reason is None:
        return code
    return (reason.name_en if ui_language() == "en" and reason.name_en else reason.name)


def _pareto_chart(rows: list[tuple[str | None, int, int]]) -> dict[str, Any]:
    """Downtime hours (bars, left) and faults (bars, right) by reason, most downtime first."""
    hours_label, count_label = _("Downtime (hours)"), _("Faults")
    option = ch.bars(_("Downtime by reason"), [_reason_label(reason)
                                               for reason, _count, _s in rows],
                     {hours_label: [round(s / 3600, 2) for _r, _c, s in rows],
                      count_label: [count for _r, count, _s in rows]})
    option["yAxis"] = [{"type": "value", "name": hours_label,
                        "nameTextStyle": {"align": "left"}},
                       {"type": "value", "name": count_label, "minInterval": 1,
                        "nameTextStyle": {"align": "right"}, "splitLine": {"show": False}}]
    option["series"][1]["yAxisIndex"] = 1
    option["grid"] = {**option["grid"], "top": 72}
    return option


def _pareto_table(rows: list[tuple[str | None, int, int]]) -> list[dict[str, Any]]:
    """Each reason's faults, hours, share of the downtime and the share so far."""
    total = sum(seconds for _r, _c, seconds in rows)
    table, running = [], 0
    for reason, count, seconds in rows:
        running += seconds
        table.append({"reason": reason, "reason_name": _reason_label(reason),
                      "count": count, "hours": seconds / 3600,
                      "share": seconds / total if total else None,
                      "cumulative": running / total if total else None})
    return table


def _page_data(ids: Collection[int] | None, now: datetime) -> dict[str, Any]:
    return {"rows": _open_rows(ids, now), "duration": duration, "kind_names": KIND_NAMES,
            "escalate_after": app_config().escalate_after_min}


@admin.route("/alerts")
@allow(MANAGE)
def alerts() -> str:
    db = db_session()
    shops, chosen, ids = _chosen()
    now = utcnow()
    days = int(arg("days")) if arg("days").isdigit() and int(arg("days")) in PARETO_DAYS \
        else PARETO_DEFAULT
    end = today()
    start = end - timedelta(days=days - 1)
    zone = app_config().zone
    pareto = service.downtime_pareto(db, ids, start, end, zone=zone)
    options = {"chart-pareto": _pareto_chart(pareto)} if pareto else {}
    return render_template(
        "admin/alerts.html", shops=shops, chosen=chosen, days=days, day_choices=PARETO_DAYS,
        start=start, end=end, closed=_closed_rows(ids, now), closed_days=CLOSED_DAYS,
        pareto=_pareto_table(pareto), options=options, charts=bool(options),
        times=service.response_times(db, ids, start, end, zone=zone),
        **_page_data(ids, now))


@admin.route("/alerts/open")
@allow(MANAGE)
def alerts_open() -> str:
    """The open alerts' table alone: the page polls it, so new alerts appear and the clocks
    run without a reload."""
    _shops, chosen, ids = _chosen()
    return render_template("admin/_alerts_open.html", chosen=chosen,
                           **_page_data(ids, utcnow()))


class AlreadyDone(Refused):
    """Someone acknowledged or resolved it first: told in the reader's language."""


@admin.route("/alerts/<int:alert_id>/<action>", methods=["POST"])
@allow(MANAGE)
def alerts_act(alert_id: int, action: str) -> Response:
    if action not in ACTIONS:
        abort(404)
    db = db_session()
    user = current_user.user
    with saving(not_found=404) as saved:
        try:
            if action == "acknowledge":
                alert = service.acknowledge(db, alert_id, actor(), by_user=user, scope=scope())
                saved.done(_("Acknowledged: %(what)s.", what=_what(alert)))
            else:
                alert = service.resolve(db, alert_id, actor(), by_user=user, scope=scope())
                saved.done(_("Resolved: %(what)s.", what=_what(alert)))
        except Conflict:
            raise AlreadyDone(N_("Someone acknowledged it first.") if action == "acknowledge"
                              else N_("It was resolved already.")) from None
    return redirect(url_for("admin.alerts", workshop=field("workshop") or None))


def _what(alert: Alert) -> str:
    """"Machine fault at CNC-1 (W1)": what the message after an action names."""
    kind = str(KIND_NAMES[alert.kind.value])
    if alert.machine is None:
        return _("%(kind)s in %(workshop)s", kind=kind, workshop=alert.workshop.name)
    return _("%(kind)s at %(machine)s (%(workshop)s)", kind=kind, machine=alert.machine.name,
             workshop=alert.workshop.name)
