"""Points and rewards over raw HTTP with a kiosk token: the balance a remark earns, what a
redemption deducts (once per UUID), every refusal (too few points, retired, out of stock,
another workshop's worker, a tier not held, a used entitlement), the hand-over, the
catalogue with its ETag and pictures, and remark_undo's window, kiosk and once."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import (
    Entitlement,
    Event,
    PeriodState,
    Redemption,
    RedemptionState,
    Reward,
    SettledPeriod,
    Snapshot,
    SnapshotCard,
    Worker,
    Workshop,
)
from server.services.devices.keys import ServerKeys
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.rewards.catalogue import RewardSpec, add_reward, retire_reward
from support.factory import SUPERVISOR_PIN, Factory, PostEvents, bearer, make_event
from support.seals import app_keys, seal_one, sealed


@pytest.fixture
def keys(app: Flask) -> ServerKeys:
    return app_keys(app)


def _remarks(keys: ServerKeys, n: int = 1, worker: str = "W001",
             category: str = "fault_fix", **fields: Any) -> list[dict[str, Any]]:
    """One act of S001's: `n` remarks of 10 points to `worker`, sealed with S001's PIN."""
    return sealed(keys, SUPERVISOR_PIN, [
        make_event("remark", worker=worker, payload={"category": category, "given_by": "S001"},
                   **fields) for _ in range(n)])


def _redeem(reward: str, worker: str = "W001", **extra: Any) -> dict[str, Any]:
    return make_event("reward_redeem", worker=worker, payload={"reward": reward, **extra})


def _reward(session: Session, code: str, cost: float, **spec: Any) -> None:
    add_reward(session, code, RewardSpec(name=f"奖品 {code}", cost=cost, **spec), "test")
    session.commit()


def _points(client: FlaskClient, headers: dict[str, str], code: str = "W001"
            ) -> dict[str, Any]:
    response = client.get(f"/api/v1/workers/{code}/points", headers=headers)
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def test_a_remark_pays_into_the_account_and_the_card_shows_the_balance(
        client: FlaskClient, factory: Factory, post_events: PostEvents,
        kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    assert post_events(*_remarks(keys, 2))[0]["status"] == "accepted"
    account = _points(client, kiosk_headers)
    assert account["balance"] == 20
    assert [(line["points"], line["source"], line["category"]) for line in account["lines"]] \
        == [(10, "remark", "fault_fix")] * 2
    assert account["entitlements"] == [] and account["redemptions"] == []
    card = client.get("/api/v1/workers/W001/scorecard", headers=kiosk_headers).get_json()
    assert card["balance"] == 20


def test_redeeming_deducts_once_per_uuid_and_refuses_too_few_points(
        client: FlaskClient, session: Session, factory: Factory, post_events: PostEvents,
        kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    _reward(session, "GLOVES", 15)
    post_events(*_remarks(keys, 2))
    first = _redeem("GLOVES")
    assert post_events(first, first) == [{"uuid": first["uuid"], "status": "accepted"},
                                         {"uuid": first["uuid"], "status": "duplicate"}]
    assert post_events(first)[0]["status"] == "duplicate"
    account = _points(client, kiosk_headers)
    assert account["balance"] == 5
    assert account["lines"][0]["source"] == "redemption" and account["lines"][0]["points"] == -15
    assert account["redemptions"] == [{"uuid": first["uuid"], "reward": "GLOVES",
                                       "state": "pending", "at": account["redemptions"][0]["at"]}]
    [short] = post_events(_redeem("GLOVES"))
    assert short["status"] == "rejected" and "too few points" in short["reason"]
    assert _points(client, kiosk_headers)["balance"] == 5


def test_retired_unknown_out_of_stock_and_foreign_workers_are_refused(
        client: FlaskClient, session: Session, factory: Factory, post_events: PostEvents,
        kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    _reward(session, "OLD", 1)
    retire_reward(session, "OLD", "test")
    _reward(session, "NONE", 1, stock=0)
    _reward(session, "LAST", 1, stock=1)
    post_events(*_remarks(keys))
    results = post_events(_redeem("OLD"), _redeem("NOPE"), _redeem("NONE"), _redeem("LAST"),
                          _redeem("LAST"), _redeem("LAST", worker="W101"))
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "accepted",
                                              "rejected", "rejected"]
    assert "retired" in results[0]["reason"]
    assert "no reward" in results[1]["reason"]
    assert "out of stock" in results[2]["reason"] and "out of stock" in results[4]["reason"]
    assert "not in this kiosk's workshops" in results[5]["reason"]
    session.expire_all()
    assert session.scalars(select(Reward.stock).where(Reward.code == "LAST")).one() == 0
    assert _points(client, kiosk_headers)["balance"] == 9
    # another workshop's worker's account is not this kiosk's to read
    assert client.get("/api/v1/workers/W101/points", headers=kiosk_headers).status_code == 403


def _close_with_tier(session: Session, worker: str, tier: str) -> SettledPeriod:
    w = session.scalars(select(Worker).where(Worker.code == worker)).one()
    shop = session.scalars(select(Workshop).where(Workshop.id == w.workshop_id)).one()
    period = SettledPeriod(workshop=shop, kind="week", key="2026-W01", start=date(2025, 12, 29),
                           end=date(2026, 1, 4), state=PeriodState.CLOSED, version=1,
                           closed_at=datetime.now(UTC), closed_by="test")
    session.add(period)
    session.flush()
    snapshot = Snapshot(period_id=period.id, version=1, created_by="test", board={})
    session.add(snapshot)
    session.flush()
    session.add(SnapshotCard(snapshot_id=snapshot.id, worker_id=w.id, total=90, rank=1,
                             tier=tier, card={"tier": {"key": tier, "name": "优秀"}}))
    session.commit()
    return period


def test_tier_rewards_and_entitlements(
        client: FlaskClient, session: Session, factory: Factory, post_events: PostEvents,
        kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    _reward(session, "VIP", 5, tier="excellent")
    _reward(session, "BONUS", 1, menus=("excellent",), cash=100)
    _reward(session, "CAP", 1)
    post_events(*_remarks(keys))
    [refused] = post_events(_redeem("VIP"))
    assert refused["status"] == "rejected" and "held none" in refused["reason"]
    period = _close_with_tier(session, "W001", "excellent")
    from server.services.rewards.entitlements import grant_for_close
    grant_for_close(session, period, [{"worker_id": session.scalars(select(Worker.id).where(
        Worker.code == "W001")).one(), "tier": "excellent",
        "card": {"tier": {"key": "excellent", "name": "优秀"}}}])
    session.commit()
    assert post_events(_redeem("VIP"))[0]["status"] == "accepted"
    [entitlement] = _points(client, kiosk_headers)["entitlements"]
    assert entitlement["rewards"] == ["BONUS"] and entitlement["tier"] == "excellent"
    eid = entitlement["id"]
    results = post_events(_redeem("CAP", entitlement=eid), _redeem("BONUS", entitlement=eid),
                          _redeem("BONUS", entitlement=eid),
                          _redeem("BONUS", worker="W002", entitlement=eid))
    assert [r["status"] for r in results] == ["rejected", "accepted", "rejected", "rejected"]
    assert "not on the 'excellent' menu" in results[0]["reason"]
    assert "used already" in results[2]["reason"]
    assert "no entitlement" in results[3]["reason"]
    account = _points(client, kiosk_headers)
    assert account["balance"] == 5 and account["entitlements"] == []
    session.expire_all()
    assert session.scalars(select(Entitlement.redemption_id)).one() is not None


def test_hand_over_by_a_supervisor_of_the_workshop(
        client: FlaskClient, session: Session, factory: Factory, post_events: PostEvents,
        kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    _reward(session, "GLOVES", 5)
    _reward(session, "DAYOFF", 5, needs_approval=True)
    post_events(*_remarks(keys))
    redeem, waits = _redeem("GLOVES"), _redeem("DAYOFF")
    post_events(redeem, waits)
    listed = client.get("/api/v1/redemptions?workshop=W1", headers=kiosk_headers).get_json()
    assert [r["uuid"] for r in listed["redemptions"]] == [redeem["uuid"]]
    assert listed["redemptions"][0]["worker_name"] == "张三"
    assert client.get("/api/v1/redemptions?workshop=W2",
                      headers=kiosk_headers).status_code == 403

    def handover(uuid: str, by: str = "S001") -> dict[str, Any]:
        return seal_one(keys, SUPERVISOR_PIN, make_event(
            "reward_handover", worker="W001", payload={"redemption": uuid, "handed_by": by}))
    results = post_events(handover(redeem["uuid"], by="W002"), handover(waits["uuid"]),
                          handover(redeem["uuid"]), handover(redeem["uuid"]))
    assert [r["status"] for r in results] == ["rejected", "rejected", "accepted", "rejected"]
    assert "not a supervisor" in results[0]["reason"]
    assert "approval" in results[1]["reason"]
    assert "already handed_over" in results[3]["reason"]
    session.expire_all()
    done = session.scalars(select(Redemption).where(
        Redemption.event_uuid == redeem["uuid"])).one()
    assert done.state is RedemptionState.HANDED_OVER
    assert client.get("/api/v1/redemptions", headers=kiosk_headers).get_json() == {
        "redemptions": []}


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_catalogue_has_an_etag_and_pictures(
        client: FlaskClient, session: Session, factory: Factory,
        kiosk_headers: dict[str, str]) -> None:
    add_reward(session, "CUP", RewardSpec(name="杯子", name_en="Cup", cost=20, stock=3),
               "test", picture=_jpeg())
    _reward(session, "OLD", 1)
    retire_reward(session, "OLD", "test")
    session.commit()
    response = client.get("/api/v1/rewards", headers=kiosk_headers)
    [cup] = response.get_json()["rewards"]
    assert {k: v for k, v in cup.items() if k != "picture"} == {
        "code": "CUP", "name": "杯子", "name_en": "Cup", "cost": 20, "stock": 3,
        "tier": None, "approval": False, "pictogram": "gift"}
    again = client.get("/api/v1/rewards", headers={**kiosk_headers,
                                                   "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    picture = client.get(cup["picture"], headers=kiosk_headers)
    assert picture.status_code == 200 and picture.data[:2] == b"\xff\xd8"
    assert client.get("/api/v1/rewards/OLD/picture", headers=kiosk_headers).status_code == 404
    assert client.get("/api/v1/rewards").status_code == 401


def test_remark_undo_within_60s_from_the_same_kiosk_once(
        client: FlaskClient, session: Session, factory: Factory, post_events: PostEvents,
        kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    [remark] = _remarks(keys)
    post_events(remark)
    issued = add_kiosk(session, "K3", ["W1"], "test")
    _, token = enroll(session, issued.code)
    session.commit()

    def undo(worker: str = "W001", uuid: str = remark["uuid"],
             at: datetime | None = None) -> dict[str, Any]:
        return make_event("remark_undo", worker=worker, payload={"remark": uuid},
                          occurred_at=at)
    [other] = post_events(undo(), headers=bearer(token))
    assert other["status"] == "rejected" and "only the kiosk" in other["reason"]
    [unknown] = post_events(undo(uuid="00000000-0000-4000-8000-000000000000"))
    assert unknown["status"] == "rejected" and "no remark" in unknown["reason"]
    first = undo()
    assert post_events(first)[0]["status"] == "accepted"
    assert _points(client, kiosk_headers)["balance"] == 0
    [twice] = post_events(undo())
    assert twice["status"] == "rejected" and "already undone" in twice["reason"]
    card = client.get("/api/v1/workers/W001/scorecard", headers=kiosk_headers).get_json()
    assert card["point_entries_total"] == 0


def test_remark_undo_after_60s_is_too_late(
        client: FlaskClient, session: Session, factory: Factory, post_events: PostEvents,
        kiosk_headers: dict[str, str], keys: ServerKeys) -> None:
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    [old] = _remarks(keys, occurred_at=past)
    post_events(old)
    [late] = post_events(make_event("remark_undo", payload={"remark": old["uuid"]}))
    assert late["status"] == "rejected" and "too late" in late["reason"]
    # by the kiosk's clock within 60 s, but the server got the remark long before
    [fresh] = _remarks(keys)
    post_events(fresh)
    session.execute(update(Event).where(Event.uuid == fresh["uuid"]).values(
        received_at=datetime.now(UTC) - timedelta(minutes=2)))
    session.commit()
    [held] = post_events(make_event("remark_undo", payload={"remark": fresh["uuid"]}))
    assert held["status"] == "rejected" and "too late" in held["reason"]
    assert _points(client, kiosk_headers)["balance"] == 20
