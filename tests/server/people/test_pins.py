"""Supervisors' PINs: new ones have 6 to 8 digits and set the typo check kiosks get; wrong
PINs lock a supervisor's acts until HR unlocks them; a new PIN starts the count over;
PINs set before are listed for renewal."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Language, Role, Worker
from server.services import Conflict, InvalidInput
from server.services.people import pins
from server.services.people.workers import WorkerForm, create_worker, update_worker
from server.services.security import hash_secret, verify_secret
from shopfloor_trust.pins import MAX_WRONG_PINS, pin_check
from support.factory import SUPERVISOR_PIN, Plant


def _form(code: str, pin: str | None, role: Role = Role.SUPERVISOR) -> WorkerForm:
    return WorkerForm(code, "新主管", "W1", role, Language.ZH_CN, pin)


def _worker(session: Session, code: str) -> Worker:
    return session.scalars(select(Worker).where(Worker.code == code)).one()


@pytest.mark.parametrize("pin", ["4321", "12345", "123456789", "12a456"])
def test_a_new_pin_has_6_to_8_digits(session: Session, plant: Plant, pin: str) -> None:
    with pytest.raises(InvalidInput, match="^pin: 6 to 8 digits$"):
        create_worker(session, _form("S900", pin), "test")
    with pytest.raises(InvalidInput, match="^pin: 6 to 8 digits$"):
        update_worker(session, "S001", _form("S001", pin), "test")


def test_a_new_pin_keeps_its_length_and_typo_check_never_itself(session: Session,
                                                                 plant: Plant) -> None:
    worker = create_worker(session, _form("S900", "73915204"), "test")
    assert verify_secret(worker.pin_hash or "", "73915204")
    assert (worker.pin_digits, worker.pin_check) == (8, pin_check("S900", "73915204"))
    audit = json.dumps([[e.before, e.after] for e in session.scalars(select(AuditEntry))])
    assert "73915204" not in audit and (worker.pin_hash or "")[-20:] not in audit
    # No longer a supervisor: nothing of the PIN is kept.
    update_worker(session, "S900", _form("S900", None, Role.WORKER), "test")
    assert (worker.pin_hash, worker.pin_digits, worker.pin_check) == (None, None, None)


def test_wrong_pins_lock_until_hr_unlocks_and_a_new_pin_starts_over(session: Session,
                                                                   plant: Plant) -> None:
    s001 = _worker(session, "S001")
    epoch = s001.pin_epoch
    for n in range(MAX_WRONG_PINS):
        with pytest.raises(pins.PinRefused):
            pins.check_act_pin(session, s001, "000000", f"seal-{n}", "kiosk:K1")
    assert s001.pin_locked_at is not None and s001.pin_failures == MAX_WRONG_PINS
    with pytest.raises(pins.PinRefused, match="locked"):
        pins.check_act_pin(session, s001, SUPERVISOR_PIN, "seal-right", "kiosk:K1")
    assert pins.locks(session) == [s001]

    pins.unlock(session, "S001", "user:admin")
    assert (s001.pin_failures, s001.pin_locked_at, s001.pin_epoch) == (0, None, epoch + 1)
    assert pins.locks(session) == []
    pins.check_act_pin(session, s001, SUPERVISOR_PIN, "seal-right-2", "kiosk:K1")
    unlocked = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "worker.pin_unlock")).one()
    assert (unlocked.actor, unlocked.after) == ("user:admin", {"failures": 0, "locked": False})
    with pytest.raises(Conflict, match="'A001' is not a supervisor"):
        pins.unlock(session, "A001", "user:admin")

    # Two wrong PINs, then HR sets a new PIN: the count starts over and kiosks forget theirs.
    for n in range(2):
        with pytest.raises(pins.PinRefused):
            pins.check_act_pin(session, s001, "000000", f"seal-again-{n}", "kiosk:K1")
    update_worker(session, "S001", _form("S001", "55443322"), "user:admin")
    assert (s001.pin_failures, s001.pin_locked_at, s001.pin_epoch) == (0, None, epoch + 2)
    assert s001.pin_check == pin_check("S001", "55443322")
    renewed = session.scalars(select(AuditEntry).where(
        AuditEntry.action == "worker.update")).all()[-1]
    assert renewed.after is not None
    assert renewed.after["pin_changed"] is True and renewed.after["pin_unlocked"] is True


def test_pins_set_before_keep_working_and_are_listed_for_renewal(session: Session,
                                                                  plant: Plant) -> None:
    s001 = _worker(session, "S001")
    # As migration 0007 left a PIN set before: a hash of 4 digits, its length unknown.
    s001.pin_hash, s001.pin_digits, s001.pin_check = hash_secret("2468"), None, None
    assert pins.short_pins(session) == [s001]
    pins.check_act_pin(session, s001, "2468", "seal-old", "kiosk:K1")
    assert (s001.pin_digits, s001.pin_check) == (4, pin_check("S001", "2468"))
    assert pins.short_pins(session) == [s001]  # still too short: HR should renew it
    update_worker(session, "S001", _form("S001", "864209"), "user:admin")
    assert pins.short_pins(session) == []
