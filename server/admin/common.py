"""Small helpers the admin views share: who acts, reading form fields, paging, messages."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from server.services import ServiceError
from server.web import app_config


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


class FieldProblem(ServiceError):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text!r} is not a number")


def failed(error: ServiceError) -> None:
    flash(str(error), "error")


def done(message: str) -> None:
    flash(message, "ok")
