"""The claims queue (bulk approve and reject) and the appeals queue (evidence, resolve)."""

from __future__ import annotations

import io
from datetime import date

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from server.admin.blueprint import MANAGE, READ, admin, allow, scope
from server.admin.common import FieldProblem, arg, field, saving, today
from server.models import User
from server.services import InvalidInput, NotFound
from server.services.points import appeals as appeal_service
from server.services.points import claims as service
from server.services.points import notices
from server.web import app_config, db_session


@admin.route("/claims")
@allow(READ)
def claims() -> str:
    db = db_session()
    rows = service.pending_claims(db, scope())
    return render_template("admin/claims.html", rows=rows,
                           photos=service.with_photo(db, rows))


@admin.route("/claims/decide", methods=["POST"])
@allow(MANAGE)
def claims_decide() -> Response | str:
    """Asks once, with the count and the points, before deciding the claims chosen."""
    db = db_session()
    ids = [int(i) for i in request.form.getlist("claims") if i.isdigit()]
    approve = field("decision") == "approve"
    if ids and field("confirmed") != "1":
        chosen = [c for c in service.pending_claims(db, scope()) if c.id in set(ids)]
        return render_template("admin/claims_confirm.html", rows=chosen, approve=approve,
                               note=field("note"),
                               total=sum(c.points for c in chosen))
    with saving(not_found=404) as saved:
        changed = service.decide_claims(db, ids, approve, field("note"), current_user_row(),
                                        scope(), zone=app_config().zone)
        saved.done(ngettext("%(num)s claim approved.", "%(num)s claims approved.", changed)
                   if approve else
                   ngettext("%(num)s claim rejected.", "%(num)s claims rejected.", changed))
    return redirect(url_for("admin.claims"))


@admin.route("/claims/<int:entry_id>/photo.jpg")
@allow(READ)
def claims_photo(entry_id: int) -> Response:
    try:
        photo = service.claim_photo(db_session(), entry_id, scope())
    except NotFound:
        abort(404)
    if photo is None:
        abort(404)
    return send_file(io.BytesIO(photo), mimetype="image/jpeg")


def current_user_row() -> User:
    user: User = current_user.user
    return user


@admin.route("/appeals")
@allow(READ)
def appeals() -> str:
    status = arg("status", "open")
    return render_template("admin/appeals.html", status=status,
                           rows=appeal_service.list_appeals(db_session(), status, scope()))


@admin.route("/appeals/<int:appeal_id>")
@allow(READ)
def appeal(appeal_id: int) -> str:
    db = db_session()
    try:
        item = appeal_service.get_appeal(db, appeal_id, scope())
    except NotFound:
        abort(404)
    found = appeal_service.evidence(db, item, app_config().zone, today())
    options = (appeal_service.correction_options(db, item, found["production"], today())
               if item.status.value == "open" else None)
    return render_template("admin/appeal.html", appeal=item, evidence=found, options=options,
                           notice=notices.of_appeal(db, item))


@admin.route("/appeals/<int:appeal_id>/resolve", methods=["POST"])
@allow(MANAGE)
def appeals_resolve(appeal_id: int) -> Response | str:
    """Uphold (with the correction chosen in the same form) or reject. A refused form is
    shown again with what was typed."""
    with saving(not_found=404) as saved:
        upheld = field("decision") == "upheld"
        done = appeal_service.resolve(db_session(), appeal_id, upheld, field("note"),
                                      current_user_row(), scope(), zone=app_config().zone,
                                      correction=_correction(upheld))
        saved.done(_resolved_message(done))
    if not saved.ok:
        return appeal(appeal_id)
    return redirect(url_for("admin.appeals"))


def _correction(upheld: bool) -> appeal_service.Correction | None:
    """The correction the form chose; the service checks the values."""
    choice = field("correction")
    if not choice:
        if upheld:
            raise InvalidInput(_("correction: choose what the upheld appeal corrects, or "
                                 "“no correction”"))
        return None
    if choice == "record":
        chosen = field("record")
        if not chosen.isdigit():
            raise InvalidInput(_("record: choose the production record to correct"))
        return appeal_service.RecordCorrection(
            int(chosen), _number(f"planned_minutes_{chosen}", "planned_minutes"),
            _number(f"run_minutes_{chosen}", "run_minutes"),
            int(_number(f"output_{chosen}", "output", integer=True)),
            int(_number(f"defects_{chosen}", "defects", integer=True)), field("reason"))
    if choice in ("points", "adjustment"):
        text = field("day")
        try:
            day = date.fromisoformat(text) if text else None
        except ValueError:
            raise InvalidInput(_("date: %(value)s is not a date (YYYY-MM-DD)",
                                 value=text)) from None
        kind = (appeal_service.PointAward if choice == "points"
                else appeal_service.ManualAdjustment)
        return kind(_number("points", "points"), field("reason"), day)
    return None


def _number(name: str, label: str, *, integer: bool = False) -> float:
    text = field(name)
    try:
        return int(text) if integer else float(text)
    except ValueError:
        raise FieldProblem(label, text) from None


def _resolved_message(done: appeal_service.Resolution) -> str:
    if done.booked_on is not None and done.points is not None:
        return _("The appeal was resolved. Its period is closed: %(points)s points were "
                 "booked on %(day)s in the first open period; the kiosk tells the worker.",
                 points=f"{done.points:+g}", day=done.booked_on.isoformat())
    if done.points is not None and done.points != 0:
        return _("The appeal was resolved and the score corrected (%(points)s points); the "
                 "kiosk tells the worker.", points=f"{done.points:+g}")
    return _("The appeal was resolved; the worker sees the note on the kiosk.")
