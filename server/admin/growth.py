"""The growth path in the admin: a worker's growth record (a section of the worker page,
`admin/_growth.html`, read through the `growth_of` template global), talent pools and
who is in them, grades per role and HR's certification list, and what a training video
trains and its quiz's pass mark (a form on the video page, `admin/_video_growth.html`)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, LABELS, READ_PLANT, admin, allow
from server.admin.common import actor, field, number_field, saving, today
from server.admin.format import local_name
from server.models import Metric, PointCategory, Role, TrainingVideo, Worker
from server.services import InvalidInput
from server.services.growth import path, pools
from server.services.growth.record import growth_record
from server.services.training import videos as video_service
from server.web import app_config, db_session, standings_cache

BUILT_IN = ("uptime", "defect_rate", "output", "training", "attendance", "points")
ROLES = [r.value for r in Role]


def axis_name(axis: dict[str, Any]) -> str:
    if axis["kind"] == "dimension" and axis["code"] in LABELS["dim_names"]:
        return str(LABELS["dim_names"][axis["code"]])
    return local_name(axis)


def radar_chart(title: str, axes: list[dict[str, Any]], series: str) -> dict[str, Any]:
    """An ECharts radar in percent of each axis's maximum, with aria and decal patterns
    (a screen reader reads it; the filled area is told apart without colour)."""
    return {
        "animation": False, "color": ["#1f5fa8"],
        "aria": {"enabled": True, "decal": {"show": True}},
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item"},
        "textStyle": {"fontFamily": "Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"},
        "radar": {"indicator": [{"name": axis_name(a), "max": 100} for a in axes],
                  "radius": "62%", "center": ["50%", "56%"]},
        "series": [{"type": "radar", "name": series, "data": [{
            "name": series, "areaStyle": {"opacity": .3},
            "value": [0 if a["share"] is None else round(a["share"] * 100, 1)
                      for a in axes]}]}],
    }


@admin.app_template_global("growth_of")
def growth_of(worker: Worker) -> dict[str, Any]:
    """The worker page's growth section: the record and its radar chart's options."""
    db = db_session()
    record = growth_record(db, worker, today(), app_config().zone, cache=standings_cache())
    axes = record["radar"]
    options = {}
    if len(axes) >= 3:  # a radar needs three axes to be a shape
        options["chart-growth"] = radar_chart(
            _("Growth: share of the maximum, last 3 months"), axes, _("Share %"))
    videos = {v.id: v for v in db.scalars(select(TrainingVideo).where(
        TrainingVideo.id.in_(record["suggested"])))} if record["suggested"] else {}
    weak = next((a for a in axes if a["key"] == record["weakest"]), None)
    return {"record": record, "options": options, "weakest": weak,
            "suggested": [videos[i] for i in record["suggested"] if i in videos],
            "axis_name": axis_name}


def tag_choices() -> list[tuple[str, str]]:
    """What a video may be tagged with: the built-in dimensions, the metrics, the
    categories."""
    db = db_session()
    choices = [(f"dim:{key}", str(LABELS["dim_names"][key])) for key in BUILT_IN]
    for metric in db.scalars(select(Metric).order_by(Metric.code)):
        name = local_name({"name": metric.name_zh, "name_en": metric.name_en})
        choices.append((f"dim:{metric.code}", f"{name} ({metric.code})"))
    choices += [(f"cat:{c.code}", local_name(c)) for c in db.scalars(
        select(PointCategory).where(PointCategory.active.is_(True)).order_by(PointCategory.code))]
    return choices


@admin.app_template_global("growth_tag_choices")
def growth_tag_choices() -> list[tuple[str, str]]:
    return tag_choices()


@admin.route("/videos/<int:video_id>/growth", methods=["POST"])
@allow(ADMIN)
def videos_growth(video_id: int) -> Response:
    mark = field("pass_mark")
    with saving(not_found=404) as saved:
        if mark and not mark.isdigit():
            raise InvalidInput(_("The pass mark is a whole percentage from 0 to 100."))
        video_service.set_growth(db_session(), video_id, int(mark) if mark else None,
                                 request.form.getlist("tags"), actor())
        saved.done(_("Saved."))
    return redirect(url_for("admin.videos_edit", video_id=video_id))


# --- talent pools -------------------------------------------------------------------


@admin.route("/pools")
@allow(READ_PLANT)
def talent_pools() -> str:
    db = db_session()
    now = today()
    rows = [{"pool": p, "members": pools.members(db, p, now)} for p in pools.pools(db)]
    categories = list(db.scalars(select(PointCategory).order_by(PointCategory.code)))
    return render_template("admin/pools.html", rows=rows, categories=categories,
                           form=request.form)


@admin.route("/pools", methods=["POST"])
@allow(ADMIN)
def talent_pools_save() -> Response:
    with saving() as saved:
        form = pools.PoolForm(
            code=field("code"), name=field("name"), name_en=field("name_en"),
            categories=request.form.getlist("categories"),
            min_points=number_field("min_points"),
            days=int(number_field("days", integer=True)) if field("days") else 90,
            tier=field("tier"),
            tier_times=int(number_field("tier_times", integer=True))
            if field("tier_times") else 0,
            active=field("active", "1") == "1")
        pool = pools.save_pool(db_session(), form, actor())
        saved.done(_("Talent pool %(code)s was saved.", code=pool.code))
    return redirect(url_for("admin.talent_pools"))


# --- grades and certification ------------------------------------------------------


@admin.route("/grades")
@allow(READ_PLANT)
def grades() -> str:
    db = db_session()
    videos = list(db.scalars(select(TrainingVideo).where(TrainingVideo.active.is_(True))
                             .order_by(TrainingVideo.id)))
    categories = list(db.scalars(select(PointCategory).order_by(PointCategory.code)))
    return render_template("admin/grades.html", grades=path.grades(db),
                           candidates=path.candidates(db), videos=videos,
                           video_names={v.id: v.title for v in videos},
                           categories=categories, roles=ROLES)


@admin.route("/grades", methods=["POST"])
@allow(ADMIN)
def grades_save() -> Response:
    with saving() as saved:
        form = path.GradeForm(
            code=field("code"), role=field("role", "worker"),
            rank=int(number_field("rank", integer=True)), name=field("name"),
            name_en=field("name_en"), points=number_field("points"),
            categories=request.form.getlist("categories"),
            videos=[int(v) for v in request.form.getlist("videos") if v.isdigit()])
        grade = path.save_grade(db_session(), form, actor())
        saved.done(_("Grade %(code)s was saved.", code=grade.code))
    return redirect(url_for("admin.grades"))


@admin.route("/grades/certify", methods=["POST"])
@allow(ADMIN)
def grades_certify() -> Response:
    worker, grade = field("worker"), field("grade")
    with saving() as saved:
        path.certify(db_session(), worker, grade, actor())
        saved.done(_("%(worker)s now holds grade %(grade)s.", worker=worker, grade=grade))
    return redirect(url_for("admin.grades"))
