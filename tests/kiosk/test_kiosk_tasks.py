"""Today's tasks on the scorecard, as the server sends them (services/scores/tasks.py, always
lists): a line per video, claim and appeal, spoken too."""

from __future__ import annotations

import pytest
from kiosk_fakes import (
    ALICE_QR,
    ZHANG_UID,
    card_credential,
    photo_jpeg,
    roster_json,
    scorecard_json,
)
from kiosk_support import badge, screenshot

from kiosk.events import qr_credential
from kiosk.i18n.readout import scorecard_parts
from kiosk.model import Roster, Scorecard
from kiosk.ui import fonts

TASKS = {
    "since": "2026-03-09T08:00:00+00:00", "last_visit": "2026-03-09T08:00:00+00:00",
    "videos_due": [
        {"id": 1, "title": "消防演练", "title_en": "Fire drill", "required_by": None,
         "progress": 0.0, "seconds_watched": 0.0, "duration_s": 180.0},
        {"id": 2, "title": "数控车床安全操作规程", "title_en": "Lathe safety",
         "required_by": "2026-03-20", "progress": 0.4, "seconds_watched": 80.0,
         "duration_s": 200.0},
    ],
    "claims_decided": [
        {"id": 7, "claim": "0f8fad5b-d9cb-469f-a165-70867728950e", "category": "IDEA",
         "points": 5.0, "status": "approved", "decided_at": "2026-03-10T09:00:00+00:00",
         "note": "好点子，继续保持"},
        {"id": 8, "claim": None, "category": "HELP", "points": 3.0, "status": "rejected",
         "decided_at": "2026-03-10T08:00:00+00:00", "note": None},
    ],
    "appeals_answered": [
        {"id": 3, "dimension": "uptime", "period": "week", "period_start": "2026-03-02",
         "status": "upheld", "resolution": "停机已核实，开机率已更正",
         "resolved_at": "2026-03-10T10:00:00+00:00"},
    ],
}


def card_with_tasks(code: str = "W001", tasks: dict | None = None) -> dict:
    card = scorecard_json(code)
    card["tasks"] = TASKS if tasks is None else tasks
    return card


def test_the_server_tasks_become_lines():
    card = Scorecard.from_json(card_with_tasks())
    assert [(t.kind, t.status) for t in card.task_items] == [
        ("videos_due", ""), ("videos_due", ""), ("claims_decided", "approved"),
        ("claims_decided", "rejected"), ("appeals_answered", "upheld")]
    assert card.tasks == {"videos_due": 2, "claims_decided": 2, "appeals_answered": 1}
    video = card.task_items[1]
    assert (video.label("zh_CN"), video.label("en"), video.due, video.progress) == (
        "数控车床安全操作规程", "Lathe safety", "2026-03-20", 0.4)
    assert card.task_items[4].detail == "uptime" and card.task_items[4].note.startswith("停机")


def test_the_tasks_are_spoken_before_the_offline_note():
    worker = Roster.from_json(roster_json()).workers["W001"]
    parts = scorecard_parts("zh_CN", worker, Scorecard.from_json(card_with_tasks()),
                            cached=True)
    keys = [key for key, _ in parts]
    assert keys[-5:] == ["say.videos_due", "say.claim_approved", "say.claim_rejected",
                         "say.appeal_answered", "say.offline"]
    assert "有2个培训视频要看。" in "".join(text for _, text in parts)
    quiet = scorecard_parts("zh_CN", worker, Scorecard.from_json(card_with_tasks(tasks={})),
                            cached=False)
    assert not any(key in keys[-5:-1] for key, _ in quiet)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_scorecard_draws_every_task(app, lang):
    code, credential, kind = (("W001", card_credential(ZHANG_UID), "card") if lang == "zh_CN"
                              else ("W002", qr_credential(ALICE_QR), "qr"))
    app.ctx.store.save_photo("W001", "/p/W001", photo_jpeg())
    app.ctx.store.save_scorecard(code, "week", card_with_tasks(code))
    badge(app, credential, kind)
    scene = app.scenes.top
    assert scene.name == "scorecard" and len(scene.card.task_items) == 5
    lines = [scene._task_lines(task)[0] for task in scene.card.task_items]
    assert all(line and not fonts.missing_glyphs(line) for line in lines)
    path = screenshot(app, f"scorecard_tasks_{lang}")
    assert path.stat().st_size > 10_000


def test_many_tasks_end_with_a_count(app):
    many = {"videos_due": [{"id": i, "title": f"视频{i}", "required_by": "2026-03-20",
                            "progress": 0.1 * i} for i in range(9)]}
    app.ctx.store.save_scorecard("W001", "week", card_with_tasks(tasks=many))
    badge(app, card_credential(ZHANG_UID))
    assert len(app.scenes.top.card.task_items) == 9
    screenshot(app, "scorecard_many_tasks_zh_CN")
