"""Scoring schemes (an editor with validation and a preview before saving; versions) and
point categories."""

from __future__ import annotations

import hashlib

from flask import Response as FlaskResponse
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, READ_PLANT, admin, allow
from server.admin.common import actor, arg, done, field, number_field, saving, today
from server.models import PointLevel, ScoringScheme
from server.services import NotFound, ServiceError
from server.services.people.workers import workshops
from server.services.points import claims as points
from server.services.points.categories import add_category
from server.services.scores.preview import preview
from server.services.scores.schemes import export_scheme, import_scheme
from server.web import app_config, db_session

NEW_SCHEME = """\
name: 新方案
workshops: [{workshop}]
period: month              # day | week | month
mode: threshold            # threshold | weighted
effective_from: {start}
dimensions:
  - {{key: uptime,      target: 0.75, points: 60}}
  - {{key: defect_rate, target: 0.03, points: 30}}
  - {{key: output,      target: 900,  points: 10}}
hourly_points: 0
points_cap: 20
tiers:
  - {{key: excellent, name: 优秀, top_percent: 10}}
  - {{key: good,      name: 良好, top_percent: 20}}
  - {{key: improved,  name: 进步之星, most_improved_percent: 10}}
"""


def _posted_text() -> str:
    """The YAML as posted; line ends and outer blank lines as a browser's textarea may
    change them on the way back and forth, so the digest of the preview holds."""
    return request.form.get("text", "").replace("\r\n", "\n").strip() + "\n"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@admin.route("/schemes")
@allow(READ_PLANT)
def schemes() -> str:
    rows = db_session().scalars(select(ScoringScheme).order_by(
        ScoringScheme.name, ScoringScheme.version.desc()))
    grouped: dict[str, list[ScoringScheme]] = {}
    for row in rows:
        grouped.setdefault(row.name, []).append(row)
    return render_template("admin/schemes.html", grouped=grouped)


@admin.route("/schemes/edit")
@allow(READ_PLANT)
def schemes_edit() -> str:
    db = db_session()
    name = arg("name")
    version = arg("version")
    if name:
        try:
            text = export_scheme(db, name, int(version) if version.isdigit() else None)
        except NotFound:
            abort(404)
    else:
        shops = workshops(db)
        start = today().replace(day=1)
        text = NEW_SCHEME.format(workshop=shops[0].code if shops else "W1",
                                 start=start.isoformat())
    return render_template("admin/scheme_edit.html", text=text, error=None, result=None)


@admin.route("/schemes/preview", methods=["POST"])
@allow(ADMIN)
def schemes_preview() -> str:
    text = _posted_text()
    try:
        result = preview(db_session(), text, app_config().zone, today())
    except ServiceError as error:
        return render_template("admin/scheme_edit.html", text=text, error=str(error),
                               result=None)
    return render_template("admin/scheme_edit.html", text=text, error=None, result=result,
                           digest=_digest(text))


@admin.route("/schemes/save", methods=["POST"])
@allow(ADMIN)
def schemes_save() -> Response | str:
    text = _posted_text()
    if field("digest") != _digest(text):
        return render_template("admin/scheme_edit.html", text=text, result=None,
                               error=_("The text changed after the preview: preview it again "
                                       "before saving."))
    db = db_session()
    try:
        row = import_scheme(db, text, actor())
    except ServiceError as error:
        return render_template("admin/scheme_edit.html", text=text, error=str(error),
                               result=None)
    db.commit()
    done(_("Scheme %(name)s was saved as version %(version)s, in force from %(date)s.",
           name=row.name, version=row.version, date=row.effective_from.isoformat()))
    return redirect(url_for("admin.schemes"))


@admin.route("/schemes/export")
@allow(READ_PLANT)
def schemes_export() -> FlaskResponse:
    version = arg("version")
    try:
        text = export_scheme(db_session(), arg("name"),
                             int(version) if version.isdigit() else None)
    except NotFound:
        abort(404)
    response = FlaskResponse(text, mimetype="text/yaml; charset=utf-8")
    response.headers["Content-Disposition"] = "attachment; filename=scheme.yaml"
    return response


# --- point categories -------------------------------------------------------------------


@admin.route("/categories")
@allow(READ_PLANT)
def categories() -> str:
    return render_template("admin/categories.html", rows=points.list_categories(db_session()),
                           levels=[level.value for level in PointLevel])


def _level() -> PointLevel:
    try:
        return PointLevel(field("level"))
    except ValueError:
        raise ServiceError(_("Choose level A, B or C.")) from None


@admin.route("/categories/new", methods=["POST"])
@allow(ADMIN)
def categories_new() -> Response:
    with saving() as saved:
        add_category(db_session(), field("code"), field("name"), _level(),
                     number_field("points"), field("needs_approval") == "1",
                     name_en=field("name_en") or None, actor=actor(),
                     pictogram=field("pictogram") or None)
        saved.done(_("Category %(code)s was added.", code=field("code")))
    return redirect(url_for("admin.categories"))


@admin.route("/categories/<code>", methods=["POST"])
@allow(ADMIN)
def categories_edit(code: str) -> Response:
    with saving(not_found=404) as saved:
        points.update_category(db_session(), code, points.CategoryChange(
            name=field("name"), name_en=field("name_en") or None, level=_level(),
            points=number_field("points"), needs_approval=field("needs_approval") == "1",
            active=field("active") == "1", pictogram=field("pictogram") or None), actor())
        saved.done(_("Category %(code)s was saved.", code=code))
    return redirect(url_for("admin.categories"))
