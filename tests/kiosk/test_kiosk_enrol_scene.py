"""The enrol scene: a scanned enrolment code goes to the sync worker, the answer changes
the screen, and a revoked kiosk falls back to it with its outbox intact."""

from __future__ import annotations

import pygame
import pytest
from kiosk_support import screenshot

from kiosk import events
from kiosk.link.trust import EnrolmentPayload

PAYLOAD = EnrolmentPayload("a1b2c3d4e5f60718", "ab" * 32, "ABCD-EFGH-JKLM").text()


def scan(app, text: str) -> None:
    """Type ``text`` and Return, as a USB wedge scanner does."""
    for char in text:
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=char))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="\r", scancode=40))
    app.step()


def test_a_scanned_enrolment_code_goes_to_the_sync_worker(make_app, sync):
    app = make_app(enrolled=False)
    scan(app, PAYLOAD)
    assert sync.enrolments == [PAYLOAD]
    assert app.scenes.top.state == "working"
    assert app.ctx.store.depth() == 0, "an enrolment code is not a badge-in"


def test_a_camera_read_enrolment_code_counts_too(make_app, sync):
    app = make_app(enrolled=False)
    pygame.event.post(pygame.event.Event(events.BADGE, credential="x", kind="qr",
                                         reader="camera", seen_at=0.0, text=PAYLOAD))
    app.step()
    assert sync.enrolments == [PAYLOAD] and app.scenes.names == ["enroll"]


def test_other_codes_and_failures_are_shown(make_app, sync):
    app = make_app(enrolled=False)
    scan(app, "not-an-enrolment-code")
    assert sync.enrolments == [] and app.scenes.top.state == "not_a_code"
    pygame.event.post(pygame.event.Event(events.ENROLMENT, enrolled=False, reason="refused"))
    app.step()
    assert app.scenes.top.state == "failed"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_revoked_kiosk_shows_the_enrol_scene_and_keeps_its_outbox(make_app, store, lang):
    app = make_app(enrolled=True)
    app.ctx.language = lang
    app.scenes.reset()
    store.enqueue("badge_in", "W001", {})
    pygame.event.post(pygame.event.Event(events.ENROLMENT, enrolled=False,
                                         reason="unauthorized"))
    app.step()
    assert app.scenes.names == ["enroll"] and app.scenes.top.state == "revoked"
    screenshot(app, f"enroll_revoked_{lang}")
    assert store.depth() == 1
    # The timeout back to "home" keeps the kiosk on the enrol scene while it is revoked.
    app.scenes.reset()
    assert app.scenes.names == ["enroll"]
    store.set_setting("kiosk_workshop", "W2")
    pygame.event.post(pygame.event.Event(events.ENROLMENT, enrolled=True, reason=None))
    app.step()
    assert app.scenes.names == ["idle"] and app.ctx.workshop == "W2"
