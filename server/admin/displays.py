"""Wall displays: make a link for a workshop TV, see when each TV last asked, revoke."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin import ADMIN, admin, allow
from server.admin.common import actor, done, failed, field
from server.models import Language
from server.services import InvalidInput, NotFound, ServiceError
from server.services.devices import displays as service
from server.services.people import workers as people
from server.wall.links import env_ports, public_url, wall_base_url
from server.web import db_session


def _language(value: str) -> Language:
    try:
        return Language(value)
    except ValueError:
        raise InvalidInput(_("Unknown language: %(value)s", value=value)) from None


def _link(token: str) -> str:
    """The display link by the host name HR's browser used: the TVs share that LAN."""
    port, wall_port, http_only = current_app.config.get("SHOPFLOOR_PORTS") or env_ports()
    if http_only and public_url() is None:
        return url_for("wall.page", token=token, _external=True)  # as the proxy says
    host = urlsplit(request.host_url).hostname or "localhost"
    base = wall_base_url(host, port, wall_port, http_only)
    return f"{base}{url_for('wall.page', token=token)}"


@admin.route("/displays", methods=["GET", "POST"])
@allow(ADMIN)
def displays() -> str:
    db = db_session()
    link = None
    if request.method == "POST":
        try:
            made = service.add_display(db, field("name"), field("workshop") or None,
                                       _language(field("language", "zh_CN")), actor())
        except ServiceError as error:
            failed(error)
        else:
            db.commit()
            link = _link(made.token)
    return render_template("admin/displays.html", displays=service.list_displays(db),
                           shops=people.workshops(db), link=link)


@admin.route("/displays/<name>/revoke", methods=["POST"])
@allow(ADMIN)
def displays_revoke(name: str) -> Response:
    db = db_session()
    try:
        service.revoke_display(db, name, actor())
    except NotFound:
        abort(404)
    db.commit()
    done(_("Display %(name)s was revoked; its screen now says it is not enrolled.", name=name))
    return redirect(url_for("admin.displays"))
