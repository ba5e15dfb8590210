"""HR's correction of a production record: a reason, and the audited upsert."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, ProductionRecord
from server.services import InvalidInput
from server.services.production.corrections import correct
from support.factory import Plant

UTC = ZoneInfo("UTC")


def test_a_correction_goes_through_the_audited_upsert(session: Session, plant: Plant) -> None:
    record = session.scalars(select(ProductionRecord)).first()
    assert record is not None
    with pytest.raises(InvalidInput):
        correct(session, record.id, 480, 400, 100, 1, "", "test", zone=UTC)
    correct(session, record.id, 480, 470, 100, 1, "MES sent the wrong run time", "test",
            zone=UTC)
    assert record.run_minutes == 470 and record.source.value == "manual"
    assert session.scalars(select(AuditEntry).where(
        AuditEntry.action == "production.update")).first()
