"""A draft scheme previewed on last period's numbers of the seeded plant."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from server.services import InvalidInput
from server.services.scores.preview import preview
from support.factory import Plant, expected_scores
from support.factory import plant_zone as _zone


def test_the_preview_scores_last_period_under_the_draft(app: Flask, session: Session,
                                                        plant: Plant) -> None:
    from support.factory import PLANT_SCHEME as SCHEME

    draft = SCHEME.format(start="2026-01-01").replace("points: 60", "points: 80")
    result = preview(session, draft, _zone(app), plant.today)
    w1 = next(w for w in result.workshops if w.code == "W1")
    row = next(r for r in w1.rows if r.code == expected_scores(plant.today)[0].worker_code)
    assert row.current is not None and row.draft == row.current + 20
    with pytest.raises(InvalidInput, match="dimensions"):
        preview(session, draft.replace("points: 80", "weight: 80"), _zone(app), plant.today)
