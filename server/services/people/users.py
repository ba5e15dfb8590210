"""Web users: logging in with a lockout, adding, changing role and workshops, passwords.

A user who types a wrong password `MAX_FAILURES` times in a row is locked out for
`LOCKOUT`; each lock is audited. An unknown user name costs the same hashing time as a
known one, so a login page does not tell which names exist. The last active admin can
neither be demoted nor deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import User, UserRole, Workshop, utcnow
from server.services import Conflict, InvalidInput, NotFound, ServiceError
from server.services.audit import record
from server.services.security import hash_secret, verify_secret
from server.services.setup import MIN_PASSWORD_LENGTH, add_user

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
_DUMMY_HASH = hash_secret("not a password anybody has")


class LoginRefused(ServiceError):
    """Wrong name or password, or a locked account; `locked_until` says which."""

    def __init__(self, locked_until: datetime | None = None) -> None:
        super().__init__("locked" if locked_until else "wrong user name or password")
        self.locked_until = locked_until


def authenticate(session: Session, username: str, password: str,
                 now: datetime | None = None) -> User:
    """The user, or LoginRefused. The caller commits either way (failures are counted)."""
    now = now or utcnow()
    user = session.scalars(select(User).where(User.username == username.strip())).first()
    if user is None or not user.active:
        verify_secret(_DUMMY_HASH, password)
        raise LoginRefused()
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused(user.locked_until)
    if not verify_secret(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            record(session, "web", "user.lock", "user", user.username,
                   after={"locked_until": user.locked_until.isoformat()})
            raise LoginRefused(user.locked_until)
        raise LoginRefused()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = now
    return user


@dataclass(frozen=True)
class UserChange:
    role: UserRole
    workshops: list[str]
    active: bool


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _workshops(session: Session, codes: list[str]) -> list[Workshop]:
    found = list(session.scalars(select(Workshop).where(Workshop.code.in_(codes))))
    missing = sorted(set(codes) - {w.code for w in found})
    if missing:
        raise NotFound(f"no workshop {', '.join(missing)}")
    return sorted(found, key=lambda w: w.code)


def _state(user: User) -> dict[str, object]:
    return {"role": user.role.value, "active": user.active,
            "workshops": [w.code for w in user.workshops]}


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == UserRole.ADMIN, User.active.is_(True), User.id != user.id)) or 0


def create_user(session: Session, username: str, role: UserRole, password: str,
                workshops: list[str], actor: str) -> User:
    if role is UserRole.SUPERVISOR and not workshops:
        raise InvalidInput("a supervisor needs at least one workshop")
    user = add_user(session, username, role, password, actor)
    if workshops:
        user.workshops = _workshops(session, workshops)
        record(session, actor, "user.update", "user", user.username,
               before={"workshops": []}, after=_state(user))
    return user


def update_user(session: Session, user_id: int, change: UserChange, actor: str) -> User:
    user = _get(session, user_id)
    before = _state(user)
    losing_admin = user.role is UserRole.ADMIN and user.active and (
        change.role is not UserRole.ADMIN or not change.active)
    if losing_admin and not _other_active_admins(session, user):
        raise Conflict("this is the last active admin; make another admin first")
    if change.role is UserRole.SUPERVISOR and not change.workshops:
        raise InvalidInput("a supervisor needs at least one workshop")
    user.role, user.active = change.role, change.active
    user.workshops = _workshops(session, change.workshops)
    after = _state(user)
    if after != before:
        record(session, actor, "user.update", "user", user.username, before=before, after=after)
    return user


def set_password(session: Session, user_id: int, password: str, actor: str,
                 current: str | None = None) -> User:
    """A new password; with `current`, the user's own change, which must prove the old one."""
    user = _get(session, user_id)
    if current is not None and not verify_secret(user.password_hash, current):
        raise InvalidInput("the current password is wrong")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_secret(password)
    user.failed_logins, user.locked_until = 0, None
    record(session, actor, "user.password", "user", user.username)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
