"""Test clients logged in as a named admin user, without the cost of an argon2 check per
client (the admin and privacy tests' `login_as`)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.admin.setup import now_seconds, session_ident
from server.models import User


def logged_in_client(app: Flask, session: Session, username: str | None) -> FlaskClient:
    """A fresh client whose session is logged in as `username` (None: anonymous)."""
    client = app.test_client()
    if username is not None:
        user = session.scalars(select(User).where(User.username == username)).one()
        with client.session_transaction() as state:
            state["_user_id"] = session_ident(user, now_seconds())
            state["_fresh"] = True
            state.permanent = True
    return client
