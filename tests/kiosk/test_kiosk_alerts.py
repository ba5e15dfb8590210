"""Issue 17's andon on the kiosk: the supervisor's "alerts" button with its count, the list
of open alerts (machine, reason, reporter, minutes open on the server's clock) spoken in the
supervisor's language, "acknowledge" as one sealed ``alert_ack`` act, and the dimension
detail saying uptime was missed because of machine faults.

The last test runs it all against the real server: the app under waitress on loopback, the
kiosk's own client and sync worker, a worker's fault logged on the kiosk, the supervisor's
acknowledgement accepted by the server (PIN checked from the seal) and the wall's banner
gone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pygame
import pytest
from act_support import LONG_EN, LONG_ZH, SUPERVISOR, supervised_roster
from kiosk_fakes import (
    LI_UID,
    SEALING_PRIVATE,
    SUPERVISOR_PIN,
    ZHANG_UID,
    card_credential,
    give_test_keys,
    scorecard_json,
)
from kiosk_support import badge, screenshot, tap_button, tap_card
from sqlalchemy import select

from kiosk import events
from kiosk.app import App
from kiosk.background.sync import SyncWorker
from kiosk.clock import SystemClock
from kiosk.config import KioskConfig
from kiosk.link.client import KioskClient
from kiosk.model import Alert, Scorecard, alerts_from_json, alerts_key
from kiosk.scenes.alerts import ACKED_KEY, server_now
from kiosk.scenes.base import Context
from kiosk.scenes.dimension import DimensionScene
from kiosk.store import Store
from kiosk.ui import theme
from server import create_app
from server.config import Config
from server.models import Alert as ServerAlert
from server.models import Language, Worker
from server.services.devices.displays import add_display
from server.services.devices.keys import load_keys
from server.services.people.badges import assign_card
from shopfloor_trust.seal import open_seal
from support.factory import SUPERVISOR_PIN as SERVER_PIN
from support.factory import build_factory
from support.waitress_thread import waitress_thread

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _now() -> None:
    """Minutes open are counted on the real clock: "now" is when each test starts, not when
    the module was imported (a whole run collects everything minutes before)."""
    global NOW
    NOW = datetime.now(UTC).replace(microsecond=0)


def alert_json(ident: int, minutes_ago: float, *, kind: str = "machine_fault",
               machine: str | None = "M1", machine_name: str | None = "1号车床",
               reason: str | None = "spindle", reporter: str = "W100",
               reporter_name: str = "王芳", acknowledged_by: str | None = None
               ) -> dict[str, Any]:
    opened = NOW - timedelta(minutes=minutes_ago)
    return {"id": ident, "kind": kind, "workshop": "W1", "workshop_name": "机加工车间",
            "machine": machine, "machine_name": machine_name, "reason": reason,
            "reporter": reporter, "reporter_name": reporter_name,
            "opened_at": opened.isoformat(),
            "acknowledged_at": (opened + timedelta(minutes=2)).isoformat()
            if acknowledged_by else None,
            "acknowledged_by_name": acknowledged_by, "resolved_at": None, "downtime_s": None}


def three_alerts() -> list[dict[str, Any]]:
    """As GET /api/v1/alerts answers: the oldest unacknowledged first."""
    return [alert_json(7, 42, reason=None),
            alert_json(9, 5, kind="quality_issue", machine=None, machine_name=None,
                       reason="burr", reporter="W101", reporter_name="刘洋"),
            alert_json(3, 90, machine="M2", machine_name="2号车床", acknowledged_by="李班长")]


def supervisor_in(app: App, lang: str = "zh_CN") -> None:
    app.ctx.store.save_roster(supervised_roster(lang=lang), '"r-sup"')
    app.reload_roster()
    badge(app, card_credential(LI_UID))
    tap_button(app, "supervisor")
    for digit in SUPERVISOR_PIN:
        tap_button(app, f"key:{digit}")
    tap_button(app, "ok")
    assert type(app.scenes.top).__name__ == "SupervisorScene"


def names(app: App) -> list[str]:
    return [b.name for b in app.scenes.top.buttons]


def spoken(speaker: Any) -> list[str]:
    return [key for _, parts in speaker.said for key, _ in parts]


def said(speaker: Any) -> str:
    return "".join(text for _, text in speaker.said[-1][1])


def peek(store: Store) -> list[Any]:
    items = store.claim_batch(500)
    for item in items:
        store.nack(item.uuid, "test peek")
    return items


def assert_targets(app: App) -> None:
    for button in app.scenes.top.buttons:
        if button.name.startswith("alert:"):
            continue  # the row itself: a tap reads it out again, nothing more
        assert min(button.rect.size) >= theme.MIN_TARGET, (app.scenes.top.name, button.name)
        assert pygame.Rect(0, theme.TOP_BAR, 1280, 800 - theme.TOP_BAR).contains(button.rect)


# --- the model ---------------------------------------------------------------------------
def test_alerts_from_the_servers_json_tolerate_what_they_cannot_show() -> None:
    body = {"alerts": [*three_alerts(), {"id": "x", "kind": "machine_fault"},
                       {"id": 5, "kind": "fire_drill"}, None, {"id": True, "kind": "quality_issue"},
                       alert_json(11, 1) | {"opened_at": "2026-11-20T10:00:00"}]}
    found = alerts_from_json(body)
    assert [a.id for a in found] == [3, 7, 9, 11], "oldest first, a naive time last"
    assert found[-1].opened_at is None and found[-1].minutes_open(NOW) == 0
    quality = next(a for a in found if a.id == 9)
    assert (quality.machine, quality.machine_name, quality.reason) == ("", "", "burr")
    assert next(a for a in found if a.id == 7).minutes_open(NOW) == 42
    assert alerts_from_json(None) == [] and alerts_from_json({"alerts": "no"}) == []


def ahead_by(store: Store, seconds: float) -> None:
    """The server's clock, as its Date header told it, ``seconds`` ahead of the kiosk's."""
    reading = SystemClock().read()
    store.set_server_clock(reading.wall + seconds - reading.since_boot)


def test_a_kiosk_whose_clock_is_off_counts_minutes_on_the_servers(make_app, store) -> None:
    app = make_app()
    reading = SystemClock().read()
    store.set_server_clock(reading.wall + 3600 - reading.since_boot)  # the server: 1 h ahead
    ahead = server_now(app.ctx)
    assert timedelta(minutes=59) < ahead - datetime.now(UTC) < timedelta(minutes=61)
    alert = Alert.from_json(alert_json(1, 10))
    assert alert is not None and 69 <= alert.minutes_open(ahead) <= 70


# --- the supervisor's view -----------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_alerts_button_counts_what_waits_and_the_list_is_read_out(
        make_app, store, speaker, sync, lang) -> None:
    app = make_app()
    give_test_keys(store)
    store.save_cached(alerts_key("W1"), three_alerts())
    supervisor_in(app, lang)
    assert sync.alerts == ["W1"], "the supervisor's view asks for fresh alerts"
    button = next(b for b in app.scenes.top.buttons if b.name == "alerts")
    assert button.count == 2 and button.color == theme.BAD  # 7 and 9; 3 is acknowledged
    app.step()
    app.render()
    assert spoken(speaker)[-1] == "say.alerts_open"
    assert said(speaker) == ("有2个警报还没人确认。" if lang == "zh_CN"
                             else "Alerts nobody has acknowledged: 2.")
    assert_targets(app)
    screenshot(app, f"alerts_supervisor_{lang}")

    tap_button(app, "alerts")
    assert app.scenes.top.name == "alerts"
    assert names(app)[:6] == ["alert:7", "alert:9", "alert:3", "ack:7", "ack:9", "back"]
    assert speaker.said[-1][0] == lang
    if lang == "zh_CN":
        assert said(speaker) == ("有2个警报还没人确认。1号车床，设备故障，已经42分钟。"
                                 "未指定设备，质量问题，burr，已经5分钟。")
    else:
        assert said(speaker) == ("Alerts nobody has acknowledged: 2.1号车床: Machine fault, "
                                 "open 42 minutes.No machine named: Quality issue, burr, open "
                                 "5 minutes.")
    assert_targets(app)
    screenshot(app, f"alerts_{lang}")
    tap_button(app, "alert:3")  # a tap on a row reads it out again
    assert spoken(speaker)[-1] == "say.alert_line" and "90" in said(speaker)


def test_acknowledge_is_one_sealed_act_and_the_list_keeps_it_until_the_server_says_so(
        make_app, store, speaker, sync) -> None:
    app = make_app()
    give_test_keys(store)
    store.save_cached(alerts_key("W1"), three_alerts())
    supervisor_in(app)
    tap_button(app, "alerts")
    tap_button(app, "ack:7")
    (ack,) = [i for i in peek(store) if i.kind == "alert_ack"]
    assert (ack.worker, ack.payload) == (SUPERVISOR, {"alert": 7})
    assert open_seal(ack.proof, SEALING_PRIVATE, "alert_ack") == SUPERVISOR_PIN
    assert said(speaker) == "已确认：1号车床，设备故障。"
    assert "ack:7" not in names(app) and "ack:9" in names(app)
    assert sync.alerts[-1] == "W1"
    # the server's list from before the act arrived: 7 stays acknowledged here
    pygame.event.post(pygame.event.Event(events.ALERTS_READY, workshop="W1"))
    app.step()
    assert "ack:7" not in names(app)
    assert json.loads(store.get_setting(ACKED_KEY)) == [7]
    screenshot(app, "alerts_acknowledged_zh_CN")
    tap_button(app, "back")
    assert next(b for b in app.scenes.top.buttons if b.name == "alerts").count == 1
    # the server now lists it acknowledged: nothing is kept for it any more
    answered = three_alerts()
    answered[0].update(acknowledged_at=NOW.isoformat(), acknowledged_by_name="李班长")
    store.save_cached(alerts_key("W1"), answered)
    pygame.event.post(pygame.event.Event(events.ALERTS_READY, workshop="W1"))
    app.step()
    assert json.loads(store.get_setting(ACKED_KEY)) == []
    tap_button(app, "alerts")
    tap_button(app, "ack:9")
    assert [i.payload for i in peek(store) if i.kind == "alert_ack"] == [{"alert": 7},
                                                                        {"alert": 9}]
    assert "ack:" not in " ".join(names(app))


def test_without_the_servers_key_an_acknowledgement_records_nothing(
        make_app, store, speaker) -> None:
    app = make_app()
    give_test_keys(store)
    store.save_cached(alerts_key("W1"), three_alerts())
    supervisor_in(app)
    tap_button(app, "alerts")
    store.forget_keys()
    tap_button(app, "ack:7")
    assert app.scenes.top.name == "no_keys"
    assert [i for i in peek(store) if i.kind == "alert_ack"] == []
    assert store.get_setting(ACKED_KEY) is None


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_long_names_and_an_empty_list(make_app, store, lang) -> None:
    app = make_app()
    give_test_keys(store)
    long_machine = "五轴联动数控加工中心（进口设备，德国制造）" if lang == "zh_CN" \
        else "Five-axis CNC machining centre (imported, made in Germany)"
    rows = [alert_json(20 + i, 700 + i, machine_name=long_machine,
                       reason="hydraulic_pressure_low_on_clamp",
                       reporter_name=LONG_ZH if lang == "zh_CN" else LONG_EN) for i in range(4)]
    store.save_cached(alerts_key("W1"), rows)
    supervisor_in(app, lang)
    tap_button(app, "alerts")
    assert "page:next" in names(app) and len([n for n in names(app) if n.startswith("ack:")]) == 3
    assert_targets(app)
    screenshot(app, f"alerts_long_{lang}")
    tap_button(app, "page:next")
    assert [n for n in names(app) if n.startswith("ack:")] == ["ack:20"]  # the newest
    store.save_cached(alerts_key("W1"), [])
    pygame.event.post(pygame.event.Event(events.ALERTS_READY, workshop="W1"))
    app.step()
    assert [n for n in names(app) if n.startswith(("ack:", "alert:"))] == []
    screenshot(app, f"alerts_none_{lang}")


def test_the_minutes_open_count_on_while_the_list_is_shown(make_app, store) -> None:
    app = make_app()
    give_test_keys(store)
    store.save_cached(alerts_key("W1"), [alert_json(1, 3)])
    supervisor_in(app)
    tap_button(app, "alerts")
    (row,) = [b for b in app.scenes.top.buttons if b.name == "alert:1"]
    assert row.minutes == 3
    ahead_by(store, 120)  # two minutes on
    app.step()
    (row,) = [b for b in app.scenes.top.buttons if b.name == "alert:1"]
    assert row.minutes == 5


# --- the dimension detail ------------------------------------------------------------------
def uptime_card(faults: dict[str, float]) -> dict[str, Any]:
    card = scorecard_json()
    days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]
    card["dimensions"][0].update(met=False, value=0.7, daily=[
        {"date": d, "value": v} for d, v in zip(days, [0.8, 0.58, 0.9, 0.66, 0.86], strict=True)
    ], daily_met={
        "2026-11-16": True, "2026-11-17": False, "2026-11-18": True, "2026-11-19": False,
        "2026-11-20": True}, fault_minutes=faults)
    return card


@pytest.mark.parametrize(("faults", "minutes"), [
    ({"2026-11-17": 45, "2026-11-18": 20}, 45),  # the 18th was met: its fault is no reason
    ({"2026-11-17": 30.4, "2026-11-19": 14.6}, 45),
    ({"2026-11-18": 60}, 0),
    ({}, 0),
])
def test_uptime_missed_because_of_faults_is_said(make_app, store, speaker, faults,
                                                  minutes) -> None:
    app = make_app()
    store.save_scorecard("W001", "week", uptime_card(faults))
    badge(app, card_credential(ZHANG_UID))
    before = len(speaker.said)
    tap_button(app, "dim:uptime")
    assert app.scenes.top.name == "dimension"
    told = [text for _, parts in speaker.said[before:] for key, text in parts
            if key == "say.dim_fault"]
    if minutes:
        assert told == [f"开机率未达标是因为设备故障（{minutes}分钟）。"]
        screenshot(app, f"dimension_faults_{len(faults)}_zh_CN")
    else:
        assert told == []


def test_the_fault_line_in_english(make_app, store, speaker) -> None:
    app = make_app()
    alice = app.ctx.roster().workers["W002"]  # speaks English
    dim = Scorecard.from_json(uptime_card({"2026-11-17": 45})).dimensions[0]
    app.scenes.push(DimensionScene(app.ctx, alice, "week", dim))
    app.step()
    assert said(speaker) == "Uptime was missed because of machine faults, 45 minutes."
    screenshot(app, "dimension_faults_en")


# --- against the real server ---------------------------------------------------------------
@pytest.fixture
def server(migrated: Config) -> Any:
    """The real app (not the kiosk's `app` of this folder) with a session on its database."""
    made = create_app(migrated)
    with made.extensions["shopfloor.sessionmaker"]() as session:
        yield made, session
    made.extensions["shopfloor.engine"].dispose()


def test_a_fault_on_the_floor_acknowledged_at_the_kiosk_reaches_the_server_and_the_wall(
        server, store, speaker, display, tmp_path) -> None:
    """The app under waitress on loopback; the kiosk's own client and sync worker."""
    app, session = server
    made = build_factory(session)
    keys = load_keys(app.config["SHOPFLOOR"].data_dir)
    assign_card(session, keys, "W001", "04A1B2C3D4E5F6", "test")
    assign_card(session, keys, "S001", "0BADC0DE", "test")
    wall = add_display(session, "TV-andon", "W1", Language.ZH_CN, actor="test").path()
    session.commit()
    with waitress_thread(app) as url:
        client = KioskClient(url, made.kiosk_token, queue_depth=store.depth)
        store.set_settings({"server_id": str(client.health()["server_id"]),
                            "token": made.kiosk_token})
        posted: list[tuple[int, dict[str, Any]]] = []

        def post(kind: int, **attrs: Any) -> None:
            posted.append((kind, attrs))
            events.post(kind, **attrs)

        sync = SyncWorker(store, client, post=post)
        ctx = Context(store=store, speaker=speaker, sync=sync, workshop="W1")
        kiosk = App(KioskConfig(data_dir=tmp_path), ctx, display, enrolled=True)
        sync.run_once()  # keys, the roster
        kiosk.reload_roster()
        assert store.sealing_key() is not None and ctx.roster().workers["S001"].is_supervisor

        tap_card(kiosk, ZHANG_UID)  # the worker reports a fault on CNC-1
        tap_button(kiosk, "log")
        tap_button(kiosk, "machine_fault")
        tap_button(kiosk, "machine:M1")
        # the reasons HR keeps (migration 0012 seeds a first set), each by its picture
        assert {"reason:gear_jam", "reason:no_power", "reason:other"} <= {
            b.name for b in kiosk.scenes.top.buttons}
        tap_button(kiosk, "reason:gear_jam")
        sync.run_once()
        alert = session.scalars(select(ServerAlert)).one()
        assert (alert.machine.code, alert.reporter.code, alert.reason) == \
            ("M1", "W001", "gear_jam")
        board = app.test_client().get(f"{wall}/board.json").get_json()
        assert [a["id"] for a in board["boards"][0]["alerts"]] == [alert.id]
        assert board["boards"][0]["alerts"][0]["reason_name"] == "卡料/卡死"

        kiosk.scenes.reset()
        tap_card(kiosk, bytes.fromhex("0badc0de"))  # the supervisor, with their PIN
        tap_button(kiosk, "supervisor")
        for digit in SERVER_PIN:
            tap_button(kiosk, f"key:{digit}")
        tap_button(kiosk, "ok")
        sync.run_once()  # the alerts the supervisor's view asked for
        kiosk.step()
        assert next(b for b in kiosk.scenes.top.buttons if b.name == "alerts").count == 1
        tap_button(kiosk, "alerts")
        kiosk.step()
        tap_button(kiosk, f"ack:{alert.id}")
        sync.run_once()
        assert store.depth() == 0
        session.expire_all()
        supervisor = session.scalars(select(Worker).where(Worker.code == "S001")).one()
        assert alert.acknowledged_by == f"worker:{supervisor.id}"
        board = app.test_client().get(f"{wall}/board.json").get_json()
        assert board["boards"][0]["alerts"] == []
        kiosk.step()
        assert (events.ALERTS_READY, {"workshop": "W1"}) in posted
        assert f"ack:{alert.id}" not in names(kiosk)
        assert store.get_setting(ACKED_KEY) == "[]", "the server's list says it now"
        screenshot(kiosk, "alerts_server_acknowledged_zh_CN")
        client.close()
