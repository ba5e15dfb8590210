"""Kiosks' enrolment codes: only their digests are stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import EnrolmentCode
from server.services.devices.kiosks import issue_code
from server.services.security import token_digest
from support.factory import Factory


def test_codes_are_stored_as_digests(session: Session, factory: Factory) -> None:
    issued = issue_code(session, "K1", "test")
    session.commit()
    stored = session.scalars(select(EnrolmentCode.code_hash)).all()
    assert issued.code not in stored
    assert token_digest(issued.code.replace("-", "")) in stored
