"""Workers: search and filter, create, edit, deactivate, photo, import, a worker's page;
supervisors' PIN locks (unlock) and the PINs that must be renewed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin import charts as ch
from server.admin.blueprint import ADMIN, READ, admin, allow, scope
from server.admin.common import actor, arg, field, page, photo_dir, saving, today
from server.admin.format import local_name
from server.admin.uploads import import_page, template_file
from server.models import Language, Role
from server.services import NotFound, ServiceError
from server.services.people import languages, pins
from server.services.people import workers as service
from server.services.scores.scorecards import worker_scorecard
from server.web import app_config, db_session
from shopfloor_trust.pins import MAX_WRONG_PINS, NEW_PIN_DIGITS


@admin.route("/workers")
@allow(READ)
def workers() -> str:
    db = db_session()
    rows, total = service.search(db, arg("q"), arg("workshop"), arg("status", "active"),
                                 scope(), page())
    return render_template("admin/workers.html", rows=rows, total=total, page=page(),
                           page_size=service.PAGE_SIZE, shops=service.workshops(db, scope()),
                           yue_script=languages.yue_script(db))


@admin.route("/workers/yue-script", methods=["POST"])
@allow(ADMIN)
def workers_yue_script() -> Response:
    """How every kiosk writes Cantonese for a yue worker: Traditional or Simplified."""
    with saving() as saved:
        languages.set_yue_script(db_session(), field("yue_script"), actor())
        saved.done(_("The kiosks' script for Cantonese was saved."))
    return redirect(url_for("admin.workers"))


def _form() -> service.WorkerForm:
    try:
        role, language = Role(field("role", "worker")), Language(field("language", "zh_CN"))
    except ValueError:
        raise ServiceError(_("Choose a role and a language from the lists.")) from None
    return service.WorkerForm(code=field("code"), name=field("name"),
                              workshop=field("workshop"), role=role, language=language,
                              pin=field("pin") or None)


@admin.route("/workers/new", methods=["GET", "POST"])
@allow(ADMIN)
def workers_new() -> Response | str:
    db = db_session()
    if request.method == "POST":
        with saving() as saved:
            worker = service.create_worker(db, _form(), actor())
            saved.done(_("Worker %(code)s was created.", code=worker.code))
        if saved.ok:
            return redirect(url_for("admin.worker", code=worker.code))
    return render_template("admin/worker_form.html", worker=None, form=request.form,
                           shops=service.workshops(db))


@admin.route("/workers/<code>/edit", methods=["GET", "POST"])
@allow(ADMIN)
def workers_edit(code: str) -> Response | str:
    db = db_session()
    worker = _worker_or_404(code)
    if request.method == "POST":
        with saving() as saved:
            service.update_worker(db, code, _form(), actor())
            saved.done(_("Worker %(code)s was saved.", code=code))
        if saved.ok:
            return redirect(url_for("admin.worker", code=code))
    return render_template("admin/worker_form.html", worker=worker, form=request.form,
                           shops=service.workshops(db))


@admin.route("/workers/<code>/active", methods=["POST"])
@allow(ADMIN)
def workers_active(code: str) -> Response:
    with saving(not_found=404) as saved:
        worker = service.set_active(db_session(), code, field("active") == "1", actor())
        saved.done(_("Worker %(code)s is active again.", code=code) if worker.active
                   else _("Worker %(code)s was deactivated; their badges no longer work.",
                          code=code))
    return redirect(url_for("admin.worker", code=code))


@admin.route("/workers/<code>/photo", methods=["POST"])
@allow(ADMIN)
def workers_photo_upload(code: str) -> Response:
    upload = request.files.get("photo")
    with saving(not_found=404) as saved:
        if upload is None or not upload.filename:
            raise ServiceError(_("Choose a photo file first."))
        service.save_photo(db_session(), code, upload.read(), photo_dir(), actor())
        saved.done(_("The photo was saved."))
    return redirect(url_for("admin.worker", code=code))


@admin.route("/workers/<code>/photo.jpg")
@allow(READ)
def workers_photo(code: str) -> Response:
    path = service.photo_file(_worker_or_404(code), photo_dir())
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=300)


def _worker_or_404(code: str) -> service.Worker:
    try:
        return service.get_worker(db_session(), code, scope())
    except NotFound:
        abort(404)


@admin.route("/workers/<code>")
@allow(READ)
def worker(code: str) -> str:
    db = db_session()
    person = _worker_or_404(code)
    zone = app_config().zone
    now = today()
    card, problem = None, None
    try:
        card = worker_scorecard(db, code, "month", now, zone, today=now)
    except ServiceError as error:
        problem = str(error)
    since = now - timedelta(days=89)
    radar = service.category_radar(db, person, since)
    options = _worker_charts(card, radar, service.effort_by_day(db, person, since, now, zone))
    return render_template(
        "admin/worker.html", worker=person, card=card, problem=problem,
        history=service.point_history(db, person), appeals=service.appeals_of(db, person),
        options=options, charts=bool(options), radar=radar,
        has_photo=service.photo_file(person, photo_dir()) is not None)


def _worker_charts(card: dict[str, Any] | None, radar: list[dict[str, Any]],
                   effort: dict[date, float]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    effort_on = {day.isoformat(): value for day, value in effort.items()}
    if card is not None:
        days = sorted({v["date"] for d in card["dimensions"] for v in d["daily"]})
        rates = {d["key"]: {v["date"]: v["value"] for v in d["daily"]} for d in card["dimensions"]
                 if d["key"] in ("uptime", "defect_rate", "attendance")}
        if days and rates:
            names = {"uptime": _("Uptime"), "defect_rate": _("Defect rate"),
                     "attendance": _("Attendance")}
            options["chart-trend"] = ch.lines(
                _("This month by day"), days,
                {names[k]: [round(v[d] * 100, 1) if d in v else None for d in days]
                 for k, v in rates.items()}, "%")
        defect = {v["date"]: v["value"] for d in card["dimensions"] if d["key"] == "defect_rate"
                  for v in d["daily"]}
        if days:
            effort_name, result_name = _("Effort (points, issues found)"), _("Defect rate %")
            options["chart-effort"] = ch.lines(
                _("Process beside result"), days,
                {effort_name: [effort_on.get(d, 0) for d in days],
                 result_name: [round(defect[d] * 100, 2) if d in defect else None
                               for d in days]},
                y_names=(_("Effort"), _("Defect rate %")), right={result_name})
    weeks = card.get("track_weeks") if card is not None else None
    if weeks:
        options["chart-tracks"] = ch.tracks(
            _("Process and result, last weeks"), weeks["weeks"],
            {key: weeks[key] for key in ("process", "result") if key in weeks},
            {"process": _("Process"), "result": _("Result")})
    if any(item["points"] for item in radar):
        options["chart-radar"] = ch.radar(
            _("Points by category, last 90 days"),
            [(local_name(item), max(item["max"], item["points"])) for item in radar],
            [item["points"] for item in radar], _("Points"))
    return options


@admin.route("/workers/import", methods=["GET", "POST"])
@allow(ADMIN)
def workers_import() -> Response | str:
    return import_page("workers")


@admin.route("/workers/import/template")
@allow(ADMIN)
def workers_import_template() -> Response:
    return template_file("workers")


@admin.route("/pin-locks")
@allow(ADMIN)
def pin_locks() -> str:
    db = db_session()
    return render_template("admin/pin_locks.html", locks=pins.locks(db),
                           renew=pins.short_pins(db), max_wrong=MAX_WRONG_PINS,
                           digits=NEW_PIN_DIGITS)


@admin.route("/pin-locks/<code>/unlock", methods=["POST"])
@allow(ADMIN)
def pin_locks_unlock(code: str) -> Response:
    with saving() as saved:
        pins.unlock(db_session(), code, actor())
        saved.done(_("%(code)s may act again; kiosks start counting wrong PINs afresh.",
                     code=code))
    return redirect(url_for("admin.pin_locks"))
