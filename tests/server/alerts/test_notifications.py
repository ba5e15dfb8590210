"""Notifications: the outbox sent once by one process, retried with backoff, targets named
without their keys, escalations and daily summaries on a clock the test turns, and apprise
itself posting to a local listener (`webhook`, tests/server/alerts/conftest.py)."""

from __future__ import annotations

import json
import logging
import threading
import time as clock_time
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cli import main
from server.config import Config
from server.models import (
    Alert,
    AuditEntry,
    Event,
    Notification,
    NotificationState,
    RecordSource,
    User,
    UserRole,
)
from server.services.alerts import acknowledge
from server.services.alerts import outbox as outbox_module
from server.services.alerts.notify import apprise_send, label
from server.services.alerts.schedule import Settings
from server.services.alerts.sender import Sender
from server.services.production.records import ProductionRow, upsert_production
from server.serving.notifier import Notifier
from shopfloor_logging import JsonFormatter
from support.factory import PostEvents, make_event

# apprise loads its e-mail plugin's PGP support through a shim of the `imghdr` module,
# which Python 3.11 marks deprecated (ignored outside tests, as DeprecationWarnings are).
pytestmark = [pytest.mark.usefixtures("factory"),
              pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")]
ZONE = ZoneInfo("Asia/Shanghai")
A = "json://127.0.0.1:9/a?token=SECRET-A"
B = "json://hook-user:SECRET-B@127.0.0.1:9/b"
E = "wecombot://SECRET-E"


class Targets:
    """A transport that records what each target took; URLs in `broken` refuse."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.broken: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, url: str, title: str, body: str) -> bool:
        if url in self.broken:
            return False
        with self.lock:
            self.sent.append((url, title, body))
        return True

    def to(self, url: str) -> list[tuple[str, str]]:
        return [(t, b) for u, t, b in self.sent if u == url]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _settings(**changes: Any) -> Settings:
    return replace(Settings(notify_urls=(A, B), escalate_urls=(E,),
                            escalate_after=timedelta(minutes=15), zone=ZONE), **changes)


def _sender(app: Flask, targets: Targets, clock: Clock, me: str = "test:1",
            **settings: Any) -> Sender:
    return Sender(app.extensions["shopfloor.sessionmaker"], _settings(**settings), me,
                  transport=targets, clock=clock)


def _fresh(session: Session) -> Session:
    session.rollback()
    session.expire_all()
    return session


def _rows(session: Session) -> list[Notification]:
    return list(_fresh(session).scalars(select(Notification).order_by(Notification.id)))


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _later() -> datetime:
    """A moment just after everything the test queued so far (which the server stamped
    with its own clock)."""
    return _now() + timedelta(seconds=1)


def _fault(at: datetime | None = None, machine: str = "M1") -> dict[str, Any]:
    return make_event("machine_fault", occurred_at=at or _now() - timedelta(minutes=1),
                      payload={"machine": machine, "fault": "E12"})


def test_a_new_alert_reaches_every_target_once(app: Flask, session: Session,
                                               post_events: PostEvents) -> None:
    post_events(_fault())
    targets, clock = Targets(), Clock(_later())
    sender = _sender(app, targets, clock)
    done = sender.run_round()
    assert list(done.sent.values()) == [NotificationState.SENT]
    [(title, body)] = targets.to(A)
    assert targets.to(B) == [(title, body)] and targets.to(E) == []
    assert title == "【设备故障】机加工车间 · CNC-1（M1） (machine fault)"
    assert body.splitlines()[:4] == ["车间：机加工车间", "设备：CNC-1（M1）", "原因：E12",
                                     "报告人：张三（W001）"]
    [row] = _rows(session)
    assert (row.state, row.attempts, row.sent_at) == (NotificationState.SENT, 1, clock.now)
    assert session.scalars(select(Alert.notified_at)).one() == clock.now
    sender.run_round()
    assert len(targets.sent) == 2  # never again


def test_each_notification_is_sent_once_by_one_of_several_processes(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    post_events(*[_fault(machine=m) for m in ("M1", "M2") * 6])
    targets, clock = Targets(), Clock(_later())
    slow = Targets()

    def transport(url: str, title: str, body: str) -> bool:
        clock_time.sleep(0.005)  # long enough for the processes to meet at each row
        return slow(url, title, body)

    senders = [Sender(app.extensions["shopfloor.sessionmaker"], _settings(), f"p{i}",
                      transport=transport, clock=clock) for i in range(3)]
    barrier = threading.Barrier(len(senders))

    def run(sender: Sender) -> None:
        barrier.wait()
        sender.deliver()

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(slow.to(A)) == len(slow.to(B)) == 12
    rows = _rows(session)
    assert {r.state for r in rows} == {NotificationState.SENT}
    assert all(r.attempts == 1 for r in rows)
    assert targets.sent == []
    # one claim changes a row; a second claim of the same row changes nothing
    post_events(_fault())
    fresh = max(r.id for r in _rows(session))
    later = _later()
    assert outbox_module.claim(session, fresh, "p1", later) is True
    assert outbox_module.claim(session, fresh, "p2", later) is False
    session.rollback()


def test_a_failed_target_is_tried_again_with_backoff_and_alone(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    post_events(_fault())
    targets, clock = Targets(), Clock(_later())
    targets.broken.add(B)
    sender = _sender(app, targets, clock)
    sender.run_round()
    [row] = _rows(session)
    assert (row.state, row.attempts) == (NotificationState.PENDING, 1)
    assert row.next_attempt_at == clock.now + timedelta(seconds=5)
    assert row.last_error == "not sent to json://127.0.0.1:9"
    assert len(targets.to(A)) == 1 and session.scalars(select(Alert.notified_at)).one() is None
    clock.advance(seconds=4)
    assert sender.run_round().sent == {}  # not due yet
    clock.advance(seconds=1)
    sender.run_round()
    assert _rows(session)[0].next_attempt_at == clock.now + timedelta(seconds=10)  # doubled
    targets.broken.clear()
    clock.advance(seconds=10)
    sender.run_round()
    [row] = _rows(session)
    assert (row.state, row.attempts) == (NotificationState.SENT, 3)
    assert (len(targets.to(A)), len(targets.to(B))) == (1, 1)  # A was not sent it again


def test_a_target_that_never_takes_it_is_given_up_after_the_last_attempt(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    post_events(_fault())
    targets, clock = Targets(), Clock(_later())
    targets.broken |= {A, B}
    sender = _sender(app, targets, clock)
    waits = []
    for _ in range(outbox_module.MAX_ATTEMPTS + 2):
        sender.run_round()
        row = _rows(session)[0]
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        clock.now = row.next_attempt_at
    assert (row.state, row.attempts) == (NotificationState.FAILED, outbox_module.MAX_ATTEMPTS)
    assert waits[:7] == [5, 10, 20, 40, 80, 160, 320]
    assert targets.sent == []


class ServerLog(logging.Handler):
    """What the server's log would hold: lines the root logger's handler formats (pytest's
    own capture also listens to loggers that do not propagate, so it cannot tell)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_the_log_names_targets_by_scheme_and_host_never_their_keys(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    assert label(A) == label(B) == "json://127.0.0.1:9"
    assert label(E).startswith("wecombot://#") and "SECRET" not in label(E)
    assert label("dingtalk://TOKEN/secret").startswith("dingtalk://#")
    post_events(_fault())
    targets, clock = Targets(), Clock(_later())
    targets.broken |= {B, E}
    log, root = ServerLog(), logging.getLogger()
    level = root.level
    root.addHandler(log)
    root.setLevel(logging.DEBUG)
    try:
        _sender(app, targets, clock).run_round()
        # apprise itself, to a closed port on this machine (never a real service's host),
        # with a user, a password and a key in the URL, which apprise's own debug lines
        # would quote
        assert apprise_send("json://SECRET-H:SECRET-P@127.0.0.1:9/x?key=SECRET-Q", "t",
                            "b") is False
    finally:
        root.removeHandler(log)
        root.setLevel(level)
    failed = [json.loads(line) for line in log.lines if "notification_failed" in line]
    assert failed and failed[0]["failed"] == ["json://127.0.0.1:9"]
    assert failed[0]["retry_in_s"] == 5
    assert not [line for line in log.lines if "SECRET" in line]
    assert not [line for line in log.lines if '"logger": "apprise' in line]


def test_nothing_is_sent_without_targets_and_old_messages_are_not_sent_late(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    post_events(_fault())
    targets, clock = Targets(), Clock(_later())
    _sender(app, targets, clock, notify_urls=(), escalate_urls=()).run_round()
    [row] = _rows(session)
    assert (row.state, row.last_error) == (NotificationState.SKIPPED,
                                           "no notify targets configured")
    post_events(_fault(machine="M2"))
    clock.advance(hours=7)
    _sender(app, targets, clock, escalate_urls=()).run_round()
    assert _rows(session)[1].state is NotificationState.SKIPPED
    assert targets.sent == []


def _escalations(targets: Targets) -> list[tuple[str, str]]:
    return targets.to(E)


def test_an_alert_nobody_acknowledged_is_escalated_once(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    start = _now()
    post_events(_fault(start - timedelta(minutes=1)),
                make_event("quality_issue", worker="W002", occurred_at=start,
                           payload={"issue": "DENT"}))
    fault, issue = _fresh(session).scalars(select(Alert).order_by(Alert.id)).all()
    hr = User(username="hr", password_hash="x", role=UserRole.ADMIN)
    session.add(hr)
    session.commit()
    acknowledge(session, issue.id, "user:hr", by_user=hr)
    session.commit()
    # Counted from the server's own stamp: on a busy machine the post lands seconds after
    # `start`, and a clock turned from `start` would be early.
    heard = session.get(Event, fault.event_id).received_at
    targets, clock = Targets(), Clock(heard + timedelta(minutes=14, seconds=30))
    sender = _sender(app, targets, clock)
    assert sender.run_round().escalated == []
    clock.advance(seconds=31)  # 15 minutes since the server heard of it
    assert sender.run_round().escalated == [fault.id]
    [(title, body)] = _escalations(targets)
    assert title.startswith("【升级·设备故障】机加工车间 · CNC-1（M1）")
    assert body.splitlines()[0] == "15 分钟无人确认，请立即处理。"
    assert "报告人：张三（W001）" in body
    clock.advance(minutes=30)
    assert sender.run_round().escalated == []
    assert len(_escalations(targets)) == 1
    _fresh(session)
    assert session.get(Alert, fault.id).escalated_at == heard + timedelta(minutes=15, seconds=1)
    assert session.get(Alert, issue.id).escalated_at is None
    assert session.scalars(select(AuditEntry.action).where(
        AuditEntry.action == "alert.escalate")).all() == ["alert.escalate"]
    assert {(r.kind, r.targets) for r in _rows(session)} == {
        ("alert", "notify"), ("escalation", "escalate")}


def test_escalation_counts_from_when_the_server_heard_and_needs_targets(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    start = _now()
    post_events(_fault(start - timedelta(hours=2)))  # from a kiosk back online
    targets, clock = Targets(), Clock(start + timedelta(minutes=10))
    sender = _sender(app, targets, clock)
    assert sender.run_round().escalated == []  # not at once, though 2 hours old
    clock.advance(minutes=6)
    assert _sender(app, targets, clock, escalate_urls=()).run_round().escalated == []
    assert len(sender.run_round().escalated) == 1
    # a resolved fault is never escalated
    post_events(_fault(clock.now - timedelta(minutes=1), machine="M2"),
                make_event("machine_start", occurred_at=clock.now, payload={"machine": "M2"}))
    clock.advance(hours=1)
    assert sender.run_round().escalated == []


def test_two_processes_escalate_an_alert_once(app: Flask, session: Session,
                                              post_events: PostEvents) -> None:
    post_events(_fault(_now()))
    targets, clock = Targets(), Clock(_later() + timedelta(minutes=16))
    senders = [_sender(app, targets, clock, me=f"p{i}") for i in range(3)]
    barrier = threading.Barrier(3)
    found: list[list[int]] = []

    def run(sender: Sender) -> None:
        barrier.wait()
        for _ in range(20):  # SQLite may refuse a write while another holds the lock
            try:
                found.append(sender.run_round().escalated)
                return
            except Exception:  # noqa: BLE001 (retried as the serving thread would)
                clock_time.sleep(0.05)

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(len(f) for f in found) == [0, 0, 1]
    assert len(_escalations(targets)) == 1


def _local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(ZONE).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def test_the_daily_summary_goes_once_per_workshop_at_the_set_time(
        app: Flask, session: Session, post_events: PostEvents) -> None:
    today = datetime.now(ZONE).date()
    upsert_production(session, [
        ProductionRow(today, "day", "W001", "M1", 480, 460, 950, 3),
        ProductionRow(today, "day", "W002", "M2", 480, 300, 500, 40)], RecordSource.MES,
        "test")
    session.commit()
    post_events(_fault(), make_event("point_claim", worker="W002",
                                     payload={"category": "help_colleague"}))
    targets, clock = Targets(), Clock(_local(0, 7, 59))
    sender = _sender(app, targets, clock, daily_summary_at=time(8, 0))
    assert sender.run_round().summaries == []
    clock.now = _local(0, 8, 0)
    keys = sender.run_round().summaries
    assert keys == [f"summary:W1:{today}", f"summary:W2:{today}"]
    w1 = [(t, b) for t, b in targets.to(A) if t.startswith("【每日汇总】机加工车间")]
    [(title, body)] = w1
    assert title == f"【每日汇总】机加工车间 · {today.month}月{today.day}日 (daily summary)"
    lines = body.splitlines()
    assert lines[0] == "本周前五名："
    assert lines[1].startswith("  1. 张三（W001） ") and lines[2].startswith("  2. 李四（W002） ")
    assert "未处理问题：1 个" in lines
    assert any(line.startswith("  · 设备故障 CNC-1（M1） E12，") and line.endswith("未确认")
               for line in lines)
    assert lines[-1] == "待审批申请：1 个"
    w2 = [b for t, b in targets.to(A) if t.startswith("【每日汇总】装配车间")]
    assert w2 and "未处理问题：0 个" in w2[0] and w2[0].endswith("待审批申请：0 个")
    clock.now = _local(0, 8, 30)
    assert sender.run_round().summaries == []
    clock.now = _local(1, 9, 1)  # the next day, past the window: not sent hours late
    assert sender.run_round().summaries == []
    clock.now = _local(2, 8, 5)
    assert len(sender.run_round().summaries) == 2
    assert _sender(app, targets, clock, daily_summary_at=None).run_round().summaries == []
    # another process at the same time finds them queued: none twice
    assert _sender(app, targets, clock, me="p2",
                   daily_summary_at=time(8, 0)).run_round().summaries == []
    assert len([t for t, _ in targets.to(A) if t.startswith("【每日汇总】")]) == 4


def test_apprise_posts_to_a_json_target(webhook: Any) -> None:
    assert apprise_send(webhook.url("/andon"), "标题", "正文") is True
    [got] = webhook.wait(1)
    assert got.path == "/andon" and (got.body["title"], got.body["message"]) == ("标题", "正文")
    webhook.status = 500
    assert apprise_send(webhook.url("/andon"), "t", "b") is False
    started = clock_time.monotonic()
    assert apprise_send("json://127.0.0.1:9/closed", "t", "b") is False
    assert clock_time.monotonic() - started < 10
    assert apprise_send("nosuchscheme://x", "t", "b") is False


def test_the_serving_thread_sends_a_new_alert_within_seconds(
        app: Flask, config: Config, post_events: PostEvents, webhook: Any) -> None:
    notifier = Notifier(app.extensions["shopfloor.sessionmaker"],
                        replace(config, notify_urls=(webhook.url(),)))
    notifier.start()
    try:
        posted = clock_time.monotonic()
        post_events(_fault())
        [got] = webhook.wait(1, timeout=10)
    finally:
        notifier.stop()
    assert got.at - posted < 5
    assert "CNC-1" in got.body["title"] and "张三" in got.body["message"]
    assert not [t for t in threading.enumerate() if t.name == "notifier"]


def test_notify_test_sends_one_message_to_each_target(
        webhook: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPFLOOR_NOTIFY_URLS", webhook.url("/n", token="SECRET-T"))
    monkeypatch.setenv("SHOPFLOOR_ESCALATE_URLS", "json://127.0.0.1:9/dead")
    assert main(["notify", "test", "--json"]) == 1  # the escalation target is down
    out = capsys.readouterr().out
    assert json.loads(out)["targets"] == [
        {"target": f"json://127.0.0.1:{webhook.port}", "list": "notify", "sent": True},
        {"target": "json://127.0.0.1:9", "list": "escalate", "sent": False}]
    assert "SECRET" not in out
    [got] = webhook.wait(1)
    assert got.body["title"].startswith("【测试】")
    monkeypatch.delenv("SHOPFLOOR_ESCALATE_URLS")
    assert main(["notify", "test"]) == 0
    monkeypatch.delenv("SHOPFLOOR_NOTIFY_URLS")
    assert main(["notify", "test"]) == 1
    assert "no notification targets" in capsys.readouterr().err


def test_alert_list_prints_the_open_alerts(
        config: Config, post_events: PostEvents, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    post_events(_fault(), make_event("quality_issue", worker="W002", payload={}))
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("SHOPFLOOR_DATABASE_URL", config.database_url)
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", config.timezone)
    assert main(["alert", "list", "--workshop", "W1", "--json"]) == 0
    alerts = json.loads(capsys.readouterr().out)["alerts"]
    assert [(a["kind"], a["machine"], a["reporter"]) for a in alerts] == [
        ("quality_issue", None, "W002"), ("machine_fault", "M1", "W001")]
    assert main(["alert", "list"]) == 0
    text = capsys.readouterr().out
    assert "设备故障" in text and "NOT ACKNOWLEDGED" in text and "E12" in text
    assert main(["alert", "list", "--workshop", "W2"]) == 0
    assert capsys.readouterr().out.strip() == "no open alerts"
    assert main(["alert", "list", "--workshop", "NOPE"]) == 1
