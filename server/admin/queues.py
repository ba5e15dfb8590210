"""The claims queue (bulk approve and reject) and the appeals queue (evidence, resolve)."""

from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from server.admin.blueprint import MANAGE, READ, admin, allow, scope
from server.admin.common import arg, field, saving, today
from server.models import User
from server.services import NotFound
from server.services.points import appeals as appeal_service
from server.services.points import claims as service
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
def claims_decide() -> Response:
    db = db_session()
    ids = [int(i) for i in request.form.getlist("claims") if i.isdigit()]
    approve = field("decision") == "approve"
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
    return render_template("admin/appeal.html", appeal=item,
                           evidence=appeal_service.evidence(db, item, app_config().zone,
                                                            today()))


@admin.route("/appeals/<int:appeal_id>/resolve", methods=["POST"])
@allow(MANAGE)
def appeals_resolve(appeal_id: int) -> Response:
    with saving(not_found=404) as saved:
        appeal_service.resolve(db_session(), appeal_id, field("decision") == "upheld",
                               field("note"), current_user_row(), scope())
        saved.done(_("The appeal was resolved; the worker sees the note on the kiosk."))
    if not saved.ok:
        return redirect(url_for("admin.appeal", appeal_id=appeal_id))
    return redirect(url_for("admin.appeals"))
