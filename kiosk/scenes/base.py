"""Scenes and the stack that holds them (after Tuxemon's state manager).

A scene gets what it needs through its constructor (a :class:`Context` and its own
arguments); ``handle_event`` returns the event to pass it on or ``None`` to consume it;
``update`` advances it; ``draw`` changes nothing (it may be called any number of times).
``enter`` and ``exit`` come in pairs: ``enter`` when the scene becomes the top of the
stack, ``exit`` when it stops being the top (covered by a push, or dropped by a pop,
``pop_to``, ``replace`` or ``reset``). A scene under the top was exited when it was
covered, so every scene the stack drops has had its ``exit``. The loop calls ``shown``
once the first frame of a newly entered top is on screen. The manager sends every screen
but idle back to idle after ``timeout_s`` without a touch, so the next person never sees
the last one's data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pygame

from kiosk import events
from kiosk.hardware.camera import Frame
from kiosk.hardware.speech import Part, Speaker
from kiosk.i18n import TRADITIONAL, screen_language, spoken, t
from kiosk.logs import log_event
from kiosk.model import Roster, Worker
from kiosk.store import Store
from kiosk.ui import fonts, theme, widgets
from kiosk.ui.photos import PhotoBook
from kiosk.ui.widgets import Button
from kiosk.videos import VideoLibrary

logger = logging.getLogger(__name__)


class Syncer(Protocol):
    def kick(self) -> None: ...

    def request_scorecard(self, worker: str, period: str) -> None: ...

    def request_claims(self, workshop: str) -> None: ...

    def request_points(self, worker: str) -> None: ...

    def request_growth(self, worker: str) -> None: ...

    def request_rewards(self) -> None: ...

    def request_redemptions(self, workshop: str) -> None: ...

    def request_alerts(self, workshop: str) -> None: ...

    def request_enrolment(self, code: str) -> None: ...


class CameraView(Protocol):
    """What scenes see of the camera's one owner (kiosk/hardware/camera.py): whether it
    streams, its newest frame for a preview, and the next frame as a photo (answered by a
    ``camera.PHOTO`` event). Scenes never open a camera."""

    @property
    def available(self) -> bool: ...

    def latest(self) -> Frame | None: ...

    def take_photo(self) -> int | None: ...


@dataclass
class Status:
    online: bool | None = None
    depth: int = 0


@dataclass
class Context:
    """What scenes share: the store, speech, sync, the roster and the scene stack."""

    store: Store
    speaker: Speaker
    sync: Syncer
    roster: Callable[[], Roster] = Roster
    language: str = "zh_CN"
    workshop: str = ""
    status: Status = field(default_factory=Status)
    camera: CameraView | None = None  # the camera's one owner; None: the kiosk has none
    clock: Callable[[], float] = time.monotonic
    manager: SceneManager | None = None
    videos: VideoLibrary | None = None
    # the site's script for Cantonese (the roster's yue_script): which catalogue a yue
    # worker's screen shows (kiosk.i18n.screen_language)
    yue_script: str = TRADITIONAL
    photos: PhotoBook = field(init=False)

    def __post_init__(self) -> None:
        self.photos = PhotoBook(self.store)

    @property
    def scenes(self) -> SceneManager:
        if self.manager is None:
            raise RuntimeError("the context has no scene manager yet")
        return self.manager

    def record(self, kind: str, worker: str | None, payload: dict[str, Any], *,
               send_now: bool = True) -> str:
        """Write an event to the outbox (durably); wake the sync worker unless told not to
        (the next sync round, or the next scorecard request, sends it)."""
        event_uuid = self.store.enqueue(kind, worker, payload)
        log_event(logger, "event_queued", uuid=event_uuid, kind=kind, worker=worker)
        if send_now:
            self.sync.kick()
        return event_uuid

    def record_act(self, kind: str, supervisor: str, pin: str,
                   items: Sequence[tuple[str | None, dict[str, Any]]]) -> list[str]:
        """Write one supervisor act, every event of it (``(worker, payload)`` each) at
        once and sealed with ``pin`` (``Store.enqueue_act``), and wake the sync worker;
        the events' UUIDs, in the order of ``items``. Raises ``NoSealingKey`` (nothing
        written) when the kiosk has not fetched the server's sealing key yet."""
        items = list(items)
        uuids = self.store.enqueue_act(kind, supervisor, pin, items)
        for event_uuid, (worker, _) in zip(uuids, items, strict=True):
            log_event(logger, "event_queued", uuid=event_uuid, kind=kind, worker=worker,
                      supervisor=supervisor, act=uuids[0])
        self.sync.kick()
        return uuids

    def say(self, lang: str, parts: Sequence[Part]) -> None:
        """Speak ``parts`` said by a scene in ``lang``: Cantonese is always spoken as yue
        from its own wording, whichever script the screen shows (kiosk.i18n.spoken)."""
        self.speaker.say(*spoken(lang, parts))


class Scene:
    name = "scene"
    times_out = True
    animating = False  # True while the scene must be drawn every frame
    fps: int | None = None  # frames a second it wants, when more than the kiosk's usual
    # A QR code read while this scene is on top is text for the scene (a ``QR_TEXT``
    # event), not a badge: the enrol scene reads enrolment codes.
    reads_codes = False
    # True while the scene shows the camera's preview: the camera is pointed at the work,
    # so a QR code it reads then is no badge (a card tap or a hand scanner still is).
    uses_camera = False

    def __init__(self, ctx: Context, lang: str | None = None, worker: Worker | None = None):
        self.ctx = ctx
        self.worker = worker
        # the catalogue the screen shows: the worker's language, Cantonese in the site's script
        # (a stand-in context without yue_script, as some tests make, means Traditional)
        self.lang = screen_language(lang or (worker.language if worker else ctx.language),
                                    getattr(ctx, "yue_script", TRADITIONAL))
        self.buttons: list[Button] = []

    def tr(self, key: str, **values: object) -> str:
        return t(self.lang, key, **values)

    def enter(self) -> None:
        """Called when the scene becomes the top of the stack."""

    def exit(self) -> None:
        """Called when the scene leaves the top of the stack, covered or dropped."""

    def shown(self) -> None:
        """Called once the first frame after ``enter`` is on screen: work that must not
        delay that frame starts here."""

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.TAP:
            for button in list(self.buttons):
                if button.hit(event.pos):
                    button.action()
                    return None
        return event

    def update(self, dt: float) -> None:
        """Advance animations and timers by ``dt`` seconds."""

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        for button in self.buttons:
            button.draw(surface)

    def draw_title(self, surface: pygame.Surface, title: str) -> None:
        widgets.label(surface, title, 40, (theme.MARGIN, theme.TOP_BAR + 18),
                      max_width=theme.WIDTH - 2 * theme.MARGIN)

    def back_button(self, rect: pygame.Rect | None = None) -> Button:
        rect = rect or pygame.Rect(theme.MARGIN, theme.HEIGHT - 152, 240, 128)
        return Button(rect, self.tr("btn.back"), self.ctx.scenes.pop, icon="back", name="back")

    def say_done(self) -> None:
        self.ctx.say(self.lang, [("say.saved", self.tr("say.saved"))])


def footer(count: int, gap: int = 20) -> list[pygame.Rect]:
    area = pygame.Rect(theme.MARGIN, theme.HEIGHT - 152, theme.WIDTH - 2 * theme.MARGIN, 128)
    return widgets.row(area, count, gap)


def wrapped(surface: pygame.Surface, value: str, size: int, rect: pygame.Rect,
            color=theme.INK) -> None:
    y = rect.y
    for line in fonts.wrap(value, size, rect.width):
        image = fonts.text(line, size, color)
        surface.blit(image, image.get_rect(midtop=(rect.centerx, y)))
        y += image.get_height() + 4


class SceneManager:
    def __init__(self, make_idle: Callable[[], Scene], timeout_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._make_idle = make_idle
        self.timeout_s = timeout_s
        self._clock = clock
        self._stack: list[Scene] = []
        self.last_input = clock()
        self.changed_at = clock()

    @property
    def top(self) -> Scene:
        return self._stack[-1]

    @property
    def names(self) -> list[str]:
        return [scene.name for scene in self._stack]

    def _entered(self, previous: Scene | None) -> None:
        """The stack changed: the old top (`previous`) exits, the new top enters. Scenes
        dropped from under the old top exited when they were covered; when the same
        scene stays on top (``pop_to`` itself) it exits and enters again."""
        if previous is not None:
            previous.exit()
        self.changed_at = self._clock()
        self.last_input = self.changed_at
        self.top.enter()
        worker = self.top.worker.code if self.top.worker else None
        log_event(logger, "scene_changed", scene=self.top.name, worker=worker)

    def push(self, scene: Scene) -> None:
        previous = self._stack[-1] if self._stack else None
        self._stack.append(scene)
        self._entered(previous)

    def pop(self) -> None:
        if len(self._stack) <= 1:
            return
        previous = self._stack.pop()
        self._entered(previous)

    def pop_to(self, target: str | Scene) -> None:
        """Pop until ``target`` (a scene, or a scene name) is on top, or only the bottom
        scene is left."""
        previous = self.top
        while len(self._stack) > 1 and target not in (self.top, self.top.name):
            self._stack.pop()
        self._entered(previous)

    def replace(self, scene: Scene) -> None:
        previous = self._stack.pop() if self._stack else None
        self._stack.append(scene)
        self._entered(previous)

    def reset(self, *scenes: Scene) -> None:
        """Clear the stack to the home scene (idle), then push ``scenes``."""
        previous = self._stack[-1] if self._stack else None
        self._stack = [self._make_idle(), *scenes]
        self._entered(previous)

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.TAP:
            self.last_input = self._clock()
        return self.top.handle_event(event)

    def update(self, dt: float) -> None:
        if self.top.times_out and self._clock() - self.last_input > self.timeout_s:
            self.reset()
            return
        self.top.update(dt)

    def draw(self, surface: pygame.Surface) -> None:
        self.top.draw(surface)
