"""Fixtures for the API tests: a client, kiosk K1's headers on the factory (`factory`,
tests/server/conftest.py), and a helper that posts events. Each test has its own database."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from support.factory import Factory, PostEvents, bearer


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def kiosk_headers(factory: Factory) -> dict[str, str]:
    return bearer(factory.kiosk_token)


@pytest.fixture
def post_events(client: FlaskClient, kiosk_headers: dict[str, str]) -> PostEvents:
    """Send events as kiosk K1 and return the results, checking the answer's shape."""

    def post(*events: dict[str, Any], headers: dict[str, str] | None = None
             ) -> list[dict[str, Any]]:
        response = client.post("/api/v1/events", json={"events": list(events)},
                               headers=headers or kiosk_headers)
        assert response.status_code == 200, response.get_json()
        results: list[dict[str, Any]] = response.get_json()["results"]
        assert len(results) == len(events)
        return results

    return post
