"""Kiosks: add one and show its one-time enrolment code, list the fleet, revoke."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin.badges import qr_svg
from server.admin.blueprint import ADMIN, admin, allow
from server.admin.common import actor, field, saving
from server.services.devices import kiosks as service
from server.services.devices.identity import server_id
from server.services.people import workers as people
from server.serving.tls import ensure_identity, fingerprint_b32
from server.web import app_config, db_session


def _code_page(issued: service.IssuedCode) -> str:
    identity = ensure_identity(app_config().data_dir)
    payload = service.enrolment_payload(server_id(db_session()),
                                        fingerprint_b32(identity.fingerprint), issued.code)
    return render_template("admin/kiosk_code.html", issued=issued, qr=qr_svg(payload),
                           payload=payload)


@admin.route("/kiosks", methods=["GET", "POST"])
@allow(ADMIN)
def kiosks() -> str:
    db = db_session()
    if request.method == "POST":
        with saving() as saved:
            issued = service.add_kiosk(db, field("name"), request.form.getlist("workshops"),
                                       actor())
        if saved.ok:
            return _code_page(issued)
    return render_template("admin/kiosks.html", kiosks=service.list_kiosks(db),
                           shops=people.workshops(db))


@admin.route("/kiosks/<name>/code", methods=["POST"])
@allow(ADMIN)
def kiosks_code(name: str) -> Response | str:
    with saving(not_found=404) as saved:
        issued = service.issue_code(db_session(), name, actor())
    if not saved.ok:
        return redirect(url_for("admin.kiosks"))
    return _code_page(issued)


@admin.route("/kiosks/<name>/revoke", methods=["POST"])
@allow(ADMIN)
def kiosks_revoke(name: str) -> Response:
    with saving(not_found=404) as saved:
        service.revoke_kiosk(db_session(), name, actor())
        saved.done(_("Kiosk %(name)s was revoked; its token no longer works.", name=name))
    return redirect(url_for("admin.kiosks"))
