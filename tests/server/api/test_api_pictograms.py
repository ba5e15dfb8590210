"""What a kiosk is told of pictures: each category's and reward's pictogram, and the fault
and quality reasons HR keeps (active ones only), in the roster and the catalogue; a changed
picture changes the roster's ETag so kiosks fetch it again."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.api.schemas import Roster
from server.models import AlertKind, PointLevel
from server.services.pictograms import PICTOGRAMS
from server.services.points import claims as points
from server.services.production import reasons
from server.services.rewards.catalogue import RewardSpec, add_reward


def test_the_roster_carries_pictograms_and_reasons(client: FlaskClient, session: Session,
                                                   kiosk_headers: dict[str, str]) -> None:
    first = client.get("/api/v1/roster", headers=kiosk_headers)
    body = first.get_json()
    Roster.model_validate(body)
    assert all(c["pictogram"] in PICTOGRAMS for c in body["categories"])
    pictures = {c["code"]: c["pictogram"] for c in body["categories"]}
    assert (pictures["fault_fix"], pictures["help_colleague"]) == ("wrench", "hand_help")
    category = next(c for c in body["categories"] if c["code"] == "fault_fix")
    jam = reasons.add_reason(session, "jam9", AlertKind.MACHINE_FAULT,
                             reasons.ReasonSpec(name="卡料", name_en="Jammed",
                                                pictogram="gear_jam"), "test")
    gone = reasons.add_reason(session, "gone9", AlertKind.QUALITY_ISSUE,
                              reasons.ReasonSpec(name="旧", pictogram="scratch"), "test")
    reasons.update_reason(session, gone.id, reasons.ReasonSpec(name="旧", active=False), "test")
    changed = points.update_category(session, "fault_fix", points.CategoryChange(
        name=category["name"], name_en=category["name_en"], level=PointLevel(
            category["level"]), points=category["points"],
        needs_approval=category["needs_approval"], active=True, pictogram="star"), "test")
    assert changed.pictogram == "star"
    session.commit()
    again = client.get("/api/v1/roster", headers=kiosk_headers)
    assert again.headers["ETag"] != first.headers["ETag"]
    body = again.get_json()
    Roster.model_validate(body)
    assert next(c for c in body["categories"]
                if c["code"] == "fault_fix")["pictogram"] == "star"
    by_code = {r["code"]: r for r in body["reasons"]}
    assert by_code["jam9"] == {"code": "jam9", "name": "卡料", "name_en": "Jammed",
                               "kind": "machine_fault", "pictogram": "gear_jam"}
    assert "gone9" not in by_code
    assert jam.active


def test_the_catalogue_carries_each_rewards_pictogram(client: FlaskClient, session: Session,
                                                      kiosk_headers: dict[str, str]) -> None:
    add_reward(session, "TICKET", RewardSpec(name="电影票", cost=50, pictogram="movie_ticket"),
               "test")
    add_reward(session, "PLAIN", RewardSpec(name="杯子", cost=5), "test")
    session.commit()
    rewards = {r["code"]: r for r in
               client.get("/api/v1/rewards", headers=kiosk_headers).get_json()["rewards"]}
    assert (rewards["TICKET"]["pictogram"], rewards["PLAIN"]["pictogram"]) == \
        ("movie_ticket", "gift")
