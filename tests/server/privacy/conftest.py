"""Privacy's tests: the seeded plant (support/privacy_seed.py), the command line run
in-process against the test's database, and the day sums checked against the records
after every test (support/day_sums.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.config import Config
from support.admin_login import logged_in_client
from support.day_sums import day_sums_agree
from support.factory import Plant
from support.privacy_seed import Seeded, seed

__all__ = ["day_sums_agree"]


@pytest.fixture
def cli(migrated: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(migrated.data_dir))
    monkeypatch.setenv("SHOPFLOOR_DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    return migrated


@pytest.fixture
def seeded(app: Flask, session: Session, plant: Plant, cli: Config) -> Seeded:
    return seed(session, plant, app.config["SHOPFLOOR"])


@pytest.fixture
def login_as(app: Flask, session: Session, seeded: Seeded
             ) -> Callable[[str | None], FlaskClient]:
    """A fresh client logged in as the named user (None: anonymous), as the admin tests
    make them (tests/server/admin/conftest.py)."""

    def make(username: str | None) -> FlaskClient:
        return logged_in_client(app, session, username)

    return make
