"""Failed logins slow down whoever makes them, without locking the owner out.

Failures are counted under two keys, each a row of `login_throttles` (in the database, so
every gunicorn worker sees the same counts):

- the client **address** (an IPv6 one by its /64): all failures from it, whatever name
  they tried. Its delay grows to `ADDRESS_CAP` (5 minutes): one address guessing gets one
  try per 5 minutes.
- the **user name**: all failures against it, from anywhere. Its delay stops at
  `USER_CAP` (30 s), so a stranger on another address can keep the owner waiting half a
  minute at most, while guesses spread over many addresses still get one try per 30 s.

The first `FREE_FAILURES` failures cost nothing (a typo); then each failure doubles the
delay: 1, 2, 4 … s, up to the key's cap. While a delay runs every attempt under that key,
the right password included, is refused before any password is checked, and refused
attempts neither count nor lengthen the delay. A success clears both keys. Counts decay
by half for every `HALF_LIFE` without a failure, and a row is forgotten after `FORGET`.
Keys are sha256 digests: a name typed at the login form may be a password typed into the
wrong box, and it is never stored.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import LoginThrottle

FREE_FAILURES = 2
ADDRESS_CAP = timedelta(minutes=5)
USER_CAP = timedelta(seconds=30)
HALF_LIFE = timedelta(minutes=10)
FORGET = timedelta(days=1)


@dataclass(frozen=True)
class Key:
    """One counter: its row key and the longest delay it may impose."""

    key: str
    cap: timedelta


def _digest(kind: str, subject: str) -> str:
    return f"{kind}:{hashlib.sha256(subject.encode('utf-8', 'replace')).hexdigest()}"


def keys_for(address: str, username: str) -> tuple[Key, Key]:
    """The address's counter and the user name's, for one login attempt."""
    return (Key(_digest("address", _network(address)), ADDRESS_CAP),
            Key(_digest("user", username.strip()), USER_CAP))


def _network(address: str) -> str:
    """An IPv6 client counts by its /64, which one machine usually holds whole (it could
    otherwise take a fresh address for every guess); IPv4 by its address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def delay(failures: int, cap: timedelta) -> timedelta:
    """How long a key is closed after its `failures`-th failure in a row."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    exponent = min(failures - FREE_FAILURES - 1, 30)
    return min(timedelta(seconds=2 ** exponent), cap)


def _decayed(row: LoginThrottle, now: datetime) -> int:
    halvings = int((now - row.last_failure_at) / HALF_LIFE) if now > row.last_failure_at else 0
    return row.failures >> min(halvings, 63)


def wait(session: Session, keys: Iterable[Key], now: datetime) -> int:
    """Whole seconds until every key is open again (0: try now)."""
    rows = session.scalars(select(LoginThrottle).where(
        LoginThrottle.key.in_([k.key for k in keys])))
    longest = max((row.blocked_until - now for row in rows), default=timedelta(0))
    if longest <= timedelta(0):
        return 0
    return max(1, int(-(-longest.total_seconds() // 1)))


def note_failure(session: Session, keys: Iterable[Key], now: datetime) -> None:
    """Count one failure under each key and close it for its delay; forget stale rows."""
    keys = list(keys)
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET))
    found = {row.key: row for row in session.scalars(select(LoginThrottle).where(
        LoginThrottle.key.in_([k.key for k in keys])))}
    for key in keys:
        row = found.get(key.key)
        failures = (_decayed(row, now) if row is not None else 0) + 1
        _upsert(session, key.key, failures, now, now + delay(failures, key.cap))
        if row is not None:
            session.expire(row)


def clear(session: Session, keys: Iterable[Key]) -> None:
    """A success: the keys start again from nothing."""
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.key.in_([k.key for k in keys])))


def _upsert(session: Session, key: str, failures: int, now: datetime,
            blocked_until: datetime) -> None:
    """One statement, so two workers counting the same key at once never collide on the
    primary key (the later write wins: a lost count, never an error)."""
    values = {"key": key, "failures": failures, "last_failure_at": now,
              "blocked_until": blocked_until}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LoginThrottle).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={name: statement.excluded[name]
              for name in ("failures", "last_failure_at", "blocked_until")}))
