"""Notices on the scorecard: a decision is drawn and spoken first, reported seen through
the outbox once it has been up long enough, and not told again by this kiosk before the
server drops it from the card; open appeals and pending claims are in the to-do list."""

from __future__ import annotations

from typing import Any

import pygame
import pytest
from kiosk_fakes import ALICE_QR, ZHANG_UID, card_credential, photo_jpeg, scorecard_json
from kiosk_support import badge, screenshot, tap_button

from kiosk import events
from kiosk.events import qr_credential
from kiosk.i18n.readout import scorecard_parts
from kiosk.model import Roster, Scorecard
from kiosk.scenes.notices import SEEN_AFTER_S
from kiosk.ui import fonts


def _tasks(*notices: dict[str, Any]) -> dict[str, Any]:
    return {
        "since": "2026-11-13T08:00:00+00:00", "last_visit": None,
        "notices": list(notices), "videos_due": [],
        "appeals_open": [{"id": 4, "dimension": "defect_rate", "period": "week",
                          "period_start": "2026-11-16", "created_at": "2026-11-18T08:00:00Z"}],
        "claims_pending": [{"id": 9, "claim": None, "category": "HELP", "points": 5.0,
                            "date": "2026-11-18"}],
        "claims_decided": [], "appeals_answered": [],
    }


UPHELD = {"id": 31, "kind": "appeal_upheld", "subject": 3, "dimension": "uptime",
          "category": None, "points": 30.0, "period": "month", "period_start": "2026-10-01",
          "correction": "record", "booked_on": "2026-11-20", "note": "停机已核实，产量已补记",
          "created_at": "2026-11-20T09:00:00Z"}
APPROVED = {"id": 32, "kind": "claim_approved", "subject": 7, "dimension": None,
            "category": "HELP", "points": 5.0, "period": None, "period_start": None,
            "correction": None, "booked_on": None, "note": "谢谢帮忙",
            "created_at": "2026-11-20T10:00:00Z"}
WORKERS = {"zh_CN": ("W001", card_credential(ZHANG_UID), "card"),
           "en": ("W002", qr_credential(ALICE_QR), "qr")}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _card(code: str, *notices: dict[str, Any]) -> dict[str, Any]:
    card = scorecard_json(code)
    card["tasks"] = _tasks(*notices)
    if code == "W002":
        card["worker"]["name"] = "Alice Smith"
    return card


def _visit(app, lang: str = "zh_CN", *notices: dict[str, Any], save: bool = True) -> None:
    code, credential, kind = WORKERS[lang]
    if save:
        app.ctx.store.save_scorecard(code, "week", _card(code, *notices))
    badge(app, credential, kind)
    assert app.scenes.top.name == "scorecard"


def _seen_events(store) -> list[dict[str, Any]]:
    items = store.claim_batch(500)
    for item in items:
        store.nack(item.uuid, "test peek")
    return [item.payload for item in items if item.kind == "notice_seen"]


def _said(speaker) -> list[str]:
    return [text for _, parts in speaker.said for _, text in parts]


@pytest.fixture
def clock(app) -> Clock:
    fake = Clock()
    app.ctx.clock = fake
    return fake


def test_the_notices_and_to_dos_become_lines():
    card = Scorecard.from_json(_card("W001", UPHELD, APPROVED))
    assert [(t.kind, t.id, t.status) for t in card.task_items] == [
        ("notices", 31, "appeal_upheld"), ("notices", 32, "claim_approved"),
        ("appeals_open", 4, ""), ("claims_pending", 9, "")]
    assert card.task_items[0].points == 30 and card.task_items[0].detail == "uptime"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_notice_is_spoken_right_after_the_greeting(lang):
    worker = Roster.from_json({"workers": [{"code": "W001", "name": "张三"}]}).workers["W001"]
    parts = scorecard_parts(lang, worker, Scorecard.from_json(_card("W001", UPHELD, APPROVED)),
                            cached=False)
    keys = [key for key, _ in parts]
    assert keys[:3] == ["say.greeting", "say.notice_appeal_upheld_points",
                        "say.notice_claim_approved"]
    assert keys[-2:] == ["say.appeals_open", "say.claims_pending"]
    if lang == "zh_CN":
        assert parts[1][1] == "你的申诉成立：开机率，加30分。"
        assert parts[2][1] == "你的积分申请已通过，加5分。"
    else:
        assert parts[1][1] == "Your appeal on Uptime was upheld: 30 points added. "


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_notice_is_shown_spoken_and_reported_seen_once(app, store, speaker, clock, lang):
    app.ctx.store.save_photo("W001", "/p/W001", photo_jpeg())
    _visit(app, lang, UPHELD, APPROVED)
    scene = app.scenes.top
    lines = [scene._task_lines(task)[0] for task in scene.card.task_items]
    assert len(lines) == 4 and not any(fonts.missing_glyphs(line) for line in lines)
    if lang == "zh_CN":
        assert lines[:2] == ["申诉成立：开机率 +30", "积分申请已通过 +5"]
        assert "你的申诉成立：开机率，加30分。" in _said(speaker)
    else:
        assert lines[:2] == ["Appeal won: Uptime +30", "Claim approved +5"]
    screenshot(app, f"scorecard_notices_{lang}")
    clock.now += SEEN_AFTER_S - 1
    app.step()
    assert _seen_events(store) == []  # not yet: it has not been up long enough
    clock.now += 1
    app.step()
    app.step()
    assert _seen_events(store) == [{"notice": 31}, {"notice": 32}]
    assert store.seen_notices(WORKERS[lang][0]) == {31, 32}
    clock.now += 60
    app.step()
    assert len(_seen_events(store)) == 2  # once each


def test_the_next_visit_before_sync_does_not_tell_it_again(app, store, speaker, clock):
    _visit(app, "zh_CN", UPHELD)
    clock.now += SEEN_AFTER_S
    app.step()
    tap_button(app, "exit")
    speaker.said.clear()
    _visit(app, "zh_CN", save=False)  # the cached card still lists the notice
    assert [t.kind for t in app.scenes.top.card.task_items] == ["appeals_open",
                                                                 "claims_pending"]
    assert not any("申诉成立" in text for text in _said(speaker))
    clock.now += 60
    app.step()
    assert _seen_events(store) == [{"notice": 31}]


def test_a_worker_who_leaves_at_once_hears_it_next_visit(app, store, speaker, clock):
    _visit(app, "zh_CN", UPHELD)
    clock.now += 1
    app.step()
    tap_button(app, "exit")
    clock.now += 60
    speaker.said.clear()
    _visit(app, "zh_CN", save=False)
    assert "你的申诉成立：开机率，加30分。" in _said(speaker)
    assert _seen_events(store) == []


def test_a_notice_on_a_fresh_card_is_spoken_when_it_comes(app, store, speaker, clock):
    _visit(app, "zh_CN")
    speaker.said.clear()
    store.save_scorecard("W001", "week", _card("W001", APPROVED))
    pygame.event.post(pygame.event.Event(events.SCORECARD_READY, worker="W001", period="week"))
    app.step()
    assert _said(speaker) == ["你的积分申请已通过，加5分。"]
    clock.now += SEEN_AFTER_S
    app.step()
    assert _seen_events(store) == [{"notice": 32}]
