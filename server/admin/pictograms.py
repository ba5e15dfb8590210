"""The pictogram picker the categories, rewards and fault-reasons pages share, and the
fault/quality reasons page itself.

The picker is a group of radio buttons, one per picture in `services/pictograms.PICTOGRAMS`,
each labelled with the picture's name (screen readers read it; the picture's alt is empty).
The pictures are the kiosk's own, copied to server/static/pictograms/ by
`python -m kiosk.ui.icons`. Viewers see the reasons; admins add and edit them (audited by
services/production/reasons.py).
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, READ_PLANT, admin, allow
from server.admin.common import actor, field, saving
from server.services import InvalidInput
from server.services.pictograms import PICTOGRAMS, static_path
from server.services.production import reasons as service
from server.web import db_session

LABELS = {
    "medal": _l("Medal"), "star": _l("Star"), "helmet": _l("Safety helmet"),
    "broom": _l("Broom (5S, tidy)"), "lightbulb": _l("Light bulb (an idea)"),
    "wrench": _l("Wrench (a repair)"), "hand_help": _l("Helping hand"), "clock": _l("Clock"),
    "training_done": _l("Training"), "team": _l("Team"), "check": _l("Tick"),
    "output": _l("Output"), "quality_issue": _l("Magnifier (quality)"), "gift": _l("Gift"),
    "cash": _l("Cash"), "coin": _l("Coin"), "rice_bowl": _l("Rice bowl (a meal)"),
    "movie_ticket": _l("Movie ticket"), "phone_card": _l("Phone top-up"),
    "day_off": _l("Day off"), "drink": _l("Drink"), "machine_fault": _l("Machine fault"),
    "gear_jam": _l("Jammed gears"), "no_power": _l("No power"),
    "material_shortage": _l("Material shortage"), "burr": _l("Burr"), "leak": _l("Leak"),
    "scratch": _l("Scratch"), "size_wrong": _l("Wrong size"), "overheat": _l("Overheating"),
    "defect": _l("Broken part"), "other": _l("Other"),
}
KIND_NAMES = {"machine_fault": _l("Machine fault"), "quality_issue": _l("Quality issue")}


def choices() -> list[tuple[str, str, str]]:
    """(name, label, static URL) of every picture, in the picker's order."""
    return [(name, str(LABELS.get(name, name)), url_for("static", filename=static_path(name)))
            for name in PICTOGRAMS]


def picture_url(name: str | None) -> str:
    return url_for("static", filename=static_path(name if name in PICTOGRAMS else "other"))


@admin.app_template_global("pictogram_choices")
def _pictogram_choices() -> list[tuple[str, str, str]]:
    return choices()


@admin.app_template_global("pictogram_url")
def _pictogram_url(name: str | None) -> str:
    return picture_url(name)


@admin.app_template_global("pictogram_label")
def _pictogram_label(name: str | None) -> str:
    return str(LABELS.get(name or "", name or ""))


# --- fault and quality reasons ----------------------------------------------------------


def _sort() -> int:
    text = field("sort") or "0"
    if not text.isdigit():
        raise InvalidInput(f"sort: {text!r} is not a whole number")
    return int(text)


def _spec(*, new: bool = False) -> service.ReasonSpec:
    return service.ReasonSpec(name=field("name"), name_en=field("name_en") or None,
                              pictogram=field("pictogram"), sort=_sort(),
                              active=new or field("active") == "1")


@admin.route("/reasons")
@allow(READ_PLANT)
def reasons() -> str:
    return render_template("admin/reasons.html", rows=service.list_reasons(db_session()),
                           kinds=KIND_NAMES)


@admin.route("/reasons/new", methods=["POST"])
@allow(ADMIN)
def reasons_new() -> Response:
    with saving() as saved:
        reason = service.add_reason(db_session(), field("code"),
                                    service.kind_of(field("kind")), _spec(new=True),
                                    actor())
        saved.done(_("Reason %(code)s was added.", code=reason.code))
    return redirect(url_for("admin.reasons"))


@admin.route("/reasons/<int:reason_id>", methods=["POST"])
@allow(ADMIN)
def reasons_edit(reason_id: int) -> Response:
    with saving(not_found=404) as saved:
        reason = service.update_reason(db_session(), reason_id, _spec(), actor())
        saved.done(_("Reason %(code)s was saved.", code=reason.code))
    return redirect(url_for("admin.reasons"))


__all__ = ["choices", "picture_url"]
