"""The admin's users: the last admin cannot be demoted."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import User
from server.services import Conflict
from server.services.people.users import UserChange, update_user
from support.factory import Plant


def test_the_last_admin_stays(session: Session, plant: Plant) -> None:
    from server.models import UserRole

    admin = session.scalars(select(User).where(User.username == "admin")).one()
    with pytest.raises(Conflict):
        update_user(session, admin.id, UserChange(UserRole.VIEWER, [], True), "test")
