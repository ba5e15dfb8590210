"""Storing scheme versions and finding the one in force for a period."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Workshop
from server.scoring.schemes import parse_yaml
from server.services import InvalidInput, NotFound
from server.services.scores.schemes import export_scheme, import_scheme, scheme_for, to_scheme

SCHEME = """\
name: 机加工车间 2026
workshops: [W1]
period: month
mode: threshold
effective_from: {effective_from}
dimensions:
  - {{key: uptime,      target: {uptime}, points: 60}}
  - {{key: defect_rate, target: 0.03, points: 30}}
  - {{key: training,    target: 1,    points: 10}}
tiers:
  - {{key: excellent, top_percent: 10}}
"""


def text(effective_from: str = "2026-01-01", uptime: float = 0.75) -> str:
    return SCHEME.format(effective_from=effective_from, uptime=uptime)


@pytest.fixture
def shop(session: Session) -> Workshop:
    workshop = Workshop(code="W1", name="机加工车间")
    session.add_all([workshop, Workshop(code="W2", name="装配车间")])
    session.flush()
    return workshop


def test_import_stores_version_one_and_audits(session: Session, shop: Workshop) -> None:
    row = import_scheme(session, text(), actor="hr")
    assert (row.name, row.version, row.effective_from) == ("机加工车间 2026", 1, date(2026, 1, 1))
    assert [w.code for w in row.workshops] == ["W1"] and row.created_by == "hr"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "scheme.import")).one()
    assert entry.actor == "hr" and entry.entity_id == str(row.id)
    assert entry.after is not None and entry.after["version"] == 1


def test_same_name_gets_the_next_version(session: Session, shop: Workshop) -> None:
    import_scheme(session, text(), actor="hr")
    second = import_scheme(session, text("2026-03-01", uptime=0.8), actor="hr")
    assert second.version == 2
    assert "uptime, target: 0.8" in export_scheme(session, "机加工车间 2026")
    assert "uptime, target: 0.75" in export_scheme(session, "机加工车间 2026", version=1)
    assert "version: 2" in export_scheme(session, "机加工车间 2026")


def test_export_reads_back(session: Session, shop: Workshop) -> None:
    row = import_scheme(session, text(), actor="hr")
    assert parse_yaml(export_scheme(session, row.name)) == parse_yaml(text())


def test_unknown_workshop_codes_are_refused(session: Session, shop: Workshop) -> None:
    with pytest.raises(InvalidInput, match="unknown workshop code.*W9"):
        import_scheme(session, text().replace("[W1]", "[W1, W9]"), actor="hr")


def test_invalid_yaml_is_invalid_input(session: Session, shop: Workshop) -> None:
    with pytest.raises(InvalidInput, match=r"dimensions\[0\]\.points"):
        import_scheme(session, text().replace("target: 0.75, points: 60", "target: 0.75"),
                      actor="hr")


def test_export_of_unknown_scheme(session: Session) -> None:
    with pytest.raises(NotFound):
        export_scheme(session, "nothing")
    with pytest.raises(NotFound, match="version 3"):
        export_scheme(session, "nothing", version=3)


def test_the_version_in_force_follows_effective_from(session: Session, shop: Workshop) -> None:
    import_scheme(session, text("2026-01-01", uptime=0.75), actor="hr")
    import_scheme(session, text("2026-03-01", uptime=0.8), actor="hr")
    assert scheme_for(session, shop.id, date(2025, 12, 1)) is None
    january = scheme_for(session, shop.id, date(2026, 1, 1))
    february = scheme_for(session, shop.id, date(2026, 2, 1))
    march = scheme_for(session, shop.id, date(2026, 3, 1))
    assert january is not None and february is not None and march is not None
    assert (january.version, february.version, march.version) == (1, 1, 2)
    assert to_scheme(february).dimensions[0].target == 0.75  # a past period keeps its version
    assert to_scheme(march).dimensions[0].target == 0.8
    other = session.scalars(select(Workshop).where(Workshop.code == "W2")).one()
    assert scheme_for(session, other.id, date(2026, 3, 1)) is None
