"""The scene stack (kiosk/scenes/base.py): `enter` and `exit` come in pairs, so every
scene a pop, `pop_to`, `replace` or `reset` drops has had its `exit`; and the loop routes a
QR code by the top scene's `reads_codes`, not by its name."""

from __future__ import annotations

from types import SimpleNamespace

import pygame
from kiosk_support import badge

from kiosk import events
from kiosk.scenes.base import Scene, SceneManager


class Recording(Scene):
    def __init__(self, name: str) -> None:
        super().__init__(SimpleNamespace(language="zh_CN"))  # type: ignore[arg-type]
        self.name = name
        self.entered = 0
        self.exited = 0

    def enter(self) -> None:
        self.entered += 1

    def exit(self) -> None:
        self.exited += 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def balanced(*scenes: Recording) -> bool:
    return all(s.entered == s.exited for s in scenes)


def make_stack() -> tuple[SceneManager, list[Recording], Clock]:
    made: list[Recording] = []
    clock = Clock()

    def idle() -> Recording:
        made.append(Recording("idle"))
        return made[-1]

    stack = SceneManager(idle, timeout_s=30.0, clock=clock)
    stack.reset()
    return stack, made, clock


def test_pop_and_pop_to_exit_every_scene_they_drop():
    stack, idles, _ = make_stack()
    a, b, c, d = (Recording(n) for n in "abcd")
    for scene in (a, b, c):
        stack.push(scene)
    assert (a.entered, a.exited, b.exited, c.exited) == (1, 1, 1, 0)
    stack.pop_to("a")
    assert stack.top is a and balanced(b, c) and (a.entered, a.exited) == (2, 1)
    stack.push(d)
    stack.pop()
    assert stack.top is a and balanced(d)
    stack.pop_to(a)  # already on top: it leaves and comes back
    assert (a.entered, a.exited) == (4, 3)
    stack.pop()
    assert stack.top is idles[0] and balanced(a)


def test_replace_and_reset_exit_every_scene_they_drop():
    stack, idles, _ = make_stack()
    a, b, c, d, e = (Recording(n) for n in "abcde")
    stack.push(a)
    stack.push(b)
    stack.replace(c)
    assert stack.names == ["idle", "a", "c"] and balanced(b)
    stack.reset(d, e)
    assert stack.names == ["idle", "d", "e"] and balanced(idles[0], a, b, c)
    assert (d.entered, e.entered) == (0, 1)  # d never reached the top
    stack.reset()
    assert stack.names == ["idle"] and balanced(idles[1], d, e, a, b, c)


def test_the_timeout_exits_the_scenes_it_drops():
    stack, idles, clock = make_stack()
    a, b = Recording("a"), Recording("b")
    stack.push(a)
    stack.push(b)
    clock.now = 31.0
    stack.update(0.1)
    assert stack.names == ["idle"] and stack.top is idles[1] and balanced(idles[0], a, b)


class CodeReader(Scene):
    reads_codes = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.texts: list[str] = []

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.QR_TEXT:
            self.texts.append(event.text)
            return None
        return super().handle_event(event)


def test_a_scene_that_reads_codes_gets_the_camera_and_wedge_text(app):
    reader = CodeReader(app.ctx)
    reader.name = "not_enroll"
    app.scenes.push(reader)
    pygame.event.post(pygame.event.Event(events.BADGE, credential="ab" * 32, kind="qr",
                                         reader="camera", seen_at=0.0, text="SFK1:abc"))
    app.step()
    for char in "SFK1:wedge":
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=char))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="\r", scancode=40))
    app.step()
    assert app.scenes.top is reader and reader.texts == ["SFK1:abc", "SFK1:wedge"]
    app.scenes.pop()
    badge(app, "cd" * 32)
    assert app.scenes.top.name == "unknown_badge"
