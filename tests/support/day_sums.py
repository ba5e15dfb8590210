"""After each scoring scenario: the day sums kept on write equal a rebuild from the records
(`shopfloor-server aggregates rebuild --check`, in the scenario's own transaction)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from server.services.scores.aggregates import rebuild, zone_of


@pytest.fixture(autouse=True)
def day_sums_agree(request: pytest.FixtureRequest) -> Iterator[None]:
    if "session" not in request.fixturenames:
        yield
        return
    session: Session = request.getfixturevalue("session")  # torn down after this check
    yield
    if not session.is_active:
        return  # the scenario ended in a failed transaction: nothing was kept
    assert zone_of(session) is not None, "the day sums were never built"
    differences = rebuild(session, check=True)
    assert differences == [], differences[:10]
