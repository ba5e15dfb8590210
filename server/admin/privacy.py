"""Privacy (PIPL), for the admin role only: the retention settings and a purge now; one
worker's data exported as a zip, or erased after typing their code (services/privacy/)."""

from __future__ import annotations

import io
from datetime import datetime

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, admin, allow
from server.admin.common import actor, field, photo_dir, saving
from server.services import InvalidInput, NotFound
from server.services.people import workers as people
from server.services.privacy import remove_files
from server.services.privacy.erase import erase_worker, is_erased
from server.services.privacy.export import export_worker
from server.services.privacy.retention import (
    DEFAULTS,
    MAX_DAYS,
    MIN_DAYS,
    checked,
    get_retention,
    last_purge,
    purge,
    save_retention,
)
from server.web import app_config, db_session


@admin.route("/privacy", methods=["GET", "POST"])
@allow(ADMIN)
def privacy() -> Response | str:
    db = db_session()
    if request.method == "POST":
        with saving() as saved:
            save_retention(db, checked({name: field(name) for name in DEFAULTS}), actor())
            saved.done(_("The retention settings were saved; the next nightly purge "
                         "applies them."))
        return redirect(url_for("admin.privacy"))
    return render_template("admin/privacy.html", retention=get_retention(db),
                           defaults=DEFAULTS, min_days=MIN_DAYS, max_days=MAX_DAYS,
                           last=last_purge(db),
                           offline_days=app_config().offline_window_days + 1)


@admin.route("/privacy/purge", methods=["POST"])
@allow(ADMIN)
def privacy_purge() -> Response:
    files = []
    with saving() as saved:
        config = app_config()
        report = purge(db_session(), config.zone, photo_dir(), actor(),
                       offline_window=config.offline_window)
        files = report.files
        saved.done(_("Purged: %(events)s events, %(taps)s badge taps, %(pictures)s claim "
                     "pictures, %(photos)s photos.", events=report.counts["events"],
                     taps=report.counts["badge_taps"],
                     pictures=report.counts["claim_pictures"],
                     photos=report.counts["photos"]))
    if saved.ok:
        remove_files(files)
    return redirect(url_for("admin.privacy"))


def _worker_or_404(code: str) -> people.Worker:
    try:
        return people.get_worker(db_session(), code)
    except NotFound:
        abort(404)


@admin.route("/workers/<code>/export", methods=["POST"])
@allow(ADMIN)
def workers_export(code: str) -> Response:
    _worker_or_404(code)
    db = db_session()
    buffer = io.BytesIO()
    export_worker(db, code, photo_dir(), buffer, actor())
    db.commit()
    buffer.seek(0)
    stamp = datetime.now(app_config().zone).strftime("%Y%m%d")
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"worker-{code}-{stamp}.zip", max_age=0)


@admin.route("/workers/<code>/erase", methods=["GET", "POST"])
@allow(ADMIN)
def workers_erase(code: str) -> Response | str:
    worker = _worker_or_404(code)
    if is_erased(worker):
        return redirect(url_for("admin.worker", code=code))
    if request.method == "POST":
        files = []
        new_code = code
        with saving() as saved:
            if field("confirm") != code:
                raise InvalidInput(_("Type the worker's code %(code)s exactly to confirm.",
                                     code=code))
            erasure = erase_worker(db_session(), code, photo_dir(), actor())
            files, new_code = erasure.files, erasure.code
            saved.done(_("The worker's personal data was erased; they are now %(name)s.",
                         name=erasure.name))
        if saved.ok:
            remove_files(files)
            return redirect(url_for("admin.worker", code=new_code))
        return redirect(url_for("admin.workers_erase", code=code))
    return render_template("admin/worker_erase.html", worker=worker)
