"""A machine fault or a quality issue logged at the kiosk asks what is wrong by the pictures
of the reasons HR keeps (the roster's ``reasons``), and the event carries the one picked
(``fault`` or ``issue``); "other" sends none; without reasons the step is skipped. The
points lines show the category's own picture."""

from __future__ import annotations

import pytest
from kiosk_fakes import ZHANG_UID, card_credential, points_json, roster_json, scorecard_json
from kiosk_support import badge, tap_button

from kiosk.model import Roster
from kiosk.store import points_key

REASONS = [
    {"code": "gear_jam", "name": "卡料", "name_en": "Jammed", "kind": "machine_fault",
     "pictogram": "gear_jam"},
    {"code": "leak", "name": "漏油", "name_en": None, "kind": "machine_fault",
     "pictogram": "leak"},
    {"code": "burr", "name": "毛刺", "name_en": "Burr", "kind": "quality_issue",
     "pictogram": "burr"},
    {"code": "x", "kind": "machine_fault"},  # no picture: "other"; no name: its code
    {"name": "no code"}, "not a reason",
]


def outbox(store) -> list[tuple[str, dict]]:
    items = store.claim_batch(500)
    for item in items:
        store.nack(item.uuid, "test peek")
    return [(item.kind, item.payload) for item in items if item.kind != "badge_in"]


@pytest.fixture
def floor(make_app, store):
    app = make_app()
    roster = roster_json()
    roster["reasons"] = REASONS
    roster["categories"][0]["pictogram"] = "wrench"
    store.save_roster(roster, '"r-reasons"')
    app.reload_roster()
    store.save_scorecard("W001", "week", scorecard_json())
    badge(app, card_credential(ZHANG_UID))
    return app


def test_the_roster_reads_reasons_and_pictures_and_tolerates_junk() -> None:
    roster = roster_json()
    roster["reasons"] = REASONS
    read = Roster.from_json(roster)
    assert [(r.code, r.kind, r.pictogram) for r in read.reasons] == [
        ("gear_jam", "machine_fault", "gear_jam"), ("leak", "machine_fault", "leak"),
        ("burr", "quality_issue", "burr"), ("x", "machine_fault", "other")]
    assert read.reasons[0].label("en") == "Jammed" and read.reasons[1].label("en") == "漏油"
    assert read.reasons[3].label("zh_CN") == "x"
    assert {c.pictogram for c in read.categories} == {"medal"}  # an older server: the medal
    assert Roster.from_json(roster_json()).reasons == []


@pytest.mark.parametrize(("kind", "picked", "field"), [
    ("machine_fault", "gear_jam", "fault"), ("quality_issue", "burr", "issue")])
def test_a_reason_is_picked_by_its_picture(floor, store, kind, picked, field) -> None:
    tap_button(floor, "log")
    tap_button(floor, kind)
    tap_button(floor, "machine:M1")
    names = [b.name for b in floor.scenes.top.buttons]
    mine = [n for n in names if n.startswith("reason:")]
    assert mine == (["reason:gear_jam", "reason:leak", "reason:x", "reason:other"]
                    if kind == "machine_fault" else ["reason:burr", "reason:other"])
    assert [b.icon for b in floor.scenes.top.buttons if b.name.startswith("reason:")][0] == \
        picked
    assert outbox(store) == [], "nothing is sent before the reason is picked"
    tap_button(floor, f"reason:{picked}")
    assert outbox(store) == [(kind, {"machine": "M1", field: picked})]
    assert floor.scenes.top.name == "done"


def test_other_sends_no_reason_and_back_sends_nothing(floor, store) -> None:
    tap_button(floor, "log")
    tap_button(floor, "machine_fault")
    tap_button(floor, "machine:M2")
    tap_button(floor, "back")
    assert outbox(store) == []
    tap_button(floor, "machine:M2")
    tap_button(floor, "reason:other")
    assert outbox(store) == [("machine_fault", {"machine": "M2"})]


def test_without_reasons_the_step_is_skipped(make_app, store) -> None:
    app = make_app()
    store.save_scorecard("W001", "week", scorecard_json())
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "log")
    tap_button(app, "machine_fault")
    tap_button(app, "machine:M1")
    assert outbox(store) == [("machine_fault", {"machine": "M1"})]


def test_many_reasons_page_through(make_app, store) -> None:
    app = make_app()
    roster = roster_json()
    roster["reasons"] = [{"code": f"r{i}", "name": f"原因{i}", "kind": "machine_fault",
                          "pictogram": "gear_jam"} for i in range(10)]
    store.save_roster(roster, '"r-many"')
    app.reload_roster()
    store.save_scorecard("W001", "week", scorecard_json())
    badge(app, card_credential(ZHANG_UID))
    tap_button(app, "log")
    tap_button(app, "machine_fault")
    tap_button(app, "machine:M1")
    first = [b.name for b in app.scenes.top.buttons if b.name.startswith("reason:r")]
    tap_button(app, "more")
    second = [b.name for b in app.scenes.top.buttons if b.name.startswith("reason:r")]
    assert first + second == [f"reason:r{i}" for i in range(10)]
    assert "reason:other" in [b.name for b in app.scenes.top.buttons]


def test_the_points_lines_show_the_categorys_picture(floor, store, monkeypatch) -> None:
    from kiosk.ui import icons

    drawn: list[str] = []
    real = icons.icon

    def icon(name, size, color=icons.theme.INK):
        drawn.append(name)
        return real(name, size, color)

    lines = points_json()
    lines["lines"][0]["category"] = "FIX"  # a remark for FIX, whose picture is the wrench
    store.save_cached(points_key("W001"), lines)
    monkeypatch.setattr(icons, "icon", icon)
    tap_button(floor, "points")
    floor.render()
    assert "wrench" in drawn
