"""The points ledger on the seeded plant: every path that approves a point entry writes
exactly one line (HR's bulk decision, an appeal's award, an HR line; the kiosk's remark
and claim_decision are in tests/server/api/test_api_rewards.py), deductions never take a
balance below zero, a leaver is paid out or forfeited, and cancelling a redemption refunds
it; everything audited."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.orm import Session

from server.db import alembic_config, make_engine, make_sessionmaker
from server.models import (
    AuditEntry,
    Entitlement,
    EntryStatus,
    Kiosk,
    LedgerLine,
    LedgerSource,
    PointEntry,
    Redemption,
    RedemptionState,
    Reward,
    SnapshotCard,
    User,
    Worker,
)
from server.scoring import period_span
from server.services import Conflict, InvalidInput
from server.services.periods.closing import close_period, reopen_period
from server.services.points import appeals, claims, ledger
from server.services.reports import payroll
from server.services.rewards import redemptions
from server.services.rewards.catalogue import RewardSpec, add_reward
from server.services.rewards.reads import worker_points
from support.factory import Plant

ZONE = ZoneInfo("UTC")


def _admin(session: Session) -> User:
    return session.scalars(select(User).where(User.username == "admin")).one()


def _worker(session: Session, code: str) -> Worker:
    return session.scalars(select(Worker).where(Worker.code == code)).one()


def _lines(session: Session, entry_id: int) -> list[LedgerLine]:
    return list(session.scalars(select(LedgerLine).where(LedgerLine.point_entry_id == entry_id)))


def test_an_approved_claim_is_one_ledger_line(session: Session, plant: Plant) -> None:
    claims.decide_claims(session, [plant.claim_id], True, "好", _admin(session), zone=ZONE)
    claims.decide_claims(session, [plant.claim_id], True, "again", _admin(session), zone=ZONE)
    session.commit()
    [line] = _lines(session, plant.claim_id)
    assert (line.source, line.points) == (LedgerSource.CLAIM, 5)
    assert ledger.balance(session, _worker(session, "A001").id) == 5


def test_a_rejected_claim_is_no_line(session: Session, plant: Plant) -> None:
    claims.decide_claims(session, [plant.claim_id], False, "no", _admin(session), zone=ZONE)
    assert _lines(session, plant.claim_id) == []


def test_an_appeal_award_is_one_ledger_line(app: Flask, session: Session, plant: Plant) -> None:
    appeals.resolve(session, plant.appeal_id, True, "ok", _admin(session),
                    zone=app.config["SHOPFLOOR"].zone,
                    correction=appeals.PointAward(5, "帮忙修机"))
    session.commit()
    entry = session.scalars(select(PointEntry).where(PointEntry.category_id.is_(None))).one()
    [line] = _lines(session, entry.id)
    assert (line.source, line.points) == (LedgerSource.ADJUSTMENT, 5)


def test_hr_lines_count_and_never_go_below_zero(session: Session, plant: Plant) -> None:
    line = ledger.hr_line(session, "A001", 12, "5S 检查第一", "tidy_5s", "user:admin",
                          plant.today)
    session.commit()
    entry = session.get(PointEntry, line.point_entry_id)
    assert entry is not None and entry.status is EntryStatus.APPROVED
    assert entry.date == plant.today and line.source is LedgerSource.HR
    with pytest.raises(Conflict, match="below zero"):
        ledger.hr_line(session, "A001", -13, "扣分", None, "user:admin", plant.today)
    session.rollback()
    ledger.hr_line(session, "A001", -12, "扣分", None, "user:admin", plant.today)
    session.commit()
    assert ledger.balance(session, _worker(session, "A001").id) == 0
    with pytest.raises(InvalidInput):
        ledger.hr_line(session, "A001", 0, "x", None, "user:admin", plant.today)
    with pytest.raises(InvalidInput):
        ledger.hr_line(session, "A001", 5, " ", None, "user:admin", plant.today)
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "point.hr")) == 2


def test_a_leaver_is_paid_out_or_forfeited_once(session: Session, plant: Plant) -> None:
    ledger.hr_line(session, "A001", 30, "奖励", None, "user:admin", plant.today)
    session.commit()
    with pytest.raises(Conflict, match="still active"):
        ledger.settle_leaver(session, "A001", "payout", "user:admin")
    _worker(session, "A001").active = False
    line = ledger.settle_leaver(session, "A001", "payout", "user:admin", "离职结算")
    session.commit()
    assert (line.points, line.source) == (-30, LedgerSource.PAYOUT)
    assert ledger.balance(session, _worker(session, "A001").id) == 0
    with pytest.raises(Conflict, match="no points"):
        ledger.settle_leaver(session, "A001", "forfeit", "user:admin")
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "ledger.payout")).one()


def test_cancelling_a_redemption_refunds_the_points_and_the_stock(
        session: Session, plant: Plant) -> None:
    ledger.hr_line(session, "A001", 30, "奖励", None, "user:admin", plant.today)
    add_reward(session, "CUP", RewardSpec(name="杯子", cost=20, stock=1), "test")
    session.commit()
    worker = _worker(session, "A001")
    plan = redemptions.check_redeem(session, worker, "CUP", None)
    done = redemptions.redeem(session, plan, "11111111-1111-4111-8111-111111111111",
                              "kiosk:K1/A001", datetime.now(UTC))
    session.commit()
    assert ledger.balance(session, worker.id) == 10
    with pytest.raises(Conflict, match="too few points"):
        redemptions.check_redeem(session, worker, "CUP", None)
    redemptions.cancel(session, done, "user:admin", "缺货")
    session.commit()
    session.expire_all()
    assert ledger.balance(session, worker.id) == 30
    assert session.scalars(select(Reward.stock)).one() == 1
    assert session.get(Redemption, done.id).state is RedemptionState.CANCELLED  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="cancelled"):
        redemptions.hand_over(session, done, "user:admin")


def test_closing_a_period_grants_the_tier_menus_and_cash_goes_to_payroll(
        app: Flask, session: Session, plant: Plant) -> None:

    zone = app.config["SHOPFLOOR"].zone
    add_reward(session, "BONUS", RewardSpec(name="奖金", cost=1, menus=("excellent",),
                                            cash=100), "test")
    session.commit()
    key = period_span("month", plant.last_month).label
    close_period(session, "W1", "month", key, "hr", zone, plant.today)
    session.commit()
    tiers = {c.worker_id: c.tier for c in session.scalars(select(SnapshotCard))}
    granted = list(session.scalars(select(Entitlement)))
    assert granted and all(tiers[e.worker_id] == "excellent" for e in granted)
    assert {e.period_key for e in granted} == {key}
    # closing again (after a reopen) grants nothing twice
    reopen_period(session, "W1", "month", key, "hr", "late data")
    close_period(session, "W1", "month", key, "hr", zone, plant.today)
    session.commit()
    assert len(session.scalars(select(Entitlement)).all()) == len(granted)
    winner = session.get(Worker, granted[0].worker_id)
    assert winner is not None
    kiosk = session.scalars(select(Kiosk)).one()
    [offered] = worker_points(session, kiosk, winner.code)["entitlements"]
    assert offered["rewards"] == ["BONUS"] and offered["tier_name"] == "优秀"
    plan = redemptions.check_redeem(session, winner, "BONUS", granted[0].id)
    done = redemptions.redeem(session, plan, "22222222-2222-4222-8222-222222222222", "test",
                              datetime.now(UTC))
    redemptions.hand_over(session, done, "user:admin")
    session.commit()
    assert ledger.balance(session, winner.id) == 0  # at no cost
    this_month = period_span("month", plant.today).start
    rows = payroll._reward_cash_rows(session, period_span("month", this_month), zone, None)
    assert [(r[1], r[-1]) for r in rows] == [(winner.code, 100)]



def upgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_migration_0006_pays_approved_entries_into_the_ledger(empty_database_url: str) -> None:
    """Entries approved before the ledger existed become its first lines."""
    upgrade(empty_database_url, "0005")
    engine = make_engine(empty_database_url)
    try:
        meta = MetaData()
        shops, workers, entries = (Table(name, meta, autoload_with=engine)
                                   for name in ("workshops", "workers", "point_entries"))
        now = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as connection:
            shop = connection.execute(shops.insert().values(code="W1", name="一车间")
                                      ).inserted_primary_key[0]
            worker = connection.execute(workers.insert().values(
                code="A001", name="张三", workshop_id=shop, language="zh_CN", role="worker",
                active=True, created_at=now)).inserted_primary_key[0]
            for points, status in ((5.0, "approved"), (7.0, "pending"), (3.0, "approved")):
                connection.execute(entries.insert().values(
                    worker_id=worker, points=points, date=now.date(), status=status,
                    decided_at=now, created_at=now))
        engine.dispose()
        upgrade(empty_database_url, "0006")
        with make_sessionmaker(engine)() as session:
            lines = session.scalars(select(LedgerLine).order_by(LedgerLine.id)).all()
            assert [(line.points, line.source) for line in lines] == [
                (5.0, LedgerSource.ADJUSTMENT), (3.0, LedgerSource.ADJUSTMENT)]
            assert ledger.balance(session, worker) == 8
    finally:
        engine.dispose()
