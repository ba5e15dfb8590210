"""The OpenAPI document: public, complete, and made from the models that validate."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.api.schemas import Roster
from server.models import Worker
from server.services.events.kinds import KINDS
from support.factory import Factory


def _document(client: FlaskClient) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def test_the_document_is_public_and_openapi_3(client: FlaskClient) -> None:
    doc = _document(client)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["version"]
    assert set(doc["components"]["securitySchemes"]) == {"kiosk", "integration"}


def test_every_api_route_is_documented_and_nothing_else(app: Flask,
                                                        client: FlaskClient) -> None:
    served = {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}  # type: ignore[operator]
    }
    documented = {(method, path) for path, ops in _document(client)["paths"].items()
                  for method in ops}
    assert documented == served


def test_secured_routes_declare_their_token_and_errors(client: FlaskClient) -> None:
    paths = _document(client)["paths"]
    assert paths["/api/v1/roster"]["get"]["security"] == [{"kiosk": []}]
    assert paths["/api/v1/production"]["post"]["security"] == [{"integration": []}]
    assert paths["/api/v1/enroll"]["post"]["security"] == []
    for status in ("401", "403"):
        error = paths["/api/v1/events"]["post"]["responses"][status]
        assert error["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"}
    assert "422" in paths["/api/v1/events"]["post"]["responses"]
    assert "304" in paths["/api/v1/roster"]["get"]["responses"]


def test_every_event_kind_has_its_schema(client: FlaskClient) -> None:
    doc = _document(client)
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/EventBatch"}
    items = schemas["EventBatch"]["properties"]["events"]["items"]
    assert items["discriminator"]["propertyName"] == "kind"
    assert sorted(items["discriminator"]["mapping"]) == sorted(KINDS)
    assert schemas["EventBatch"]["properties"]["events"]["maxItems"] == 500
    assert schemas["CountPayload"]["properties"]["count"]["minimum"] == 1
    assert schemas["CountPayload"]["additionalProperties"] is False


def test_answers_match_their_documented_models(client: FlaskClient, session: Session,
                                               factory: Factory,
                                               kiosk_headers: dict[str, str]) -> None:
    body = client.get("/api/v1/roster", headers=kiosk_headers).get_json()
    assert Roster.model_validate(body).workers


def test_a_photo_is_served_from_the_data_folder(app: Flask, client: FlaskClient,
                                                session: Session,
                                                kiosk_headers: dict[str, str]) -> None:
    data_dir = app.config["SHOPFLOOR"].data_dir
    (data_dir / "photos").mkdir(parents=True, exist_ok=True)
    (data_dir / "photos" / "w001.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    worker = session.query(Worker).filter_by(code="W001").one()
    worker.photo_path = "photos/w001.png"
    session.query(Worker).filter_by(code="W002").one().photo_path = "../../etc/passwd"
    session.commit()
    roster = client.get("/api/v1/roster", headers=kiosk_headers).get_json()
    url = next(w["photo_url"] for w in roster["workers"] if w["code"] == "W001")
    with client.get(url, headers=kiosk_headers) as response:
        assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    assert client.get("/api/v1/workers/W002/photo", headers=kiosk_headers).status_code == 404
    assert client.get("/api/v1/workers/S001/photo", headers=kiosk_headers).status_code == 404
