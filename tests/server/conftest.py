"""Fixtures the server's test folders share: the API's factory (`factory`), the admin's
seeded plant (`plant`), both from tests/support/factory.py, a short video clip, the app's
keys (`keys`) and kiosk K1 posting events (`post_events`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from server.services.devices.keys import ServerKeys
from support.clips import make_clip
from support.factory import Factory, Plant, PostEvents, bearer, build_factory, build_plant
from support.seals import app_keys


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


@pytest.fixture
def keys(app: Flask) -> ServerKeys:
    """The app's keys, to seal supervisors' acts with (tests/support/seals.py)."""
    return app_keys(app)


@pytest.fixture
def post_events(app: Flask, factory: Factory) -> PostEvents:
    """Send events as the API factory's kiosk K1 (or with `headers`) through the Flask test
    client and return the results in order (tests/server/api/ has its own)."""
    client = app.test_client()

    def post(*events: dict[str, Any], headers: dict[str, str] | None = None
             ) -> list[dict[str, Any]]:
        response = client.post("/api/v1/events", json={"events": list(events)},
                               headers=headers or bearer(factory.kiosk_token))
        assert response.status_code == 200, response.get_json()
        results: list[dict[str, Any]] = response.get_json()["results"]
        assert len(results) == len(events)
        return results

    return post
