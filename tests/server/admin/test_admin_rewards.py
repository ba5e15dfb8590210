"""The admin's rewards pages through the test client, CSRF on: the catalogue (add with a
picture, edit, retire), the fulfilment queue (each hand-over and cancellation confirmed
first; a cancellation refunds), a worker's points account (HR lines, a leaver settled),
the claims queue asking once with the count, and who may do what."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import EntryStatus, PointEntry, Redemption, RedemptionState, Reward, Worker
from server.services.points import ledger
from server.services.rewards import redemptions
from server.services.rewards.catalogue import RewardSpec, add_reward
from support.factory import Plant

Login = Callable[[str | None], FlaskClient]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 200, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def _redeemed(session: Session, plant: Plant, worker: str = "A001",
              approval: bool = False) -> Redemption:
    ledger.hr_line(session, worker, 50, "seed", None, "test", plant.today)
    code = f"R{worker}{int(approval)}"
    add_reward(session, code, RewardSpec(name="杯子", cost=20, stock=2,
                                         needs_approval=approval), "test")
    person = session.scalars(select(Worker).where(Worker.code == worker)).one()
    plan = redemptions.check_redeem(session, person, code, None)
    done = redemptions.redeem(session, plan, f"00000000-0000-4000-8000-0000000000{worker[-2:]}",
                              "test", datetime.now(UTC))
    session.commit()
    return done


def test_the_catalogue_add_edit_retire(session: Session, plant: Plant, login_as: Login,
                                       csrf_token: Callable[..., str]) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/rewards")
    assert admin.post("/admin/rewards", data={"code": "CUP", "name": "杯子"}).status_code == 400
    added = admin.post("/admin/rewards", data={
        "csrf_token": token, "code": "CUP", "name": "杯子", "name_en": "Cup", "cost": "20",
        "stock": "5", "menus": "excellent", "picture": (io.BytesIO(_png()), "cup.png")},
        content_type="multipart/form-data", follow_redirects=True)
    assert added.status_code == 200 and "CUP" in added.get_data(as_text=True)
    refused = admin.post("/admin/rewards", data={"csrf_token": token, "code": "FREE",
                                                 "name": "x", "cost": "0"},
                         follow_redirects=True)
    assert "cost: must be above 0" in refused.get_data(as_text=True)
    assert session.scalars(select(Reward.code)).all() == ["CUP"]
    assert admin.get("/admin/rewards/CUP/picture.jpg").data[:2] == b"\xff\xd8"
    admin.post("/admin/rewards/CUP/edit", data={"csrf_token": token, "name": "大杯子",
                                                "cost": "25", "stock": ""})
    session.expire_all()
    cup = session.scalars(select(Reward)).one()
    assert (cup.name, cup.cost, cup.stock, cup.menus) == ("大杯子", 25, None, [])
    admin.post("/admin/rewards/CUP/retire", data={"csrf_token": token})
    session.expire_all()
    assert session.scalars(select(Reward.active)).one() is False
    # a supervisor sees the catalogue but does not edit it
    sup = login_as("sup1")
    assert sup.get("/admin/rewards").status_code == 200
    assert sup.post("/admin/rewards/CUP/retire",
                    data={"csrf_token": csrf_token(sup, "/admin/rewards")}).status_code == 403


def test_hand_over_asks_first_and_cancel_refunds(session: Session, plant: Plant,
                                                login_as: Login,
                                                csrf_token: Callable[..., str]) -> None:
    handed, cancelled = _redeemed(session, plant, "A001"), _redeemed(session, plant, "A002")
    sup = login_as("sup1")
    queue = sup.get("/admin/redemptions").get_data(as_text=True)
    assert "A001" in queue and "A002" in queue
    token = csrf_token(sup, "/admin/redemptions")
    url = f"/admin/redemptions/{handed.id}/handover"
    asked = sup.post(url, data={"csrf_token": token})
    assert asked.status_code == 200 and 'name="confirmed"' in asked.get_data(as_text=True)
    session.expire_all()
    assert session.get(Redemption, handed.id).state is RedemptionState.PENDING  # type: ignore[union-attr]
    sup.post(url, data={"csrf_token": token, "confirmed": "1", "note": "已领取"})
    sup.post(f"/admin/redemptions/{cancelled.id}/cancel",
             data={"csrf_token": token, "confirmed": "1", "note": "缺货"})
    session.expire_all()
    assert session.get(Redemption, handed.id).state is RedemptionState.HANDED_OVER  # type: ignore[union-attr]
    assert session.get(Redemption, cancelled.id).state is RedemptionState.CANCELLED  # type: ignore[union-attr]
    a002 = session.scalars(select(Worker).where(Worker.code == "A002")).one()
    assert ledger.balance(session, a002.id) == 50
    # a viewer may look, not act
    viewer = login_as("view1")
    assert viewer.get("/admin/redemptions").status_code == 200
    assert viewer.post(url, data={"csrf_token": csrf_token(viewer, "/admin/redemptions"),
                                  "confirmed": "1"}).status_code == 403


def test_a_supervisor_cannot_act_on_another_workshop(session: Session, plant: Plant,
                                                     login_as: Login,
                                                     csrf_token: Callable[..., str]) -> None:
    other = _redeemed(session, plant, "B001")
    sup = login_as("sup1")
    assert "B001" not in sup.get("/admin/redemptions").get_data(as_text=True)
    token = csrf_token(sup, "/admin/redemptions")
    assert sup.post(f"/admin/redemptions/{other.id}/handover",
                    data={"csrf_token": token, "confirmed": "1"}).status_code == 404
    assert sup.get("/admin/workers/B001/points").status_code == 404


def test_an_approval_comes_before_the_hand_over(session: Session, plant: Plant,
                                                login_as: Login,
                                                csrf_token: Callable[..., str]) -> None:
    waits = _redeemed(session, plant, "A003", approval=True)
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/redemptions")
    early = admin.post(f"/admin/redemptions/{waits.id}/handover",
                       data={"csrf_token": token, "confirmed": "1"}, follow_redirects=True)
    assert "waits for approval" in early.get_data(as_text=True)
    admin.post(f"/admin/redemptions/{waits.id}/approve",
               data={"csrf_token": token, "confirmed": "1"})
    admin.post(f"/admin/redemptions/{waits.id}/handover",
               data={"csrf_token": token, "confirmed": "1"})
    session.expire_all()
    assert session.get(Redemption, waits.id).state is RedemptionState.HANDED_OVER  # type: ignore[union-attr]


def test_worker_points_hr_lines_and_a_leaver(session: Session, plant: Plant, login_as: Login,
                                             csrf_token: Callable[..., str]) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/workers/A001/points")
    admin.post("/admin/workers/A001/points",
               data={"csrf_token": token, "points": "15", "reason": "质量标兵"})
    below = admin.post("/admin/workers/A001/points", follow_redirects=True,
                       data={"csrf_token": token, "points": "-16", "reason": "扣分"})
    assert "below zero" in below.get_data(as_text=True)
    page = admin.get("/admin/workers/A001/points").get_data(as_text=True)
    assert 'id="balance">15<' in page and "质量标兵" in page
    a001 = session.scalars(select(Worker).where(Worker.code == "A001")).one()
    a001.active = False
    session.commit()
    asked = admin.post("/admin/workers/A001/points/settle",
                       data={"csrf_token": token, "how": "forfeit"})
    assert 'name="confirmed"' in asked.get_data(as_text=True)
    admin.post("/admin/workers/A001/points/settle",
               data={"csrf_token": token, "how": "forfeit", "confirmed": "1"})
    assert ledger.balance(session, a001.id) == 0
    sup = login_as("sup1")
    assert sup.get("/admin/workers/A002/points").status_code == 200
    assert sup.post("/admin/workers/A002/points",
                    data={"csrf_token": token, "points": "5", "reason": "x"}).status_code == 403


def test_bulk_claim_decisions_ask_once_with_the_count(session: Session, plant: Plant,
                                                     login_as: Login,
                                                     csrf_token: Callable[..., str]) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/claims")
    form = {"csrf_token": token, "claims": [str(plant.claim_id)], "decision": "approve"}
    asked = admin.post("/admin/claims/decide", data=form).get_data(as_text=True)
    assert 'id="confirm-count"' in asked and "A001" in asked
    assert session.get(PointEntry, plant.claim_id).status is EntryStatus.PENDING  # type: ignore[union-attr]
    admin.post("/admin/claims/decide", data={**form, "confirmed": "1"})
    session.expire_all()
    assert session.get(PointEntry, plant.claim_id).status is EntryStatus.APPROVED  # type: ignore[union-attr]
