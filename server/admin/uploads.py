"""Imports in two steps: upload and preview (nothing stored), then confirm the same file;
and the template files HR fills in.

The preview lists every workshop and machine the file would create, each with a box HR
ticks to create it; rows naming one left unticked are refused and named (`create`,
`strict`), so a typo never silently becomes a new workshop. The uploaded bytes wait in the
upload spool (`spool.py`), sealed with a key that only the confirm form carries beside the
file's random id: the file is sent once, and rests on disk unreadable. Production rows
dated in a closed period are refused unless HR ticks "book into the open period"
(`into_open`), which the confirm form carries too: the preview then shows the adjustments
the import would book. Every message is in the reader's language (bad rows' reasons are
`Message`s, files refused are `Refused`).
"""

from __future__ import annotations

import io
from collections.abc import Collection
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, cast

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin import spool
from server.admin.common import actor, arg, done, failed, field
from server.services import ServiceError
from server.services.imports import (
    PRODUCTION_COLUMNS,
    WORKER_COLUMNS,
    ImportPreview,
    ImportReport,
    import_production,
    import_workers,
    preview_production,
    preview_workers,
    template,
)
from server.services.imports.templates import Format, Kind, Lang
from server.web import app_config, db_session, server_keys

FORMATS = {"csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LANGUAGES = ("zh_CN", "en")
SKIPPED_SHOWN = 20  # bad rows named in the message after an import that skipped them


def _folder() -> Path:
    return app_config().data_dir / "uploads"


def _workers_options() -> dict[str, Any]:
    config = app_config()
    return {"keys": server_keys(), "card_format": config.card_format,
            "card_reversed": config.card_reversed}


def _preview(kind: str, data: bytes, filename: str, skip_bad: bool,
             into_open: bool) -> ImportPreview:
    db = db_session()
    try:
        if kind == "production":
            return preview_production(db, data, filename, skip_bad=skip_bad,
                                      into_open=into_open, zone=app_config().zone)
        return preview_workers(db, data, filename, skip_bad=skip_bad, **_workers_options())
    finally:
        db.rollback()  # a preview stores nothing


def _import(kind: str, kept: spool.Kept, skip_bad: bool, into_open: bool,
            create: Collection[str]) -> ImportReport:
    db = db_session()
    if kind == "production":
        return import_production(db, kept.data, kept.filename, skip_bad=skip_bad,
                                 actor=actor(), into_open=into_open, zone=app_config().zone,
                                 create=create, strict=True)
    return import_workers(db, kept.data, kept.filename, skip_bad=skip_bad, actor=actor(),
                          create=create, strict=True, **_workers_options())


def _page(kind: str, **values: Any) -> str:
    columns = WORKER_COLUMNS if kind == "workers" else PRODUCTION_COLUMNS
    values.setdefault("report", None)
    return render_template(f"admin/{kind}_import.html", columns=columns,
                           template_endpoint=f"admin.{kind}_import_template",
                           card_format=app_config().card_format, **values)


def _filename(name: str) -> str:
    """The name of an uploaded file without any folder a browser sent with it."""
    return PureWindowsPath(PurePosixPath(name).name).name.strip() or "upload"


def import_page(kind: str) -> Response | str:
    """Step 1 uploads and previews (nothing is stored); step 2 confirms the same bytes."""
    if request.method == "GET":
        return _page(kind)
    skip_bad = field("skip_bad") == "1"
    into_open = kind == "production" and field("into_open") == "1"
    if field("step") == "confirm":
        return _confirm(kind, skip_bad, into_open)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        failed(ServiceError(_("Choose a CSV, XLSX or XLS file first.")))
        return _page(kind, into_open=into_open)
    data, filename = upload.read(), _filename(upload.filename)
    try:
        preview = _preview(kind, data, filename, skip_bad, into_open)
    except ServiceError as error:
        failed(error)
        return _page(kind, into_open=into_open)
    new = {"workshops": preview.new_workshops, "machines": preview.new_machines}
    token = spool.keep(_folder(), kind, filename, data, actor(), notes={"new": new})
    return _show(kind, preview.report, new, token, skip_bad, into_open, ticked=())


def _confirm(kind: str, skip_bad: bool, into_open: bool) -> Response | str:
    db = db_session()
    kept = spool.find(_folder(), field("upload"), kind, actor())
    if kept is None:
        failed(ServiceError(_("The upload was lost or is more than an hour old; choose the "
                              "file again.")))
        return redirect(request.path)
    create = [code for code in request.form.getlist("create") if code]
    try:
        report = _import(kind, kept, skip_bad, into_open, create)
    except ServiceError as error:
        db.rollback()
        failed(error)
        return _page(kind, into_open=into_open)
    if not report.imported:  # the boxes again, as HR left them, beside the rows refused
        db.rollback()
        return _show(kind, report, kept.notes.get("new", {}), kept.token, skip_bad,
                     into_open, ticked=create)
    db.commit()
    spool.drop(_folder(), kept.token)
    _tell_imported(kept.filename, report)
    return redirect(url_for("admin.workers" if kind == "workers" else "admin.production"))


def _tell_imported(filename: str, report: ImportReport) -> None:
    done(_("Imported %(file)s: %(created)s new, %(updated)s changed, %(unchanged)s "
           "unchanged.", file=filename, created=report.created, updated=report.updated,
           unchanged=report.unchanged))
    if report.created_workshops:
        done(_("New workshops created: %(codes)s.", codes=", ".join(report.created_workshops)))
    if report.created_machines:
        done(_("New machines created: %(codes)s.", codes=", ".join(report.created_machines)))
    if report.cards_assigned or report.cards_replaced:
        done(_("Cards: %(assigned)s given out, %(replaced)s old cards revoked.",
               assigned=report.cards_assigned, replaced=report.cards_replaced))
    if report.adjustments:
        done(ngettext("%(num)s adjustment was booked into the open period for rows "
                      "dated in a closed period.",
                      "%(num)s adjustments were booked into the open period for rows "
                      "dated in a closed period.", len(report.adjustments)))
    if report.errors:
        errors = report.to_dict(gettext=gettext)["errors"]
        named = "; ".join(_("Line %(line)s", line=e["line"]) + ": " + e["reason"]
                          for e in errors[:SKIPPED_SHOWN])
        more = len(errors) - SKIPPED_SHOWN
        flash(_("Rows skipped: %(rows)s", rows=named)
              + (" " + _("(and %(count)s more)", count=more) if more > 0 else ""), "warn")


def _show(kind: str, report: ImportReport, new: dict[str, list[str]], token: str,
          skip_bad: bool, into_open: bool, ticked: Collection[str]) -> str:
    """The preview: the report, and a box for each workshop and machine the file would
    create (`new`, as the preview found them)."""
    return _page(kind, report=report.to_dict(gettext=gettext), skip_bad=skip_bad,
                 into_open=into_open, upload=token, filename=report.filename,
                 new_workshops=new.get("workshops", []), new_machines=new.get("machines", []),
                 ticked=set(ticked))


def template_file(kind: str) -> Response:
    """A file with the `kind` import's header row and an example, for HR to fill in:
    `format` csv or xlsx, `lang` zh_CN (Chinese headers) or en, from the query string."""
    fmt, lang = arg("format", "xlsx"), arg("lang", "zh_CN")
    if fmt not in FORMATS or lang not in LANGUAGES:
        abort(404)
    data = template(cast(Kind, kind), cast(Format, fmt), cast(Lang, lang),
                    card_format=app_config().card_format)
    return send_file(io.BytesIO(data), mimetype=FORMATS[fmt], as_attachment=True,
                     download_name=f"{kind}-{lang}.{fmt}")
