"""A small factory behind the API: two workshops, workers, machines, enrolled kiosks and
an integration token; and helpers to write events and auth headers."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from server.models import Machine, Role, Worker, Workshop
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.devices.tokens import add_integration_token
from server.services.scores.schemes import import_scheme
from server.services.security import hash_secret
from server.services.setup import add_default_categories

SCHEME = """
name: test scheme
workshops: [W1, W2]
period: week
mode: threshold
effective_from: 2026-01-01
dimensions:
  - {key: uptime, target: 0.75, points: 60}
  - {key: defect_rate, target: 0.03, points: 30}
  - {key: output, target: 900, points: 10}
tiers:
  - {key: excellent, top_percent: 10}
  - {key: good, top_percent: 20}
"""


@functools.cache
def pin_hash(pin: str) -> str:
    """argon2 is slow on purpose; hash each test PIN once per run."""
    return hash_secret(pin)


@dataclass(frozen=True)
class Factory:
    kiosk_token: str
    other_kiosk_token: str
    integration_token: str


def build_factory(session: Session) -> Factory:
    """Workshops W1 and W2, their workers and machines, the default point categories, a
    weekly scheme, kiosks K1 (W1) and K2 (W2) enrolled, and an MES token `mes`."""
    w1, w2 = Workshop(code="W1", name="机加工车间"), Workshop(code="W2", name="装配车间")
    session.add_all([w1, w2])
    session.add_all([
        Worker(code="W001", name="张三", workshop=w1),
        Worker(code="W002", name="李四", workshop=w1, language="en"),
        Worker(code="S001", name="王主管", workshop=w1, role=Role.SUPERVISOR,
               pin_hash=pin_hash("2468")),
        Worker(code="W101", name="赵六", workshop=w2),
        Worker(code="S101", name="钱主管", workshop=w2, role=Role.SUPERVISOR,
               pin_hash=pin_hash("1357")),
        Worker(code="W999", name="离职", workshop=w1, active=False),
        Machine(code="M1", name="CNC-1", workshop=w1),
        Machine(code="M2", name="CNC-2", workshop=w1),
        Machine(code="M9", name="Press-9", workshop=w2),
    ])
    session.flush()
    add_default_categories(session, "test")
    import_scheme(session, SCHEME, "test")
    codes = [add_kiosk(session, name, [shop], "test").code
             for name, shop in (("K1", "W1"), ("K2", "W2"))]
    tokens = [enroll(session, code)[1] for code in codes]
    _, integration = add_integration_token(session, "mes", "production", "test")
    session.commit()
    return Factory(tokens[0], tokens[1], integration)


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def make_event(kind: str, worker: str | None = "W001", payload: dict[str, Any] | None = None,
               occurred_at: datetime | str | None = None, **fields: Any) -> dict[str, Any]:
    when = occurred_at or datetime.now(UTC).replace(microsecond=0)
    return {
        "uuid": str(uuid.uuid4()), "kind": kind, "worker": worker,
        "occurred_at": when if isinstance(when, str) else when.isoformat(),
        "payload": payload if payload is not None else {}, **fields,
    }


# What the `post_events` fixture returns: post events as kiosk K1, get their results.
PostEvents = Callable[..., list[dict[str, Any]]]
