"""A small registry of the API's operations, and the OpenAPI 3.1 document built from it.

Each route is declared once with `operation(...)`: its method and path, its auth, and the
pydantic models of its query, body and answers. The same models validate requests
(`parse_body`, `parse_query`) and, through pydantic's JSON Schema, make the document, so
the document cannot drift from the code. A registry of our own rather than a library:
pydantic already writes the schemas, and the rest is a hundred lines with no plugin layer
between Flask and the contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from server.api.blueprint import api
from server.api.schemas import ErrorResponse
from server.errors import ApiError
from server.services.events.kinds import describe

Auth = Literal["kiosk", "integration"] | None
M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

SECURITY_SCHEMES = {
    "kiosk": {
        "type": "http", "scheme": "bearer",
        "description": "The device token a kiosk got from POST /enroll.",
    },
    "integration": {
        "type": "http", "scheme": "bearer",
        "description": "An MES/ERP token from `shopfloor-server token add NAME --scope "
                       "production`.",
    },
}
_ERRORS = {
    400: "The body is not JSON.",
    401: "No token, an unknown one, or a revoked one.",
    403: "The token may not do this (another workshop, or the wrong kind of token).",
    404: "Not found.",
    409: "The request clashes with what is stored.",
    422: "A value does not fit; the message names the field.",
}


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    summary: str
    description: str | None = None
    auth: Auth = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    # status -> (description, model of the JSON answer, or None for no JSON body)
    responses: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    content_type: str | None = None


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, **spec: Any) -> Callable[[F], F]:
    """Register a route on the `api` blueprint and describe it in the document."""
    op = Operation(method=method, rule=rule, **spec)
    OPERATIONS.append(op)

    def decorator(view: F) -> F:
        api.add_url_rule(rule, view_func=view, methods=[method])
        return view

    return decorator


def document(method: str, rule: str, **spec: Any) -> None:
    """Describe a route registered elsewhere (such as /health) in the document."""
    OPERATIONS.append(Operation(method=method, rule=rule, **spec))


def parse_body(model: type[M]) -> M:
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "invalid_json",
                       "the body must be JSON, sent with Content-Type: application/json")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(422, "invalid_body", describe(error)) from None


def parse_query(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise ApiError(422, "invalid_query", describe(error)) from None


MAX_ID = 2_147_483_647
_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path_param(converter: str, name: str) -> dict[str, Any]:
    if converter == "int":
        # Ids are 32-bit on every engine (SQLite refuses larger numbers outright).
        schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        example: object = 1
    else:  # codes: what a worker or workshop code may hold, and never a slash
        schema = {"type": "string", "minLength": 1, "maxLength": 32,
                  "pattern": "^[^/\\x00-\\x1f\\x7f]+$"}
        example = "W001"
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "example": example}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = [_path_param(converter, name) for converter, name in _PATH_PARAM.findall(rule)]
    return _PATH_PARAM.sub(r"{\2}", api.url_prefix + rule), params  # type: ignore[operator]


def _query_params(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        # An optional parameter is one left out; a query string cannot carry a null.
        branches = [b for b in prop.get("anyOf", ()) if b != {"type": "null"}]
        base = branches[0] if len(branches) == 1 else {
            k: v for k, v in prop.items() if k not in ("description", "default", "title")}
        if prop.get("default") is not None:
            base = base | {"default": prop["default"]}
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                 "schema": base}
        if "description" in prop:
            param["description"] = prop["description"]
        params.append(param)
    return params


def openapi_document(version: str) -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorResponse, "serialization")]
    for op in OPERATIONS:
        wanted += [(m, "validation") for m in (op.query, op.body) if m is not None]
        wanted += [(m, "serialization") for _, m in op.responses.values() if m is not None]
    refs, top = models_json_schema(list(dict.fromkeys(wanted)),
                                   ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})
    error_ref = refs[(ErrorResponse, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    inlined: set[str] = set()
    for op in OPERATIONS:
        path, params = _path(op.rule)
        if op.query is not None:
            query_name = refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1]
            params += _query_params(schemas[query_name])
            inlined.add(query_name)
        doc: dict[str, Any] = {"summary": op.summary, "operationId": op.rule.strip("/")
                               .replace("/", "_").replace("<", "").replace(">", "")
                               .replace(":", "_") + f"_{op.method.lower()}"}
        if op.description:
            doc["description"] = op.description
        if params:
            doc["parameters"] = params
        if op.body is not None:
            doc["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": refs[(op.body, "validation")]}}}
        doc["security"] = [{op.auth: []}] if op.auth else []
        responses: dict[str, Any] = {}
        for status, (text, model) in op.responses.items():
            answer: dict[str, Any] = {"description": text}
            if model is not None:
                answer["content"] = {"application/json": {
                    "schema": refs[(model, "serialization")]}}
            elif op.content_type:
                schema = ({"type": "object"} if op.content_type.endswith("json")
                          else {"type": "string", "format": "binary"})
                answer["content"] = {op.content_type: {"schema": schema}}
            responses[str(status)] = answer
        errors = set(op.errors)
        if op.auth:
            errors |= {401, 403}
        if op.body is not None:
            errors |= {400, 422}
        if op.query is not None:
            errors.add(422)
        for status in sorted(errors):
            responses[str(status)] = {"description": _ERRORS[status], "content": {
                "application/json": {"schema": error_ref}}}
        paths.setdefault(path, {})[op.method.lower()] = doc | {"responses": responses}
    for name in inlined:  # query models become parameters, not schemas
        del schemas[name]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Shopfloor Kiosk API",
            "version": version,
            "description": "Kiosks, MES/ERP and the server (docs/ARCHITECTURE.md, 'The kiosk–"
                           "server contract'). Errors are {\"error\": {\"code\", \"message\"}} "
                           "with a 4xx status; a 5xx is a bug.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
