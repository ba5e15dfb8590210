"""Imports in two steps: upload and preview (nothing stored), then confirm the same file.

The uploaded bytes wait in `<data dir>/uploads`, named by their sha256, between the two
steps; the confirm form carries only the digest. Production rows dated in a closed period
are refused unless HR ticks "book into the open period" (`into_open`), which the confirm
form carries too: the preview then shows the adjustments the import would book.
"""

from __future__ import annotations

import hashlib
import time

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from server.admin.common import actor, done, failed, field
from server.services import ServiceError
from server.services.imports import ImportReport, import_production, import_workers
from server.web import app_config, db_session

KEEP_SECONDS = 24 * 3600


def _stash(data: bytes) -> str:
    """Keep an uploaded file until it is confirmed; returns its digest. Uploads older than
    a day (previews nobody confirmed) are removed on the way."""
    folder = app_config().data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    digest = hashlib.sha256(data).hexdigest()
    (folder / digest).write_bytes(data)
    return digest


def _unstash(digest: str) -> bytes | None:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    path = app_config().data_dir / "uploads" / digest
    return path.read_bytes() if path.is_file() else None


def _import(kind: str, data: bytes, filename: str, skip_bad: bool,
            into_open: bool) -> ImportReport:
    if kind == "production":
        return import_production(db_session(), data, filename, skip_bad=skip_bad,
                                 actor=actor(), into_open=into_open, zone=app_config().zone)
    return import_workers(db_session(), data, filename, skip_bad=skip_bad, actor=actor())


def import_page(kind: str) -> Response | str:
    """Step 1 uploads and previews (nothing is stored); step 2 confirms the same bytes."""
    db = db_session()
    template = f"admin/{kind}_import.html"
    if request.method == "GET":
        return render_template(template, report=None)
    skip_bad = field("skip_bad") == "1"
    into_open = kind == "production" and field("into_open") == "1"
    if field("step") == "confirm":
        stashed = _unstash(field("digest"))
        if stashed is None:
            failed(ServiceError(_("The upload was lost; choose the file again.")))
            return redirect(request.path)
        data, filename = stashed, field("filename") or "upload"
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            failed(ServiceError(_("Choose a CSV or XLSX file first.")))
            return render_template(template, report=None, into_open=into_open)
        data, filename = upload.read(), upload.filename
    try:
        report = _import(kind, data, filename, skip_bad, into_open)
    except ServiceError as error:
        failed(error)
        return render_template(template, report=None, into_open=into_open)
    if field("step") == "confirm" and report.imported:
        db.commit()
        (app_config().data_dir / "uploads" / field("digest")).unlink(missing_ok=True)
        done(_("Imported %(file)s: %(created)s new, %(updated)s changed, %(unchanged)s "
               "unchanged.", file=filename, created=report.created, updated=report.updated,
               unchanged=report.unchanged))
        if report.adjustments:
            done(ngettext("%(num)s adjustment was booked into the open period for rows "
                          "dated in a closed period.",
                          "%(num)s adjustments were booked into the open period for rows "
                          "dated in a closed period.", len(report.adjustments)))
        return redirect(url_for("admin.workers" if kind == "workers" else "admin.production"))
    db.rollback()  # a preview stores nothing
    return render_template(template, report=report.to_dict(), skip_bad=skip_bad,
                           into_open=into_open, digest=_stash(data), filename=filename)
