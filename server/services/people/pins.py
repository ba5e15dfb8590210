"""Supervisor PINs on the server: the one place that knows whether a PIN is right.

A supervisor's act arrives sealed (shopfloor_trust/seal.py); `check_act_pin` takes the PIN
out of an opened seal and checks it against the argon2 hash. Wrong PINs count per
supervisor: once per seal however many events of the act carry it (`RefusedSeal`), and at
MAX_WRONG_PINS the supervisor's acts are locked until HR unlocks them (`unlock`, the
admin's "PIN locks" page, `shopfloor-server worker unlock-pin`). Unlocking counts the
supervisor's `pin_epoch` up, which the roster carries, so kiosks forget their own counts.

A PIN set before lengths were kept (or shorter than 6 digits) keeps working until HR sets
a new one; `short_pins` lists them. When such a PIN is first proven right, its length and
typo check are learnt from it, so kiosks can check typos from then on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import RefusedSeal, Role, Worker, utcnow
from server.services import Conflict
from server.services.audit import record
from server.services.security import verify_secret
from shopfloor_trust.pins import MAX_WRONG_PINS, NEW_PIN_DIGITS, pin_check

LOCKED = ("{code}'s acts are locked after {n} wrong PINs; HR can unlock them in the admin "
          "(PIN locks)")


class PinRefused(Exception):
    """The act's PIN is wrong, or the supervisor's acts are locked; the message says which."""


def _locked_message(worker: Worker) -> str:
    return LOCKED.format(code=worker.code, n=MAX_WRONG_PINS)


def check_act_pin(session: Session, supervisor: Worker, pin: str, seal: str,
                  actor: str, now: datetime | None = None) -> None:
    """Accept the PIN of the seal named `seal`, or raise PinRefused (after counting it).
    The caller has opened the seal; it never stores the PIN."""
    now = now or utcnow()
    refused = session.get(RefusedSeal, seal)
    if refused is not None:  # the same wrong seal again (another event of its act)
        raise PinRefused(refused.reason)
    if supervisor.pin_locked_at is not None:
        raise PinRefused(_locked_message(supervisor))
    if supervisor.pin_hash is None:
        raise PinRefused(f"{supervisor.code} has no PIN; HR sets one in the admin")
    if verify_secret(supervisor.pin_hash, pin):
        if supervisor.pin_failures:
            supervisor.pin_failures = 0
        if supervisor.pin_digits is None:  # a PIN from before lengths were kept
            supervisor.pin_digits = len(pin)
            supervisor.pin_check = pin_check(supervisor.code, pin)
        return
    supervisor.pin_failures = (supervisor.pin_failures or 0) + 1
    left = MAX_WRONG_PINS - supervisor.pin_failures
    if left <= 0:
        supervisor.pin_locked_at = now
        reason = _locked_message(supervisor)
        record(session, actor, "worker.pin_lock", "worker", supervisor.id,
               after={"failures": supervisor.pin_failures})
    else:
        reason = f"wrong PIN for {supervisor.code} ({left} tries left before a lock)"
    session.add(RefusedSeal(digest=seal, worker_id=supervisor.id, reason=reason,
                            refused_at=now))
    session.flush()
    raise PinRefused(reason)


def lock_from_kiosk(session: Session, supervisor: Worker, failures: int, epoch: int,
                    actor: str, now: datetime | None = None) -> bool:
    """A kiosk counted `failures` wrong PINs of the supervisor (under the roster's `epoch`)
    and locked them there: lock their acts here too, so the admin shows every lock. A
    report counted before HR's last unlock (an older epoch) changes nothing. True when
    this locked them."""
    if epoch < (supervisor.pin_epoch or 0) or supervisor.pin_locked_at is not None:
        return False
    supervisor.pin_failures = max(supervisor.pin_failures or 0, failures)
    supervisor.pin_locked_at = now or utcnow()
    record(session, actor, "worker.pin_lock", "worker", supervisor.id,
           after={"failures": supervisor.pin_failures, "at_kiosk": True})
    return True


def unlock(session: Session, code: str, actor: str) -> Worker:
    """HR lets the supervisor act again: the count starts over, here and on every kiosk."""
    worker = session.scalars(select(Worker).where(Worker.code == code)).first()
    if worker is None or worker.role is not Role.SUPERVISOR:
        raise Conflict(f"{code!r} is not a supervisor")
    before = {"failures": worker.pin_failures, "locked": worker.pin_locked_at is not None}
    worker.pin_failures = 0
    worker.pin_locked_at = None
    worker.pin_epoch = (worker.pin_epoch or 0) + 1
    record(session, actor, "worker.pin_unlock", "worker", worker.id, before=before,
           after={"failures": 0, "locked": False})
    return worker


def locks(session: Session) -> list[Worker]:
    """Supervisors whose acts are locked, or who have wrong PINs counted, most first."""
    return list(session.scalars(
        select(Worker).where(Worker.role == Role.SUPERVISOR,
                             (Worker.pin_failures > 0) | Worker.pin_locked_at.is_not(None))
        .order_by(Worker.pin_locked_at.is_(None), Worker.pin_failures.desc(), Worker.code)))


def short_pins(session: Session) -> list[Worker]:
    """Active supervisors whose PIN is shorter than new PINs must be, or of unknown length
    (set before lengths were kept): HR should set them new ones."""
    return list(session.scalars(
        select(Worker).where(Worker.role == Role.SUPERVISOR, Worker.active.is_(True),
                             Worker.pin_hash.is_not(None),
                             Worker.pin_digits.is_(None)
                             | (Worker.pin_digits < NEW_PIN_DIGITS[0]))
        .order_by(Worker.code)))
