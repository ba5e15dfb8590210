"""Point claims on the seeded plant: decided in bulk and audited, within a supervisor's
workshops, and their photos."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, EntryStatus, PointEntry, User
from server.services.points import claims
from support.factory import Plant

ZONE = ZoneInfo("UTC")


def test_bulk_claim_decisions_are_audited(session: Session, plant: Plant) -> None:
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    assert claims.decide_claims(session, [plant.claim_id], True, "谢谢", admin, zone=ZONE) == 1
    assert claims.decide_claims(session, [plant.claim_id], False, "", admin, zone=ZONE) == 0
    entry = session.get(PointEntry, plant.claim_id)
    assert entry is not None and entry.status is EntryStatus.APPROVED
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "point.approve")).one()


def test_a_supervisor_cannot_decide_another_workshops_claim(session: Session,
                                                            plant: Plant) -> None:
    from server.services import NotFound

    admin = session.scalars(select(User).where(User.username == "admin")).one()
    with pytest.raises(NotFound):
        claims.decide_claims(session, [plant.claim_id], True, "", admin, scope={999},
                             zone=ZONE)


def test_a_claim_photo_is_shown(session: Session, plant: Plant) -> None:
    import base64
    import uuid
    from datetime import UTC, datetime

    from server.models import Event

    jpeg = b"\xff\xd8\xff\xe0 a tiny jpeg"
    event = Event(uuid=str(uuid.uuid4()), kind="point_claim", occurred_at=datetime.now(UTC),
                  payload={"photo_jpeg": base64.b64encode(jpeg).decode()}, body_hash="0" * 64)
    session.add(event)
    session.flush()
    entry = session.get(PointEntry, plant.claim_id)
    assert entry is not None
    assert claims.with_photo(session, [entry]) == set()
    entry.event_id = event.id
    assert claims.with_photo(session, [entry]) == {entry.id}
    assert claims.claim_photo(session, entry.id) == jpeg
