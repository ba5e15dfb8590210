"""Payroll on the seeded plant: the bonus of every award, and the monthly reminder."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from server.services import InvalidInput
from server.services.reports import payroll
from support.factory import Plant, expected_scores
from support.factory import plant_zone as _zone


def test_payroll_pays_the_bonus_of_every_award(app: Flask, session: Session,
                                               plant: Plant) -> None:
    payroll.save_settings(session, payroll.PayrollSettings({"excellent": 300, "good": 100},
                                                           25), "test")
    start = plant.last_month.replace(day=1)
    rows = payroll.payroll_rows(session, start, _zone(app), plant.today)
    best = expected_scores(plant.today)[0]
    mine = next(r for r in rows if r[1] == best.worker_code)
    assert mine[-1] == 300
    assert payroll.reminder_due(payroll.get_settings(session), plant.today.replace(day=25))
    assert not payroll.reminder_due(payroll.get_settings(session), plant.today.replace(day=24))
    with pytest.raises(InvalidInput):
        payroll.save_settings(session, payroll.PayrollSettings({}, 31), "test")
