"""Helpers for kiosk tests: tap a named button, badge in, save a screenshot."""

from __future__ import annotations

import time
from pathlib import Path

import pygame

from kiosk import events
from kiosk.app import App

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "kiosk"


def tap_button(app: App, name: str, *, finger: bool = False) -> None:
    """Tap the centre of the top scene's button called ``name``, as a mouse or a finger."""
    matches = [b for b in app.scenes.top.buttons if b.name == name]
    assert matches, f"no button {name!r} in {app.scenes.top.name}: " + ", ".join(
        b.name for b in app.scenes.top.buttons)
    x, y = matches[0].rect.center
    if finger:
        event = pygame.event.Event(pygame.FINGERDOWN, x=x / 1280, y=y / 800, touch_id=1,
                                   finger_id=0, dx=0.0, dy=0.0, pressure=1.0)
    else:
        event = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False)
    pygame.event.post(event)
    app.step()


def badge(app: App, credential: str, kind: str = "card") -> None:
    pygame.event.post(pygame.event.Event(events.BADGE, credential=credential, kind=kind,
                                         reader="test", seen_at=time.perf_counter()))
    app.step()
    app.step()


def screenshot(app: App, name: str) -> Path:
    app.step()
    app.render()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pygame.image.save(app.screen, str(path))
    return path


def tap_card(app: App, uid: bytes, store=None) -> None:
    """A card on the reader, as the PC/SC adapter posts it: the number, and its digest made
    with the store's site key (``store``, by default the app's) off the UI thread."""
    number = uid.hex().upper()
    credential = (store or app.ctx.store).card_credential(number)
    pygame.event.post(pygame.event.Event(events.BADGE, credential=credential, number=number,
                                         kind="card", reader="test",
                                         seen_at=time.perf_counter()))
    app.step()
    app.step()
