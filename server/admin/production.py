"""Production data: import with a preview, list and filter, correct a record (audited)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, READ_PLANT, admin, allow
from server.admin.common import actor, arg, date_arg, field, number_field, page, saving
from server.admin.uploads import import_page, template_file
from server.services import NotFound
from server.services.people.workers import workshops
from server.services.periods.late import closed_on
from server.services.production import corrections as service
from server.web import app_config, db_session


@admin.route("/production")
@allow(READ_PLANT)
def production() -> str:
    db = db_session()
    flt = service.ProductionFilter(workshop=arg("workshop"), worker=arg("worker"),
                                   machine=arg("machine"), since=date_arg("since"),
                                   until=date_arg("until"))
    rows, total = service.search(db, flt, page())
    return render_template("admin/production.html", rows=rows, total=total, page=page(),
                           page_size=service.PAGE_SIZE, shops=workshops(db))


@admin.route("/production/import", methods=["GET", "POST"])
@allow(ADMIN)
def production_import() -> Response | str:
    return import_page("production")


@admin.route("/production/import/template")
@allow(ADMIN)
def production_import_template() -> Response:
    return template_file("production")


@admin.route("/production/<int:record_id>", methods=["GET", "POST"])
@allow(ADMIN)
def production_edit(record_id: int) -> Response | str:
    db = db_session()
    try:
        record = service.get_record(db, record_id)
    except NotFound:
        abort(404)
    if request.method == "POST":
        with saving() as saved:
            service.correct(db, record_id, number_field("planned_minutes"),
                            number_field("run_minutes"), int(number_field("output")),
                            int(number_field("defects")), field("reason"), actor(),
                            zone=app_config().zone, into_open=bool(field("into_open")))
            saved.done(_("The record was corrected; the change is in the audit log."))
        if saved.ok:
            return redirect(url_for("admin.production", worker=record.worker.code))
    return render_template("admin/production_edit.html", record=record,
                           closed=closed_on(db, record.worker.workshop_id, record.date))
