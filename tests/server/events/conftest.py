"""Fixtures for the event rules' tests: the API factory's kiosk K1 posting through the Flask
test client (`post_events`), and the app's keys (`keys`) to seal supervisors' acts with."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from server.services.devices.keys import ServerKeys
from support.factory import Factory, PostEvents, bearer
from support.seals import app_keys


@pytest.fixture
def keys(app: Flask) -> ServerKeys:
    return app_keys(app)


@pytest.fixture
def post_events(app: Flask, factory: Factory) -> PostEvents:
    """Send events as kiosk K1 (or with `headers`) and return the results in order."""
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
