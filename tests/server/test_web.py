"""server/web.py `conditional`: the one ETag / 304 answer (roster, scorecard, wall board).

If-None-Match uses the weak comparison (RFC 9110, 13.1.2): `W/"x"` matches `"x"`, any tag
of a list may match, and `*` matches. Only GET and HEAD are answered 304.
"""

from __future__ import annotations

import pytest
from flask import Flask, Response, jsonify, request

from server.web import conditional

TAG = "v1-2026-12-01-3"


@pytest.fixture
def flask_app() -> Flask:
    return Flask(__name__)


def _answer(flask_app: Flask, if_none_match: str | None, method: str = "GET"
            ) -> tuple[Response, list[str]]:
    built: list[str] = []

    def build() -> Response:
        built.append("built")
        return jsonify({"board": "content"})

    headers = {"If-None-Match": if_none_match} if if_none_match is not None else {}
    with flask_app.test_request_context("/thing", method=method, headers=headers):
        return conditional(request, TAG, build), built


@pytest.mark.parametrize("header", [
    f'"{TAG}"',                     # strong, as the response sent it
    f'W/"{TAG}"',                   # weak: a proxy or a client may weaken it
    f'"other", W/"{TAG}", "more"',  # one of a list
    "*",                            # whatever there is
])
def test_a_matching_tag_answers_304_with_no_body_and_builds_nothing(flask_app: Flask,
                                                                     header: str) -> None:
    response, built = _answer(flask_app, header)
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == f'"{TAG}"'
    assert built == []


@pytest.mark.parametrize("header", [None, '"other"', 'W/"other", "v1"', f'"{TAG}-x"', ""])
def test_any_other_request_gets_the_body_and_the_tag(flask_app: Flask, header: str | None) -> None:
    response, built = _answer(flask_app, header)
    assert response.status_code == 200
    assert response.get_json() == {"board": "content"}
    assert response.headers["ETag"] == f'"{TAG}"'  # a strong validator
    assert built == ["built"]


def test_head_is_answered_like_get(flask_app: Flask) -> None:
    response, built = _answer(flask_app, f'W/"{TAG}"', method="HEAD")
    assert response.status_code == 304 and built == []


def test_other_methods_are_never_answered_304(flask_app: Flask) -> None:
    response, built = _answer(flask_app, "*", method="POST")
    assert response.status_code == 200 and built == ["built"]
