"""A supervisor's visit, and the acts it seals.

After the PIN scene lets a supervisor in, a :class:`Visit` holds who they are and the PIN
they typed, in memory only: the supervisor's scenes share it, and it goes when they do
(the stack resets to idle on a timeout, "back" or the next badge). Every act of the visit
(a remark to many workers, a claim decision, a hand-over) is written with
:meth:`Visit.record`: one act, sealed with the PIN to the server's sealing key
(``Store.enqueue_act``), which the server opens to check the PIN. The kiosk never knows
whether the PIN was right; an act the server refuses is told at the supervisor's next visit
(kiosk/scenes/refused_acts.py), or at once while they are still on screen.

A kiosk that has not fetched its keys yet records nothing and says so (:class:`NoKeysScene`);
a supervisor the roster says is locked gets the locked screen instead of an act.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pygame

from kiosk import events
from kiosk.errors import NoSealingKey
from kiosk.hardware.speech import Part
from kiosk.i18n import t
from kiosk.logs import log_event
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer
from kiosk.scenes.refused_acts import tell_refused_acts
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button
from shopfloor_trust.pins import MAX_WRONG_PINS

logger = logging.getLogger(__name__)

Items = list[tuple[str | None, dict[str, Any]]]


@dataclass(eq=False)
class Visit:
    """The supervisor on screen and the PIN they typed: for sealing their acts, never
    written anywhere, dropped with the supervisor's scenes."""

    supervisor: Worker
    pin: str = field(repr=False)

    @property
    def code(self) -> str:
        return self.supervisor.code

    def record(self, ctx: Context, kind: str, items: Items) -> list[str] | None:
        """Write one sealed act (every event of it at once) and return the events' UUIDs;
        or, when the kiosk has no sealing key yet or the supervisor is locked, record
        nothing, show why (a scene pushed over the top) and return None."""
        current = ctx.roster().workers.get(self.code, self.supervisor)
        if current.pin_locked:
            log_event(logger, "act_locked", kind=kind, supervisor=self.code)
            ctx.scenes.push(LockedScene(ctx, current))
            return None
        try:
            return ctx.record_act(kind, self.code, self.pin, items)
        except NoSealingKey:
            log_event(logger, "act_without_keys", kind=kind, supervisor=self.code)
            ctx.scenes.push(NoKeysScene(ctx, self.supervisor))
            return None


class VisitScene(Scene):
    """A scene of a supervisor's visit: the refusal of one of their acts, learnt while they
    are here (``ACT_REFUSED``), is shown at once."""

    def __init__(self, ctx: Context, visit: Visit) -> None:
        super().__init__(ctx, worker=visit.supervisor)
        self.visit = visit
        self.supervisor = visit.supervisor

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.ACT_REFUSED and event.supervisor == self.supervisor.code:
            tell_refused_acts(self.ctx, self.supervisor)
            return None
        return super().handle_event(event)


class NoticeScene(Scene):
    """A picture, a title and a sentence, shown and spoken; "OK" goes back."""

    name = "notice"
    picture = "other"
    picture_color = theme.MUTED
    title_key = ""
    text_key = ""
    spoken_key = ""

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        ok = footer(3)[2]
        self.buttons = [Button(ok, self.tr("btn.ok"), self.ctx.scenes.pop, icon="check",
                               name="ok")]

    def parts(self) -> list[Part]:
        return [(self.spoken_key, self.tr(self.spoken_key))]

    def enter(self) -> None:
        self.ctx.say(self.lang, self.parts())

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_notice(surface)

    def draw_notice(self, surface: pygame.Surface) -> None:
        draw_notice(surface, self.picture, self.picture_color, self.tr(self.title_key),
                    self.tr(self.text_key))


def draw_notice(surface: pygame.Surface, picture: str, color: tuple[int, int, int],
                title: str, text: str, name: str = "") -> None:
    """The notice layout: a big picture on the left; beside it whose it is (``name``), the
    title and the text."""
    pygame.draw.circle(surface, color, (260, 330), 170)
    surface.blit(icons.icon(picture, 220, theme.PANEL), (150, 220))
    x = 480
    width = theme.WIDTH - x - theme.MARGIN
    y = 170
    if name:
        y = widgets.label(surface, name, 36, (x, y), theme.MUTED, max_width=width).bottom + 12
    bottom = widgets.text_block(surface, title, 56, (x, y), width, 2)
    widgets.text_block(surface, text, 40, (x, bottom + 24), width, 5)


class NoKeysScene(NoticeScene):
    """The kiosk has no sealing key yet (enrolled before keys, and not online since):
    nothing was recorded."""

    name = "no_keys"
    picture = "offline"
    picture_color = theme.WARN
    title_key = "act.no_keys_title"
    text_key = "act.no_keys"
    spoken_key = "say.act_no_keys"


class LockedScene(NoticeScene):
    """The roster says the supervisor's acts are locked (too many wrong PINs): until HR
    unlocks them, nothing is recorded."""

    name = "pin_locked"

    def parts(self) -> list[Part]:
        return locked_parts(self.lang)

    def draw_notice(self, surface: pygame.Surface) -> None:
        draw_locked(surface, self.lang, self.worker)


def locked_parts(lang: str) -> list[Part]:
    return [("say.pin_locked", t(lang, "say.pin_locked"))]


def draw_locked(surface: pygame.Surface, lang: str, worker: Worker | None) -> None:
    """The locked screen: a padlock, whose acts are locked, and that HR unlocks them."""
    draw_notice(surface, "lock", theme.BAD, t(lang, "pin.locked_title"),
                t(lang, "pin.locked", n=MAX_WRONG_PINS), worker.name if worker else "")
