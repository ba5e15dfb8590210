"""Scorecards and leaderboards over the API give the same numbers as the CLI's services."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.api import kiosk as kiosk_api
from server.models import RecordSource
from server.services.production.records import upsert_production, validate_production_rows
from server.services.scores.privacy import celebrated, private_rank
from server.services.scores.scorecards import leaderboard, worker_scorecard
from support.factory import Factory, bearer, make_event

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def records(session: Session, factory: Factory) -> None:
    rows = [
        {"date": f"2026-03-{day:02d}", "shift": "day", "worker_code": code,
         "machine_code": "M1" if code == "W001" else "M2", "planned_minutes": 480,
         "run_minutes": run, "output": 200, "defects": 2}
        for day in (9, 10, 11) for code, run in (("W001", 420), ("W002", 300))
    ]
    upsert_production(session, validate_production_rows(session, rows).rows,
                      RecordSource.IMPORT, "test")
    session.commit()


def _json(data: object) -> object:
    return json.loads(json.dumps(data, default=str))


def test_the_scorecard_matches_the_service(client: FlaskClient, session: Session,
                                           kiosk_headers: dict[str, str], records: None) -> None:
    response = client.get("/api/v1/workers/W001/scorecard?period=week&date=2026-03-11",
                          headers=kiosk_headers)
    assert response.status_code == 200
    card = response.get_json()
    # a kiosk sees a rank only in the top 20 %: W001 leads W002, but 1 of 2 is 50 %
    expected = private_rank(worker_scorecard(session, "W001", "week", date(2026, 3, 11), ZONE))
    assert card["rank"] is None and card["rank_of"] is None
    assert {k: v for k, v in card.items() if k not in ("as_of", "tasks")} == \
        {k: v for k, v in _json(expected).items() if k != "as_of"}  # type: ignore[union-attr]
    uptime = next(d for d in card["dimensions"] if d["key"] == "uptime")
    assert uptime["met"] is True and uptime["record_ids"]


def test_the_leaderboard_matches_the_service(client: FlaskClient, session: Session,
                                             kiosk_headers: dict[str, str],
                                             records: None) -> None:
    response = client.get("/api/v1/leaderboard?workshop=W1&period=week&date=2026-03-11",
                          headers=kiosk_headers)
    assert response.status_code == 200
    board = response.get_json()
    # what a kiosk may show, as the wall: the top 5 within the top half (W001 of 3 ranked)
    expected = _json(celebrated(leaderboard(session, "W1", "week", date(2026, 3, 11), ZONE)))
    assert board["standings"] == expected["standings"]  # type: ignore[index]
    assert [row["code"] for row in board["standings"]] == ["W001"]


def test_period_defaults_to_week_and_date_to_today(client: FlaskClient,
                                                   kiosk_headers: dict[str, str]) -> None:
    card = client.get("/api/v1/workers/W001/scorecard", headers=kiosk_headers).get_json()
    assert card["period"] == "week"


@pytest.mark.parametrize(("url", "status", "needle"), [
    ("/api/v1/workers/W001/scorecard?period=year", 422, "period:"),
    ("/api/v1/workers/W001/scorecard?date=yesterday", 422, "date:"),
    ("/api/v1/workers/W001/scorecard?date=0001-01-01", 422, "date: Value error, must be"),
    ("/api/v1/workers/W001/scorecard?colour=red", 422, "colour:"),
    ("/api/v1/leaderboard?period=week", 422, "workshop: Field required"),
    ("/api/v1/workers/NOBODY/scorecard", 404, "NOBODY"),
    ("/api/v1/workers/W%00/scorecard", 404, "no worker"),
    ("/api/v1/workers/W999/scorecard", 404, "W999"),  # no longer active
    ("/api/v1/leaderboard?workshop=W404", 403, "W404"),
])
def test_bad_queries_are_4xx_naming_the_field(client: FlaskClient, kiosk_headers: dict[str, str],
                                              url: str, status: int, needle: str) -> None:
    response = client.get(url, headers=kiosk_headers)
    assert response.status_code == status
    assert needle in response.get_json()["error"]["message"]


def test_a_workshop_without_a_scheme_is_a_clear_409(client: FlaskClient,
                                                    kiosk_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/workers/W001/scorecard?date=2025-06-01",
                          headers=kiosk_headers)
    assert response.status_code == 409
    assert "no scoring scheme" in response.get_json()["error"]["message"]


def test_an_unchanged_scorecard_answers_304(client: FlaskClient, kiosk_headers: dict[str, str],
                                            records: None) -> None:
    path = "/api/v1/workers/W001/scorecard?period=week&date=2026-03-11"
    first = client.get(path, headers=kiosk_headers)
    etag = first.headers["ETag"]
    again = client.get(path, headers={**kiosk_headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(path.replace("week", "day"), headers={**kiosk_headers,
                                                             "If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag



def test_an_unchanged_card_answers_304_without_being_built(
        client: FlaskClient, kiosk_headers: dict[str, str], factory: Factory,
        records: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a card is made of has a version known before the card is built
    (services/scores/kiosk_reads.py `scorecard_version`): while it stands, the card's
    ETag answers 304 with nothing built. A tap in another workshop, or a second tap the
    same day (the worker's own too), leaves it; a first tap in the workshop today moves
    it, and the card is built again and compared: the same card is still a 304, a changed
    one a new ETag."""
    built: list[str] = []
    real = kiosk_api.kiosk_scorecard

    def counted(*args: object, **kwargs: object) -> object:
        built.append(str(args[2]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kiosk_api, "kiosk_scorecard", counted)
    path = "/api/v1/workers/W001/scorecard?period=week"
    etag = client.get(path, headers=kiosk_headers).headers["ETag"]
    assert built == ["W001"]

    def tap(worker: str, headers: dict[str, str]) -> None:
        answer = client.post("/api/v1/events", headers=headers,
                             json={"events": [make_event("badge_in", worker)]})
        assert answer.get_json()["results"][0]["status"] == "accepted"

    def read() -> int:
        return client.get(path, headers={**kiosk_headers, "If-None-Match": etag}).status_code

    tap("W101", bearer(factory.other_kiosk_token))  # workshop W2
    assert read() == 304 and built == ["W001"]
    tap("W002", kiosk_headers)  # W1, W002's first today: W001's card is built again
    assert read() == 304 and built == ["W001", "W001"]  # ... and it is the same card
    tap("W002", kiosk_headers)  # the same day again: nothing moved
    assert read() == 304 and built == ["W001", "W001"]
    tap("W001", kiosk_headers)  # the worker's own first tap today: built again
    etag = client.get(path, headers={**kiosk_headers, "If-None-Match": etag}).headers["ETag"]
    assert built == ["W001"] * 3
    tap("W001", kiosk_headers)  # their own second tap: nothing on the card moves with it
    assert read() == 304 and built == ["W001"] * 3
    answer = client.post("/api/v1/events", headers=kiosk_headers, json={"events": [
        make_event("output", "W001", {"machine": "M1", "count": 40})]})
    assert answer.get_json()["results"][0]["status"] == "accepted"
    changed = client.get(path, headers={**kiosk_headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_matching_etag_never_answers_for_a_worker_the_kiosk_does_not_serve(
        client: FlaskClient, kiosk_headers: dict[str, str], records: None) -> None:
    """An attacker's kiosk sending `If-None-Match: *` learns nothing of another workshop's
    worker (403) or of a code that does not exist (404): the check comes before the 304."""
    for code, status in (("W101", 403), ("NOPE", 404)):
        answer = client.get(f"/api/v1/workers/{code}/scorecard?period=week",
                            headers={**kiosk_headers, "If-None-Match": "*"})
        assert answer.status_code == status and "ETag" not in answer.headers
