"""Settled periods: each workshop's weeks or months with their state, check and close,
reopen (admin only, with a reason), what changed between versions; and the kiosk events
refused because their day was closed, booked into the open period from a list.

Closing and reopening are the admin's: a supervisor or viewer sees the pages and gets a
403 for any POST. Booking a refused event is for admins and the supervisors of the
kiosk's workshop (`scope`), like deciding a claim.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, MANAGE, READ, admin, allow, scope
from server.admin.common import actor, arg, done, failed, field, saving, today
from server.services import NotFound, ServiceError
from server.services.events.ingest import book_refused
from server.services.events.refused import get_refused, list_refused
from server.services.people.workers import workshops
from server.services.periods import review
from server.services.periods.closing import close_period, list_periods, reopen_period
from server.web import app_config, db_session


@admin.route("/periods")
@allow(READ)
def periods() -> str:
    db = db_session()
    shops = workshops(db, scope())
    shop = arg("workshop")
    if shop and shop not in {w.code for w in shops}:
        abort(404)
    rows = []
    for workshop in shops:
        if not shop or workshop.code == shop:
            rows += list_periods(db, workshop.code, today())
    return render_template("admin/periods.html", rows=rows, shops=shops, shop=shop,
                           names={w.code: w.name for w in shops},
                           waiting=len(list_refused(db, scope=scope())))


def _show(workshop: str, period: str) -> Response:
    return redirect(url_for("admin.periods_show", workshop=workshop, period=period))


@admin.route("/periods/<workshop>/<period>")
@allow(READ)
def periods_show(workshop: str, period: str) -> Response | str:
    try:
        shown = review.review_period(db_session(), workshop, period, today(), scope())
    except NotFound:
        abort(404)
    except ServiceError as error:  # not a week or month
        failed(error)
        return redirect(url_for("admin.periods"))
    return render_template("admin/period.html", p=shown)


@admin.route("/periods/<workshop>/<period>/close", methods=["POST"])
@allow(ADMIN)
def periods_close(workshop: str, period: str) -> Response:
    """Check and close. With gaps the period stays open and its page lists them, with the
    form to close anyway, which needs a reason (kept with the snapshot)."""
    force = field("force") == "1"
    reason = field("reason")
    if force and not reason:
        failed(ServiceError(_("Say why the period is closed although the check found gaps.")))
        return _show(workshop, period)
    db = db_session()
    if not force:
        try:
            gaps = review.review_period(db, workshop, period, today())["flags"]
        except NotFound:
            abort(404)
        except ServiceError as error:
            failed(error)
            return redirect(url_for("admin.periods"))
        if gaps:
            failed(ServiceError(ngettext(
                "The check found %(num)s gap in %(period)s for %(workshop)s, listed below; "
                "nothing was closed. Fix the data, or close anyway with a reason.",
                "The check found %(num)s gaps in %(period)s for %(workshop)s, listed below; "
                "nothing was closed. Fix the data, or close anyway with a reason.",
                len(gaps), period=period, workshop=workshop)))
            return _show(workshop, period)
    with saving(not_found=404) as saved:
        [result] = close_period(db, workshop, review.kind_of(period), period, actor(),
                                app_config().zone, today(), force=force, reason=reason or None)
        saved.done(_("%(period)s is closed for %(workshop)s as version %(version)s "
                     "(%(workers)s workers): cards, reports and payroll now read it as "
                     "closed.", period=result.period, workshop=result.workshop,
                     version=result.version, workers=result.workers))
    return _show(workshop, period)


@admin.route("/periods/<workshop>/<period>/reopen", methods=["POST"])
@allow(ADMIN)
def periods_reopen(workshop: str, period: str) -> Response:
    reason = field("reason")
    if not reason:
        failed(ServiceError(_("Say why the settled period is reopened.")))
        return _show(workshop, period)
    with saving(not_found=404) as saved:
        row = reopen_period(db_session(), workshop, review.kind_of(period), period, actor(),
                            reason)
        saved.done(_("%(period)s is reopened for %(workshop)s. Close it again to settle it "
                     "as version %(version)s.", period=period, workshop=workshop,
                     version=row.version + 1))
    return _show(workshop, period)


@admin.route("/refused")
@allow(READ)
def refused() -> str:
    booked = arg("show") == "booked"
    rows = review.refused_rows(db_session(), app_config().zone, booked=booked, scope=scope())
    return render_template("admin/refused.html", rows=rows, booked=booked, signed=signed)


@admin.route("/refused/book", methods=["POST"])
@allow(MANAGE)
def refused_book() -> Response:
    """Book the chosen events (or the one whose row button was pressed), each on its own:
    one that no longer fits is named and the others are still booked. An event outside
    the user's workshops is a 404 before anything is booked."""
    db = db_session()
    one = field("one")
    ids = ([int(one)] if one.isdigit()
           else [int(i) for i in request.form.getlist("ids") if i.isdigit()])
    if not ids:
        failed(ServiceError(_("Choose the events to book first.")))
        return redirect(url_for("admin.refused"))
    try:
        for refused_id in ids:
            get_refused(db, refused_id, scope())
    except NotFound:
        abort(404)
    booked, points = 0, 0.0
    for refused_id in ids:
        with saving() as saved:
            row = book_refused(db, refused_id, actor(), app_config().zone, scope=scope())
            points += row.adjustment_points or 0.0
        if saved.ok:
            booked += 1
    if booked:
        done(ngettext("%(num)s event was booked into the open period; adjustments: "
                      "%(points)s points.",
                      "%(num)s events were booked into the open period; adjustments: "
                      "%(points)s points.", booked, points=signed(points)))
    return redirect(url_for("admin.refused"))


def signed(value: float) -> str:
    """Points with their sign and at most two decimals, never in exponent form."""
    return f"{value:+,.2f}".rstrip("0").rstrip(".")
