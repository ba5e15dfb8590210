"""Bearer tokens: who is calling, kiosk or integration, and what it may do.

Two kinds of caller hold tokens. A kiosk gets its token at enrolment and may read the
workers of its own workshops and send their events. An integration (MES/ERP) gets a token
from `shopfloor-server token add` with one scope, such as `production`, and may use only
the routes of that scope, for the workshops it is limited to (`--workshop`; none: every
workshop). Tokens are random and stored only as sha256 digests, so a copy
of the database lets nobody call the API.

    ServiceError
     ├── Unauthenticated   no token, an unknown one, or a revoked one (HTTP 401)
     └── Forbidden         a valid token that may not do this (HTTP 403)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.models import IntegrationToken, Kiosk, Workshop, utcnow
from server.services import Conflict, InvalidInput, NotFound, ServiceError
from server.services.audit import record
from server.services.security import new_token, token_digest

# monitoring: reads /metrics only (server/observability/access.py)
SCOPES = ("production", "metrics", "monitoring")
MAX_VERSION = 32


class Unauthenticated(ServiceError):
    """The caller did not prove who it is."""


class Forbidden(ServiceError):
    """The caller is known but may not do this."""


@dataclass(frozen=True)
class Contact:
    """What a kiosk says about itself on each request (X-Kiosk-Version, -Queue-Depth)."""

    version: str | None = None
    queue_depth: int | None = None


LAST_SEEN_EVERY = timedelta(seconds=30)


def authenticate_kiosk(
    session: Session, token: str | None, contact: Contact, now: datetime | None = None
) -> Kiosk:
    """The enrolled, unrevoked kiosk holding `token`; its contact is recorded on it."""
    kiosk = _kiosk_for(session, token)
    if kiosk is None:
        if token and _integration_for(session, token) is not None:
            raise Forbidden("an integration token cannot act as a kiosk")
        raise Unauthenticated("a valid kiosk token is required")
    for name, value in contact_changes(kiosk.last_seen, kiosk.version, kiosk.queue_depth,
                                       contact, now or utcnow()).items():
        setattr(kiosk, name, value)
    return kiosk


def contact_changes(last_seen: datetime | None, version: str | None,
                    queue_depth: int | None, contact: Contact, now: datetime
                    ) -> dict[str, Any]:
    """What recording `contact` changes on a kiosk's row that holds these values: none of
    `last_seen`, `version` and `queue_depth`, or some."""
    changes: dict[str, Any] = {}
    # Written at most every LAST_SEEN_EVERY: a kiosk reading cards would otherwise make
    # every read a write (a lock on SQLite) for a time nobody needs to the second.
    if last_seen is None or now - last_seen >= LAST_SEEN_EVERY:
        changes["last_seen"] = now
    if contact.version is not None and version != contact.version[:MAX_VERSION]:
        changes["version"] = contact.version[:MAX_VERSION]
    if contact.queue_depth is not None and queue_depth != contact.queue_depth:
        changes["queue_depth"] = contact.queue_depth
    return changes


# The columns `contact_changes` compares, of the unrevoked kiosk holding a token's digest.
_KIOSK_CONTACT = select(Kiosk.id, Kiosk.last_seen, Kiosk.version, Kiosk.queue_depth).where(
    Kiosk.token_hash == bindparam("digest"), Kiosk.revoked_at.is_(None)).limit(1)


def quiet_kiosk_id(session: Session, token: str | None, contact: Contact, now: datetime
                   ) -> int | None:
    """The id of the enrolled, unrevoked kiosk holding `token` when recording `contact`
    would change nothing on its row (`contact_changes`), read without loading the kiosk;
    None otherwise: no such kiosk, or a contact to record (`authenticate_kiosk` then)."""
    if not token:
        return None
    row = session.connection().execute(_KIOSK_CONTACT, {"digest": token_digest(token)}).first()
    if row is None or contact_changes(row.last_seen, row.version, row.queue_depth, contact,
                                      now):
        return None
    return int(row.id)


def authenticate_integration(
    session: Session, token: str | None, scope: str, now: datetime | None = None
) -> IntegrationToken:
    """The unrevoked integration token with `scope`; kiosks are refused with Forbidden."""
    integration = _integration_for(session, token) if token else None
    if integration is None:
        if token and _kiosk_for(session, token) is not None:
            raise Forbidden(f"a kiosk token cannot use the {scope} feed")
        raise Unauthenticated(f"an integration token with scope {scope!r} is required")
    if integration.scope != scope:
        raise Forbidden(f"this token's scope is {integration.scope!r}, not {scope!r}")
    integration.last_used = now or utcnow()
    return integration


# Every request of a kiosk or an integration looks its token up: the statements are built
# once (a statement built per request costs more to key for the cache than to run).
_KIOSK_BY_DIGEST = select(Kiosk).where(Kiosk.token_hash == bindparam("digest"),
                                       Kiosk.revoked_at.is_(None)).limit(1)
_INTEGRATION_BY_DIGEST = select(IntegrationToken).where(
    IntegrationToken.token_hash == bindparam("digest"),
    IntegrationToken.revoked_at.is_(None)).limit(1)


def _kiosk_for(session: Session, token: str | None) -> Kiosk | None:
    if not token:
        return None
    return session.scalars(_KIOSK_BY_DIGEST, {"digest": token_digest(token)}).first()


def _integration_for(session: Session, token: str) -> IntegrationToken | None:
    return session.scalars(_INTEGRATION_BY_DIGEST, {"digest": token_digest(token)}).first()


def token_workshops(integration: IntegrationToken) -> frozenset[int] | None:
    """The ids of the workshops the token is limited to; None when it may feed every one."""
    return frozenset(w.id for w in integration.workshops) or None


def _workshops(session: Session, codes: Sequence[str]) -> list[Workshop]:
    wanted = sorted({c.strip() for c in codes if c.strip()})
    found = list(session.scalars(select(Workshop).where(Workshop.code.in_(wanted))))
    missing = sorted(set(wanted) - {w.code for w in found})
    if missing:
        raise NotFound(f"no workshop {', '.join(missing)}")
    return sorted(found, key=lambda w: w.code)


def add_integration_token(
    session: Session, name: str, scope: str, actor: str, workshops: Sequence[str] = ()
) -> tuple[IntegrationToken, str]:
    """A new token for an integration, limited to the `workshops` named by code (none:
    every workshop); the token itself is returned once, never stored."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("a token name must have 1 to 64 characters")
    if scope not in SCOPES:
        raise InvalidInput(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}")
    if session.scalar(select(IntegrationToken.id).where(IntegrationToken.name == name)):
        raise Conflict(f"a token named {name!r} already exists")
    limited = _workshops(session, workshops)
    token = new_token()
    integration = IntegrationToken(name=name, scope=scope, token_hash=token_digest(token),
                                   workshops=limited)
    session.add(integration)
    session.flush()
    record(session, actor, "token.create", "integration_token", name,
           after={"scope": scope, "workshops": [w.code for w in limited]})
    return integration, token


def list_integration_tokens(session: Session) -> list[IntegrationToken]:
    return list(session.scalars(select(IntegrationToken).order_by(IntegrationToken.name)))


def revoke_integration_token(session: Session, name: str, actor: str) -> IntegrationToken:
    integration = session.scalars(
        select(IntegrationToken).where(IntegrationToken.name == name)
    ).first()
    if integration is None:
        raise NotFound(f"no integration token named {name!r}")
    if integration.revoked_at is None:
        integration.revoked_at = utcnow()
        record(session, actor, "token.revoke", "integration_token", name)
    return integration
