"""The /api/v1 blueprint object, and how it answers a service's error.

The route modules import `api` from here (`spec.operation` registers on it);
`server/api/__init__.py` only gathers them.
"""

from __future__ import annotations

from flask import Blueprint

from server.errors import service_error_response
from server.services import ServiceError

api = Blueprint("api", __name__, url_prefix="/api/v1")

# A service's refusal as the one JSON error shape, its status from `server.errors.STATUS`.
api.register_error_handler(ServiceError, service_error_response)
