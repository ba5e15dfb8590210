"""Web users: logging in, adding, changing role and workshops, passwords, ending sessions.

A login is refused before any password is checked while its client address or its user
name is throttled (`throttle.py`: a growing delay after failures, not a lockout). An
unknown or inactive user name takes the same path as a known one, a check against a
dummy hash included, and gets the same answer, so the form does not tell which names
exist. Every password check takes a slot of the app's `PasswordChecks`; with none free
the attempt is told the server is busy. Every attempt is logged as one `login` line (user,
address, outcome; never a password). The last active admin can neither be demoted nor
deactivated.

    ServiceError
     └── LoginRefused          a wrong user name or password
          ├── LoginThrottled   failed too often: try again in `retry_after` seconds
          └── LoginBusy        every password check slot is taken: try again in a moment
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import User, UserRole, Workshop, utcnow
from server.services import Conflict, InvalidInput, NotFound, ServiceError
from server.services.audit import record
from server.services.people import throttle
from server.services.security import PasswordChecks, hash_secret, verify_secret
from server.services.setup import MIN_PASSWORD_LENGTH, add_user

logger = logging.getLogger(__name__)

_DUMMY_HASH = hash_secret("not a password anybody has")


class LoginRefused(ServiceError):
    """Wrong user name or password (the same for a name that does not exist)."""

    def __init__(self, message: str = "wrong user name or password") -> None:
        super().__init__(message)


class LoginThrottled(LoginRefused):
    """Too many failures from this address or against this name; no password was checked."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts: try again in {retry_after} s")
        self.retry_after = retry_after


class LoginBusy(LoginRefused):
    """Every password check slot stayed taken; no password was checked."""

    def __init__(self) -> None:
        super().__init__("the server is busy checking other passwords: try again")


def _log(outcome: str, user: User | None, address: str,
         retry_after: int | None = None) -> None:
    """One `login` line. A name no active user has is not written: it may be a password
    typed into the wrong box."""
    fields: dict[str, object] = {"outcome": outcome, "address": address,
                                 "user": user.username if user else None,
                                 "known_user": user is not None}
    if retry_after is not None:
        fields["retry_after_s"] = retry_after
    level = logging.INFO if outcome == "ok" else logging.WARNING
    logger.log(level, "login", extra={"fields": fields})


def _check(checks: PasswordChecks, stored_hash: str, password: str) -> bool:
    with checks.slot() as free:
        if not free:
            raise LoginBusy()
        return verify_secret(stored_hash, password)


def authenticate(session: Session, username: str, password: str, address: str,
                 checks: PasswordChecks, now: datetime | None = None) -> User:
    """The user, or LoginRefused (or a subclass). The caller commits either way: failures
    are counted in the session."""
    now = now or utcnow()
    username = username.strip()
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is not None and not user.active:
        user = None
    keys = throttle.keys_for(address, username)
    retry_after = throttle.wait(session, keys, now)
    if retry_after:
        _log("throttled", user, address, retry_after)
        raise LoginThrottled(retry_after)
    try:
        ok = _check(checks, user.password_hash if user else _DUMMY_HASH, password)
    except LoginBusy:
        _log("busy", user, address)
        raise
    if user is None or not ok:
        throttle.note_failure(session, keys, now)
        _log("wrong", user, address)
        raise LoginRefused()
    throttle.clear(session, keys)
    user.last_login = now
    _log("ok", user, address)
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Every session of the user, on every device and every copied cookie, ends now."""
    _get(session, user_id).session_epoch += 1


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
        record(session, actor, "user.update", "user", user.id,
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
        record(session, actor, "user.update", "user", user.id, before=before, after=after)
    return user


def set_password(session: Session, user_id: int, password: str, actor: str) -> User:
    """A new password set by an admin (or by the user, through `change_own_password`).
    It ends the user's sessions and needs no change at the next login."""
    user = _get(session, user_id)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_secret(password)
    user.must_change_password = False
    user.session_epoch += 1
    record(session, actor, "user.password", "user", user.id)
    return user


def change_own_password(session: Session, user_id: int, current: str, password: str,
                        actor: str, address: str, checks: PasswordChecks,
                        now: datetime | None = None) -> User:
    """The user's own change, which must prove the current password: throttled and
    counted like a login, since a borrowed session could otherwise guess it."""
    now = now or utcnow()
    user = _get(session, user_id)
    keys = throttle.keys_for(address, user.username)
    retry_after = throttle.wait(session, keys, now)
    if retry_after:
        _log("throttled", user, address, retry_after)
        raise LoginThrottled(retry_after)
    if not _check(checks, user.password_hash, current):
        throttle.note_failure(session, keys, now)
        _log("wrong_current_password", user, address)
        raise InvalidInput("the current password is wrong")
    throttle.clear(session, keys)
    return set_password(session, user_id, password, actor)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
