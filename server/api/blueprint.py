"""The /api/v1 blueprint object, and how it answers a service's error.

The route modules import `api` from here (`spec.operation` registers on it);
`server/api/__init__.py` only gathers them.
"""

from __future__ import annotations

from flask import Blueprint, request

from server.errors import service_error_response
from server.services import ServiceError

# The most a request without a bearer token may send (the enrolment code is a few dozen
# bytes): a stranger cannot make a worker read a large body. Routes that need a token
# check it before they read the body.
ANONYMOUS_BODY_MAX = 16 * 1024

api = Blueprint("api", __name__, url_prefix="/api/v1")

# A service's refusal as the one JSON error shape, its status from `server.errors.STATUS`.
api.register_error_handler(ServiceError, service_error_response)


@api.before_request
def _small_bodies_without_a_token() -> None:
    if not request.headers.get("Authorization"):
        request.max_content_length = ANONYMOUS_BODY_MAX
