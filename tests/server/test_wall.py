"""The wall display's links, board data and refusals, through the Flask test client."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.config import Config
from server.models import Display, Language, NameStyle, RecordSource, Worker
from server.scoring import period_span
from server.services.audit import record
from server.services.devices.displays import add_display, revoke_display
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.periods.closing import close_period
from server.services.production.records import ProductionRow, upsert_production
from server.services.scores.scorecards import leaderboard
from support.factory import (
    SUPERVISOR_PIN,
    Plant,
    bearer,
    make_event,
    plant_zone,
    small_factory,
)
from support.seals import app_keys, seal_one


def _today(config: Config) -> date:
    return datetime.now(config.zone).date()


@pytest.fixture
def factory(session: Session, migrated: Config) -> None:
    small_factory(session, _today(migrated))
    session.commit()


def _link(session: Session, name: str, workshop: str | None,
          language: Language = Language.ZH_CN, names: NameStyle = NameStyle.MASKED) -> str:
    made = add_display(session, name, workshop, language, actor="test", names=names)
    session.commit()
    return made.path()


def test_the_board_shows_only_the_top_half_at_most_five_and_no_low_scores(
    app: Flask, session: Session, factory: None
) -> None:
    """Eight workers ranked: the top half is four, so the wall shows four, masked."""
    client = app.test_client()
    path = _link(session, "TV-W1", "W1")
    board = client.get(f"{path}/board.json").get_json()
    (w1,) = board["boards"]
    assert w1["workshop"] == {"code": "W1", "name": "机加工车间"}
    assert [row["code"] for row in w1["top"]] == ["A07", "A06", "A05", "A04"]
    assert all(row["rank"] <= 4 and row["total"] > 0 for row in w1["top"])
    assert {"A00", "A01", "A02", "A03"}.isdisjoint(row["code"] for row in w1["top"])
    assert board["names"] == "masked" and w1["top"][0]["name"] == "工*7"


def test_the_page_is_served_in_the_display_language(
    app: Flask, session: Session, factory: None
) -> None:
    client = app.test_client()
    zh = client.get(_link(session, "TV-zh", "W1"))
    en = client.get(_link(session, "TV-en", "W1", Language.EN))
    assert zh.status_code == en.status_code == 200
    assert "本周前五名" in zh.get_data(as_text=True)
    assert "Top 5 this week" in en.get_data(as_text=True)


def test_an_unchanged_board_answers_304_and_a_change_makes_a_new_etag(
    app: Flask, session: Session, factory: None
) -> None:
    client = app.test_client()
    path = _link(session, "TV-etag", "W1")
    first = client.get(f"{path}/board.json")
    etag = first.headers["ETag"]
    again = client.get(f"{path}/board.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    record(session, "test", "points.approve", "point_entry", 1)
    session.commit()
    changed = client.get(f"{path}/board.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_display_for_all_workshops_carries_each_and_an_empty_state(
    app: Flask, session: Session, factory: None
) -> None:
    board = app.test_client().get(f"{_link(session, 'TV-all', None)}/board.json").get_json()
    by_code = {b["workshop"]["code"]: b for b in board["boards"]}
    assert set(by_code) == {"W1", "W2"}
    assert by_code["W2"]["no_scheme"] is True and by_code["W2"]["top"] == []


@pytest.mark.parametrize("suffix", ["", "/board.json"])
def test_revoked_and_unknown_links_get_the_not_enrolled_page(
    app: Flask, session: Session, factory: None, suffix: str
) -> None:
    client = app.test_client()
    path = _link(session, "TV-old", "W1")
    revoke_display(session, "TV-old", actor="test")
    session.commit()
    for url in (f"{path}{suffix}", f"/wall/not-a-real-token{suffix}"):
        response = client.get(url, headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 403
        assert "此显示屏未登记" in response.get_data(as_text=True)


def test_photos_are_served_only_for_workers_of_the_display(
    app: Flask, session: Session, factory: None, migrated: Config
) -> None:
    photos = migrated.data_dir / "photos"
    photos.mkdir(parents=True)
    (photos / "A07.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (photos / "B01.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    for code in ("A07", "B01"):
        worker = session.query(Worker).filter_by(code=code).one()
        worker.photo_path = str(Path("photos") / f"{code}.png")
    session.commit()
    client: FlaskClient = app.test_client()
    path = _link(session, "TV-photo", "W1", names=NameStyle.FULL)  # photos need full names
    for code, status in (("A07", 200), ("B01", 404), ("A00", 404)):
        with client.get(f"{path}/photo/{code}") as response:
            assert response.status_code == status
    board = client.get(f"{path}/board.json").get_json()
    assert board["boards"][0]["top"][0]["has_photo"] is True


def test_last_seen_is_recorded_without_a_write_on_every_poll(
    app: Flask, session: Session, factory: None
) -> None:
    client = app.test_client()
    path = _link(session, "TV-seen", "W1")
    client.get(f"{path}/board.json")
    first = session.query(Display).filter_by(name="TV-seen").one().last_seen
    assert first is not None
    client.get(f"{path}/board.json")
    session.expire_all()
    assert session.query(Display).filter_by(name="TV-seen").one().last_seen == first
    assert first > datetime.now(first.tzinfo) - timedelta(minutes=1)


def test_the_star_is_the_last_closed_months_and_this_month_so_far_is_apart(
    app: Flask, session: Session, plant: Plant
) -> None:
    """The month before last A003's machine stood still; last month A003 was among the
    best. The wall's star is last month's once HR closes it (from its snapshot, with the
    month named); the running month's most improved is shown apart, as "so far"."""
    zone = plant_zone(app)
    last = period_span("month", plant.last_month)
    before = period_span("month", last.start - timedelta(days=1))
    day = next(before.start + timedelta(days=i) for i in range(7)
               if (before.start + timedelta(days=i)).weekday() < 5)
    upsert_production(session, [
        ProductionRow(day, "day", code, "CNC-01", 480, 0 if code == "A003" else 430,
                      0 if code == "A003" else 120, 0)
        for code in ("A001", "A002", "A003", "S001")], RecordSource.IMPORT, "test")
    session.commit()
    client = app.test_client()
    path = _link(session, "TV-star", "W1")
    live = leaderboard(session, "W1", "month", plant.today, zone, today=plant.today)
    leader = next(row for row in live["most_improved"] if row["improvement"] > 0)

    (open_board,) = client.get(f"{path}/board.json").get_json()["boards"]
    assert open_board["star"] is None  # nothing is closed yet: no star, only "so far"
    assert open_board["so_far"]["code"] == leader["code"]
    assert open_board["so_far"]["month"] == period_span("month", plant.today).label

    close_period(session, "W1", "month", last.label, "test", zone, plant.today)
    session.commit()
    settled = leaderboard(session, "W1", "month", last.start, zone)["star"]
    (board,) = client.get(f"{path}/board.json").get_json()["boards"]
    assert settled["code"] == "A003"
    assert board["star"]["code"] == "A003" and board["star"]["month"] == last.label
    assert board["star"]["improvement"] == round(settled["improvement"], 1)
    assert board["so_far"] == open_board["so_far"]


# --- andon: the banner's data ----------------------------------------------------------


class Kiosk:
    """Kiosk K-andon of W1, talking to the app through the test client as a kiosk would."""

    def __init__(self, app: Flask, session: Session) -> None:
        self.client = app.test_client()
        self.keys = app_keys(app)
        _, self.token = enroll(session, add_kiosk(session, "K-andon", ["W1"], "test").code)
        session.commit()

    def post(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        answer = self.client.post("/api/v1/events", json={"events": list(events)},
                                  headers=bearer(self.token))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        results: list[dict[str, Any]] = answer.get_json()["results"]
        return results

    def fault(self, worker: str = "A03", machine: str = "M1", fault: str | None = "spindle",
              minutes_ago: int = 12) -> None:
        payload = {"machine": machine, **({"fault": fault} if fault else {})}
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
        (result,) = self.post(make_event("machine_fault", worker, payload, when))
        assert result["status"] == "accepted", result

    def acknowledge(self, alert: int, pin: str = SUPERVISOR_PIN) -> dict[str, Any]:
        event = make_event("alert_ack", "S01", {"alert": alert})
        (result,) = self.post(seal_one(self.keys, pin, event, supervisor="S01"))
        return result


def _alerts(client: FlaskClient, path: str) -> dict[str, list[dict[str, Any]]]:
    board = client.get(f"{path}/board.json").get_json()
    return {b["workshop"]["code"]: b["alerts"] for b in board["boards"]}


def test_an_alert_is_on_its_workshops_board_until_a_supervisor_acknowledges_it(
    app: Flask, session: Session, factory: None
) -> None:
    kiosk = Kiosk(app, session)
    client = app.test_client()
    path = _link(session, "TV-andon", None)
    assert _alerts(client, path) == {"W1": [], "W2": []}
    etag = client.get(f"{path}/board.json").headers["ETag"]

    kiosk.fault(minutes_ago=12)
    changed = client.get(f"{path}/board.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200, "a new alert must reach a TV that polls with its ETag"
    shown = _alerts(client, path)
    assert shown["W2"] == []
    (alert,) = shown["W1"]
    assert (alert["kind"], alert["machine"], alert["machine_name"], alert["reason"]) == \
        ("machine_fault", "M1", "车床", "spindle")
    opened = datetime.fromisoformat(alert["opened_at"])
    assert timedelta(minutes=11) < datetime.now(UTC) - opened < timedelta(minutes=13)

    etag = changed.headers["ETag"]
    refused = kiosk.acknowledge(alert["id"], pin="999999")
    assert refused["status"] == "rejected" and refused["reason"].startswith("proof:")
    assert len(_alerts(client, path)["W1"]) == 1, "a wrong PIN acknowledges nothing"
    assert kiosk.acknowledge(alert["id"])["status"] == "accepted"
    after = client.get(f"{path}/board.json", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert {b["workshop"]["code"]: b["alerts"] for b in after.get_json()["boards"]} == \
        {"W1": [], "W2": []}


def test_the_banner_goes_when_the_machine_starts_again_and_lists_the_oldest_first(
    app: Flask, session: Session, factory: None
) -> None:
    kiosk = Kiosk(app, session)
    client = app.test_client()
    path = _link(session, "TV-w1", "W1")
    kiosk.fault("A03", "M1", "spindle", minutes_ago=5)
    kiosk.fault("A04", "M1", None, minutes_ago=30)
    (issue,) = kiosk.post(make_event("quality_issue", "A05", {"issue": "burr"}))
    assert issue["status"] == "accepted"
    alerts = _alerts(client, path)["W1"]
    assert [(a["kind"], a["reason"]) for a in alerts] == [
        ("machine_fault", None), ("machine_fault", "spindle"), ("quality_issue", "burr")]
    assert alerts[2]["machine"] is None
    (start,) = kiosk.post(make_event("machine_start", "A03", {"machine": "M1"}))
    assert start["status"] == "accepted"
    assert [a["kind"] for a in _alerts(client, path)["W1"]] == ["quality_issue"]


def test_the_wall_never_names_who_reported_or_serves_their_photo(
    app: Flask, session: Session, factory: None, migrated: Config
) -> None:
    """A report must not feel like blame: the hall sees the machine, not the reporter."""
    photos = migrated.data_dir / "photos"
    photos.mkdir(parents=True)
    (photos / "A00.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    reporter = session.query(Worker).filter_by(code="A00").one()
    reporter.photo_path = str(Path("photos") / "A00.png")
    session.commit()
    kiosk = Kiosk(app, session)
    kiosk.fault("A00", "M1", "spindle")
    client = app.test_client()
    path = _link(session, "TV-private", "W1")
    text = client.get(f"{path}/board.json").get_data(as_text=True)
    (alert,) = _alerts(client, path)["W1"]
    assert set(alert) == {"id", "kind", "workshop", "machine", "machine_name", "reason",
                          "reason_name", "reason_name_en", "opened_at"}
    assert "工人0" not in text and "A00" not in text
    assert client.get(f"{path}/photo/A00").status_code == 404
