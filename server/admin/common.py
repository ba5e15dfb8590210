"""Small helpers the admin views share: who acts, reading form fields, paging, messages,
and `saving`, the skeleton of every view that changes something."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from flask import abort, flash, request
from flask_babel import gettext
from flask_babel import gettext as _
from flask_login import current_user

from server.services import InvalidInput, NotFound, ServiceError
from server.services.imports.messages import translated
from server.services.refusals import Message, Refused
from server.web import app_config, db_session


def actor() -> str:
    return f"user:{current_user.username}"


def photo_dir() -> Path:
    return app_config().data_dir / "photos"


def today() -> date:
    return datetime.now(app_config().zone).date()


def field(name: str, default: str = "") -> str:
    return (request.form.get(name) or default).strip()


def arg(name: str, default: str = "") -> str:
    return (request.args.get(name) or default).strip()


def page() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def date_arg(name: str) -> date | None:
    """A date from the query string; a malformed one is ignored with a message."""
    text = arg(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        flash(_("%(value)s is not a date (YYYY-MM-DD); it was ignored.", value=text), "error")
        return None


def number_field(name: str, *, integer: bool = False) -> float:
    """A number from the form, or a ServiceError naming the field."""
    text = field(name)
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise FieldProblem(name, text) from None
    return value


class FieldProblem(InvalidInput):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text!r} is not a number")


def said(error: ServiceError) -> str:
    """The error's message, in the reader's language when the service gave a message id
    (`Refused`: a file refused for its size, shape or kind). Its text values are looked
    up too: a marked word ("photo") is translated, a file name stays as it is."""
    if isinstance(error, Refused):
        return gettext(error.text, **{key: translated(value, gettext)
                                      if isinstance(value, Message)
                                      else gettext(value) if isinstance(value, str) else value
                                      for key, value in error.params.items()})
    return str(error)


def failed(error: ServiceError) -> None:
    flash(said(error), "error")


def done(message: str) -> None:
    flash(message, "ok")


class Saved:
    """What the block under `saving` leaves for it, and what `saving` tells the view after."""

    def __init__(self) -> None:
        self.ok = False
        self.message: str | None = None

    def done(self, message: str) -> None:
        """The message to show once the change is committed."""
        self.message = message


@contextmanager
def saving(*, not_found: Literal[404] | None = None) -> Iterator[Saved]:
    """Run the service calls of a view that changes something, and commit them once.

        with saving(not_found=404) as saved:
            user = service.set_password(db, user_id, password, actor())
            saved.done(_("The password of %(name)s was set.", name=user.username))
        return redirect(url_for("admin.users"))

    When the block ends normally: commit, then show the message given to `saved.done`.
    When it raises a ServiceError: roll back, show the error and go on after the block;
    with `not_found=404` a NotFound answers 404 instead (for the thing the URL names; one
    named in the form is shown like any other error). `saved.ok` tells the view whether
    the change was committed, for views that answer differently then.
    """
    db = db_session()
    saved = Saved()
    try:
        yield saved
    except ServiceError as error:
        db.rollback()
        if not_found is not None and isinstance(error, NotFound):
            abort(not_found)
        failed(error)
    else:
        db.commit()
        saved.ok = True
        if saved.message is not None:
            done(saved.message)
