"""Who is calling: bearer tokens from the request, and service errors as HTTP answers.

Every route that needs a token calls `current_kiosk()` or `current_integration(scope)`
first. A kiosk's `X-Kiosk-Version` and `X-Kiosk-Queue-Depth` headers are written to its row
with its last contact, committed together with whatever the view commits.
"""

from __future__ import annotations

from flask import Response, request

from server.api import api
from server.errors import error_response
from server.models import IntegrationToken, Kiosk
from server.services import Conflict, InvalidInput, NotFound, ServiceError
from server.services.devices.tokens import (
    Contact,
    Forbidden,
    Unauthenticated,
    authenticate_integration,
    authenticate_kiosk,
)
from server.web import db_session

MAX_QUEUE_DEPTH = 10_000_000


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _queue_depth() -> int | None:
    """A kiosk's outbox depth; a header that is not a sane count is ignored, not an error,
    so a kiosk with an odd header still gets served."""
    raw = request.headers.get("X-Kiosk-Queue-Depth", "").strip()
    if not raw.isdigit() or int(raw) > MAX_QUEUE_DEPTH:
        return None
    return int(raw)


def current_kiosk() -> Kiosk:
    contact = Contact(version=request.headers.get("X-Kiosk-Version") or None,
                      queue_depth=_queue_depth())
    return authenticate_kiosk(db_session(), bearer_token(), contact)


def current_integration(scope: str) -> IntegrationToken:
    return authenticate_integration(db_session(), bearer_token(), scope)


_STATUS: tuple[tuple[type[ServiceError], int, str], ...] = (
    (Unauthenticated, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (InvalidInput, 422, "invalid_input"),
)


@api.errorhandler(ServiceError)
def _service_error(error: ServiceError) -> Response:
    status, code = 409, "unavailable"  # e.g. a workshop with no scoring scheme yet
    for cls, cls_status, cls_code in _STATUS:
        if isinstance(error, cls):
            status, code = cls_status, cls_code
            break
    response = error_response(status, code, str(error))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="shopfloor"'
    return response
