"""Who is calling: bearer tokens from the request.

Every route that needs a token calls `current_kiosk()` or `current_integration(scope)`
first. A kiosk's `X-Kiosk-Version` and `X-Kiosk-Queue-Depth` headers are written to its row
with its last contact, committed together with whatever the view commits. A missing,
wrong or revoked token raises Unauthenticated (401), a token of the wrong kind or place
Forbidden (403); the statuses come from `server.errors.STATUS`.
"""

from __future__ import annotations

from flask import request
from werkzeug.datastructures import Headers

from server.models import IntegrationToken, Kiosk
from server.services.devices.tokens import (
    Contact,
    authenticate_integration,
    authenticate_kiosk,
)
from server.web import db_session

MAX_QUEUE_DEPTH = 10_000_000


def bearer_of(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header's value."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def bearer_token() -> str | None:
    return bearer_of(request.headers.get("Authorization", ""))


def contact_of(headers: Headers) -> Contact:
    """What a kiosk says about itself in its request's headers. An outbox depth that is
    not a sane count is ignored, not an error, so a kiosk with an odd header still gets
    served."""
    raw = headers.get("X-Kiosk-Queue-Depth", "").strip()
    depth = int(raw) if raw.isdigit() and int(raw) <= MAX_QUEUE_DEPTH else None
    return Contact(version=headers.get("X-Kiosk-Version") or None, queue_depth=depth)


def current_kiosk() -> Kiosk:
    return authenticate_kiosk(db_session(), bearer_token(), contact_of(request.headers))


def current_integration(scope: str) -> IntegrationToken:
    return authenticate_integration(db_session(), bearer_token(), scope)
