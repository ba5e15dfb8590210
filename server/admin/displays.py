"""Wall displays: make a link for a workshop TV, choose how it names workers (masked by
default), see when each TV last asked, revoke."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, admin, allow
from server.admin.common import actor, field, saving
from server.models import Language, NameStyle
from server.services import InvalidInput
from server.services.devices import displays as service
from server.services.people import workers as people
from server.wall.links import wall_base_url
from server.web import app_config, db_session


def _language(value: str) -> Language:
    try:
        return Language(value)
    except ValueError:
        raise InvalidInput(_("Unknown language: %(value)s", value=value)) from None


def _names(value: str) -> NameStyle:
    try:
        return NameStyle(value)
    except ValueError:
        raise InvalidInput(_("Unknown way to show names: %(value)s", value=value)) from None


def _name_style_labels() -> dict[str, str]:
    return {NameStyle.MASKED.value: _("Masked (王*明), the default"),
            NameStyle.FULL.value: _("Full names and photos"),
            NameStyle.CODE.value: _("Worker codes only")}


def _link(token: str) -> str:
    """The display link by the host name HR's browser used: the TVs share that LAN."""
    config = app_config()  # `run` builds the app with the ports it really serves on
    if config.http and config.public_url is None:
        return url_for("wall.page", token=token, _external=True)  # as the proxy says
    host = urlsplit(request.host_url).hostname or "localhost"
    base = wall_base_url(config, host)
    return f"{base}{url_for('wall.page', token=token)}"


@admin.route("/displays", methods=["GET", "POST"])
@allow(ADMIN)
def displays() -> str:
    db = db_session()
    link = None
    if request.method == "POST":
        with saving() as saved:
            made = service.add_display(db, field("name"), field("workshop") or None,
                                       _language(field("language", "zh_CN")), actor(),
                                       _names(field("names", NameStyle.MASKED.value)))
        if saved.ok:
            link = _link(made.token)
    return render_template("admin/displays.html", displays=service.list_displays(db),
                           shops=people.workshops(db), link=link, name_styles=list(NameStyle),
                           name_style_labels=_name_style_labels())


@admin.route("/displays/<name>/names", methods=["POST"])
@allow(ADMIN)
def displays_names(name: str) -> Response:
    with saving(not_found=404) as saved:
        service.set_display_names(db_session(), name, _names(field("names")), actor())
        saved.done(_("Display %(name)s now shows names as chosen.", name=name))
    return redirect(url_for("admin.displays"))


@admin.route("/displays/<name>/revoke", methods=["POST"])
@allow(ADMIN)
def displays_revoke(name: str) -> Response:
    with saving(not_found=404) as saved:
        service.revoke_display(db_session(), name, actor())
        saved.done(_("Display %(name)s was revoked; its screen now says it is not enrolled.",
                     name=name))
    return redirect(url_for("admin.displays"))
