"""The admin against the seeded plant (`plant`, tests/server/conftest.py), with clients
logged in as each role."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from support.admin_login import logged_in_client
from support.factory import Plant

ROLES = ("admin", "sup1", "view1")


@pytest.fixture
def login_as(app: Flask, session: Session, plant: Plant) -> Callable[[str | None], FlaskClient]:
    """A fresh client whose session is logged in as the named user (None: anonymous),
    without the cost of an argon2 check per client."""

    def make(username: str | None) -> FlaskClient:
        return logged_in_client(app, session, username)

    return make


def read_csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def csrf_token() -> Callable[..., str]:
    return read_csrf_token
