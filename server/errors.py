"""One error shape for the API, the one table of ServiceError → HTTP status, and an
app-wide handler that answers as the client asked.

API errors are `{"error": {"code": "...", "message": "..."}}` with a 4xx status.

`STATUS` names a status for every direct subclass of ServiceError (and for ServiceError
raised bare). A deeper subclass answers as its nearest listed base, found by walking its
MRO: `Unplayable(InvalidInput)` is a 422. tests/server/test_errors.py fails when a new
direct subclass has no entry.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from server.services import Conflict, InvalidInput, NotFound, ServiceError
from server.services.backup import BackupError
from server.services.devices.tokens import Forbidden, Unauthenticated
from server.services.people.users import LoginRefused

logger = logging.getLogger(__name__)

# error class -> (HTTP status, the error shape's code)
STATUS: dict[type[ServiceError], tuple[int, str]] = {
    ServiceError: (409, "unavailable"),  # raised bare: no scheme in force yet, a font missing
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    InvalidInput: (422, "invalid_input"),
    Unauthenticated: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    LoginRefused: (409, "unavailable"),  # the admin's login form; no API route raises it
    BackupError: (409, "unavailable"),  # the CLI's backup and restore; no API route raises it
}


class ApiError(Exception):
    """A client error the API reports in its JSON shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def service_status(kind: type[ServiceError]) -> tuple[int, str]:
    """(status, code) of the nearest class in `kind`'s MRO that `STATUS` lists."""
    for cls in kind.__mro__:
        if cls in STATUS:
            if cls is ServiceError and kind is not ServiceError:
                logger.warning("%s.%s has no entry in server.errors.STATUS; it answers as "
                               "a bare ServiceError", kind.__module__, kind.__qualname__)
            return STATUS[cls]
    raise TypeError(f"{kind!r} is not a ServiceError")


def service_error_response(error: ServiceError) -> Response:
    """A service's refusal in the API's error shape."""
    status, code = service_status(type(error))
    response = error_response(status, code, str(error))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="shopfloor"'
    return response


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | HTTPException:
        if not _wants_json():
            return error
        code = (error.name or "error").lower().replace(" ", "_")
        response = error_response(error.code or 500, code, error.description or code)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | HTTPException:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return InternalServerError()
        return error_response(500, "internal_error", "the server failed; this is a bug")
