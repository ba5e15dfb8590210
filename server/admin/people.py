"""Users (roles, a supervisor's workshops, passwords) and the audit log with its check."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, admin, allow
from server.admin.common import actor, arg, date_arg, field, page, saving
from server.models import UserRole
from server.services import InvalidInput
from server.services import audit as audit_trail
from server.services.audit import verify_chain
from server.services.people import users as service
from server.services.people.workers import workshops
from server.web import app_config, db_session


def _role() -> UserRole:
    try:
        return UserRole(field("role"))
    except ValueError:
        raise InvalidInput(_("Choose a role from the list.")) from None


@admin.route("/users")
@allow(ADMIN)
def users() -> str:
    db = db_session()
    return render_template("admin/users.html", rows=service.list_users(db),
                           shops=workshops(db), roles=[r.value for r in UserRole])


@admin.route("/users/new", methods=["POST"])
@allow(ADMIN)
def users_new() -> Response:
    with saving() as saved:
        user = service.create_user(db_session(), field("username"), _role(),
                                   request.form.get("password", ""),
                                   request.form.getlist("workshops"), actor())
        saved.done(_("User %(name)s was added.", name=user.username))
    return redirect(url_for("admin.users"))


@admin.route("/users/<int:user_id>", methods=["POST"])
@allow(ADMIN)
def users_edit(user_id: int) -> Response:
    with saving(not_found=404) as saved:
        user = service.update_user(db_session(), user_id, service.UserChange(
            role=_role(), workshops=request.form.getlist("workshops"),
            active=field("active") == "1"), actor())
        saved.done(_("User %(name)s was saved.", name=user.username))
    return redirect(url_for("admin.users"))


@admin.route("/users/<int:user_id>/password", methods=["POST"])
@allow(ADMIN)
def users_password(user_id: int) -> Response:
    with saving(not_found=404) as saved:
        user = service.set_password(db_session(), user_id, request.form.get("password", ""),
                                    actor())
        saved.done(_("The password of %(name)s was set; their other sessions have ended.",
                     name=user.username))
    return redirect(url_for("admin.users"))


@admin.route("/audit")
@allow(ADMIN)
def audit() -> str:
    db = db_session()
    flt = audit_trail.AuditFilter(actor=arg("actor"), action=arg("action"),
                                entity=arg("entity"), entity_id=arg("entity_id"),
                                since=date_arg("since"), until=date_arg("until"))
    rows, total = audit_trail.search(db, flt, app_config().zone, page())
    return render_template("admin/audit.html", rows=rows, total=total, page=page(),
                           page_size=audit_trail.PAGE_SIZE, entities=audit_trail.entities(db),
                           named=audit_trail.people_of(db, rows), check=None)


@admin.route("/audit/verify")
@allow(ADMIN)
def audit_verify() -> str:
    db = db_session()
    rows, total = audit_trail.search(db, audit_trail.AuditFilter(), app_config().zone, 1)
    return render_template("admin/audit.html", rows=rows, total=total, page=1,
                           page_size=audit_trail.PAGE_SIZE, entities=audit_trail.entities(db),
                           named=audit_trail.people_of(db, rows), check=verify_chain(db))
