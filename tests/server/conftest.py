"""Fixtures the server's test folders share: the API's factory (`factory`), the admin's
seeded plant (`plant`), both from tests/support/factory.py, and a short video clip."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from support.clips import make_clip
from support.factory import Factory, Plant, build_factory, build_plant


@pytest.fixture
def factory(session: Session) -> Factory:
    return build_factory(session)


@pytest.fixture
def plant(app: Flask, session: Session) -> Plant:
    today = datetime.now(app.config["SHOPFLOOR"].zone).date()
    built = build_plant(session, today)
    session.commit()
    return built


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", seconds=2.0)
