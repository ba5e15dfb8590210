"""An appeal on the seeded plant: its evidence, and its resolution."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AppealStatus, User
from server.services import InvalidInput
from server.services.points import appeals
from support.factory import Plant, last_month_days
from support.factory import plant_zone as _zone


def test_an_appeal_shows_its_records_and_is_resolved(app: Flask, session: Session,
                                                     plant: Plant) -> None:
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    item = appeals.get_appeal(session, plant.appeal_id)
    found = appeals.evidence(session, item, _zone(app), plant.today)
    assert found["line"]["key"] == "uptime"
    assert len(found["production"]) == len(last_month_days(plant.today))
    with pytest.raises(InvalidInput):
        appeals.resolve(session, plant.appeal_id, True, "  ", admin)
    appeals.resolve(session, plant.appeal_id, True, "机器故障已核实", admin)
    assert item.status is AppealStatus.UPHELD and item.resolution == "机器故障已核实"
