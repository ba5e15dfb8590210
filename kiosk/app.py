"""The kiosk's loop: events -> update(dt) -> draw, on a 1280x800 surface scaled to the
display. Badge readers, the QR camera and the sync worker post events; a keyboard-wedge
QR scanner is read here from TEXTINPUT bursts whatever scene is showing, and so is a card
reader the wedge thread could not grab: digits in the site's card format are a card."""

from __future__ import annotations

import logging
import time
from collections import deque

import pygame

from kiosk import events, language_choice
from kiosk.config import KioskConfig
from kiosk.errors import StoreError
from kiosk.hardware.qr import WedgeDecoder
from kiosk.hardware.wedge import InlineCards, TypedCards, typed_card
from kiosk.i18n import t
from kiosk.link.trust import is_payload
from kiosk.logs import log_event
from kiosk.model import Roster
from kiosk.scenes.base import Context, Scene, SceneManager
from kiosk.scenes.enroll import EnrollScene
from kiosk.scenes.error import ErrorScene
from kiosk.scenes.idle import IdleScene
from kiosk.scenes.rewards import tell_refusals
from kiosk.scenes.scorecard import ScorecardScene
from kiosk.scenes.unknown_badge import UnknownBadgeScene
from kiosk.ui import icons, theme, widgets
from kiosk.ui.window import Window

logger = logging.getLogger(__name__)

STATS_KEPT = 1000  # recent frame times and badge latencies, for benchmarks and tests


def unknown_badge_payload(credential: str | None, kind: str, reader: str,
                          number: str | None) -> dict[str, str]:
    """The ``badge_in`` of a badge no worker has, for HR: a card's number (the server
    keeps it a day, for its unknown-taps page), or a QR badge's digest."""
    if kind == "card" and number:
        return {"card_number": number, "kind": kind, "reader": reader}
    return {"badge_hash": credential or "", "kind": kind, "reader": reader}


class App:
    def __init__(self, config: KioskConfig, ctx: Context, window: Window,
                 enrolled: bool = True, cards: TypedCards | None = None) -> None:
        self.config = config
        self.ctx = ctx
        self.window = window
        self.wedge = WedgeDecoder()
        # card numbers typed through SDL: the wedge thread digests them (~25 ms)
        self.cards = cards or InlineCards(ctx.store.card_credential)
        self._roster = Roster()
        ctx.roster = lambda: self._roster
        self.reload_roster()
        self.enrolled = enrolled
        self._lost_reason: str | None = None  # why the server stopped taking the token
        self.scenes = SceneManager(
            lambda: IdleScene(ctx) if self.enrolled else EnrollScene(ctx,
                                                                     reason=self._lost_reason),
            config.scene_timeout_s)
        ctx.manager = self.scenes
        self.scenes.reset()
        self.running = True
        self.frame_times: deque[float] = deque(maxlen=STATS_KEPT)
        self.scorecard_latencies: deque[float] = deque(maxlen=STATS_KEPT)
        self._last = time.perf_counter()
        self._shown: tuple[int, float, str] | None = None
        self._on_screen: tuple[int, float] | None = None  # the top, as of the last frame
        # A scorecard opened by a badge, and when the badge was read: its first frame
        # is the badge-to-card latency.
        self._badge_seen: tuple[Scene, float] | None = None

    @property
    def screen(self) -> pygame.Surface:
        """The 1280x800 canvas every scene draws on."""
        return self.window.canvas

    @property
    def roster(self) -> Roster:
        return self._roster

    def reload_roster(self) -> None:
        body = self.ctx.store.roster()[0]
        # a language a worker chose here stays theirs until the roster says so
        self._roster = language_choice.apply(self.ctx.store, Roster.from_json(body))
        self.ctx.yue_script = language_choice.roster_yue_script(body)
        if self._roster.workshops:
            self.ctx.workshop = "、".join(self._roster.workshops.values())

    def badge_in(self, credential: str | None, kind: str, reader: str, seen_at: float | None,
                 number: str | None = None) -> None:
        """A badge was read: the worker's card, or the unknown-badge scene. ``credential`` is
        the roster's digest (None for a card while the kiosk has no site key); ``number``
        a card's number, kept in memory only and sent to the server when no worker has the
        card (HR's unknown-taps page). Neither is ever logged."""
        worker = self._roster.worker_for(credential) if credential else None
        if worker is None and kind == "qr" and self.scenes.top.worker is not None:
            # A QR code that is no one's badge (a product label in the camera's view, an
            # enrolment code) while a worker's card is open: the card stays.
            log_event(logger, "qr_ignored", reader=reader, scene=self.scenes.top.name)
            return
        log_event(logger, "badge_read", kind=kind, reader=reader,
                  worker=worker.code if worker else None)
        if worker is None:
            self.ctx.record("badge_in", None, unknown_badge_payload(credential, kind, reader,
                                                                    number))
            self.scenes.reset(UnknownBadgeScene(self.ctx, credential or "", kind, reader))
            return
        self.ctx.record("badge_in", worker.code, {"kind": kind, "reader": reader},
                        send_now=False)
        card = ScorecardScene(self.ctx, worker)
        self._badge_seen = None if seen_at is None else (card, seen_at)
        self.scenes.reset(card)

    def qr_read(self, text: str, reader: str, seen_at: float | None) -> None:
        """A QR code (camera or keyboard-wedge scanner) that no scene reads: an enrolment
        code shown to the idle kiosk opens the enrol scene with it; anything else is a
        badge (see ``badge_in``: while a worker's card is open only a badge counts). What
        the camera reads while it shows a preview (a claim's photo) is nothing."""
        if reader == "camera" and self.scenes.top.uses_camera:
            log_event(logger, "qr_ignored", reader=reader, scene=self.scenes.top.name)
            return
        if is_payload(text) and isinstance(self.scenes.top, IdleScene):
            scene = EnrollScene(self.ctx)
            scene.times_out = True  # enrolled already: back to idle if nothing comes of it
            self.scenes.push(scene)
            self.scenes.handle_event(pygame.event.Event(events.QR_TEXT, text=text))
            return
        self.badge_in(events.qr_credential(text), "qr", reader, seen_at)

    def enrolment_changed(self, event: pygame.event.Event) -> None:
        """Enrolled: go to idle with the new workshop. Token refused: back to the enrol scene
        (the outbox keeps everything unsent). A failed attempt is the enrol scene's news."""
        if event.enrolled:
            self.enrolled = True
            self.ctx.workshop = self.ctx.store.get_setting("kiosk_workshop") or ""
            self.scenes.reset()
        elif self.enrolled and self.ctx.store.get_setting("token") is None:
            # the sync worker forgot the token the server no longer takes (a failed
            # attempt from the idle kiosk's enrol scene keeps it: that scene shows it)
            self.enrolled, self._lost_reason = False, event.reason
            self.scenes.reset()
        else:
            self.scenes.handle_event(event)

    def _tap(self, pos: tuple[float, float]) -> pygame.event.Event:
        return pygame.event.Event(events.TAP, pos=(round(pos[0]), round(pos[1])))

    def dispatch(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if not getattr(event, "touch", False):
                self.scenes.handle_event(self._tap(self.window.to_canvas(event.pos)))
        elif event.type == pygame.FINGERDOWN:
            self.scenes.handle_event(self._tap(self.window.finger_to_canvas(event.x, event.y)))
        elif event.type in (pygame.TEXTINPUT, pygame.KEYDOWN):
            text = self.wedge.feed(event)
            if text is None:
                return
            if self.scenes.top.reads_codes:
                self.scenes.handle_event(pygame.event.Event(events.QR_TEXT, text=text))
            elif (number := typed_card(text, self._roster.card_format)) is not None:
                # a card reader typing through SDL (none could be grabbed): digested off
                # this thread, back as a BADGE event
                self.cards.typed(number, "keyboard", time.perf_counter())
            else:
                self.qr_read(text, "keyboard", time.perf_counter())
        elif event.type == events.BADGE and self.scenes.top.reads_codes:
            # The camera reads every QR code as a badge; here it is text for the scene.
            if getattr(event, "text", None):
                self.scenes.handle_event(pygame.event.Event(events.QR_TEXT, text=event.text))
        elif event.type == events.BADGE and getattr(event, "text", None):
            self.qr_read(event.text, event.reader, event.seen_at)  # the camera's QR codes
        elif event.type == events.BADGE:
            self.badge_in(event.credential, event.kind, event.reader, event.seen_at,
                          getattr(event, "number", None))
        elif event.type == events.ENROLMENT:
            self.enrolment_changed(event)
        elif event.type == events.SYNC_STATUS:
            self.ctx.status.online, self.ctx.status.depth = event.online, event.depth
        elif event.type == events.VIDEO_DOWNLOAD:
            if self.ctx.videos is not None:
                self.ctx.videos.on_progress(event.video, event.done, event.total)
            self.scenes.handle_event(event)
        elif event.type == events.REDEEM_REFUSED:
            # tell the worker at once when one of their scenes is on top; else their next
            # card does (ScorecardScene.shown)
            top = self.scenes.top
            if top.worker is not None and top.worker.code == event.worker:
                tell_refusals(self.ctx, top.worker)
        elif event.type == events.ROSTER_READY:
            self.reload_roster()
            self.ctx.photos.clear()
        else:
            self.scenes.handle_event(event)

    def step(self) -> None:
        """One frame: handle what happened, advance, and draw when anything changed."""
        now = time.perf_counter()
        dt, self._last = now - self._last, now
        pending = pygame.event.get()
        for event in pending:
            try:
                self.dispatch(event)
            except StoreError:
                logger.exception("the local store failed")
                self.scenes.reset(ErrorScene(self.ctx, self.scenes.top.lang))
        self.scenes.update(dt)
        top = self.scenes.top
        shown = (id(top), self.scenes.changed_at, time.strftime("%H:%M"))
        if pending or top.animating or shown != self._shown:
            self._shown = shown
            self.render()

    def render(self) -> None:
        """Draw the whole frame and show it."""
        started = time.perf_counter()
        top = self.scenes.top
        self.scenes.draw(self.screen)
        drawn = time.perf_counter()
        self.draw_status(self.screen)
        self.window.present()
        self.frame_times.append(time.perf_counter() - started)
        on_screen = (id(top), self.scenes.changed_at)
        if on_screen != self._on_screen:
            self._on_screen = on_screen
            self._first_frame(top, drawn)

    def _first_frame(self, scene: Scene, drawn_at: float) -> None:
        """The first frame of a newly entered top is on screen (drawn at `drawn_at`): tell
        the scene, and when a badge opened it, log the badge-to-card latency."""
        scene.shown()
        if self._badge_seen is None or self._badge_seen[0] is not scene:
            return
        latency = drawn_at - self._badge_seen[1]
        self._badge_seen = None
        self.scorecard_latencies.append(latency)
        log_event(logger, "scorecard_shown", worker=scene.worker.code if scene.worker else None,
                  ms=round(latency * 1000, 1))

    def draw_status(self, surface: pygame.Surface) -> None:
        lang = self.scenes.top.lang
        status = self.ctx.status
        offline = status.online is False
        bar = pygame.Rect(0, 0, theme.WIDTH, theme.TOP_BAR)
        pygame.draw.rect(surface, theme.OFFLINE if offline else theme.TOP, bar)
        title = t(lang, "app.title") + (f" · {self.ctx.workshop}" if self.ctx.workshop else "")
        widgets.label(surface, title, 30, (theme.MARGIN, bar.centery), theme.TOP_INK, "midleft",
                      max_width=360)
        right = widgets.label(surface, time.strftime("%H:%M"), 34,
                              (theme.WIDTH - theme.MARGIN, bar.centery), theme.TOP_INK,
                              "midright")
        if offline:
            surface.blit(icons.icon("offline", 48, theme.TOP_INK), (420, 12))
            widgets.label(surface, t(lang, "banner.offline"), 28, (480, bar.centery),
                          theme.TOP_INK, "midleft", max_width=right.x - 500)
            return
        if status.online:
            pygame.draw.circle(surface, theme.ONLINE, (right.x - 30, bar.centery), 12)
        if status.depth:
            widgets.label(surface, t(lang, "status.queue", n=status.depth), 26,
                          (right.x - 56, bar.centery), theme.TOP_INK, "midright")

    def stop(self) -> None:
        """Leave the loop after the current frame (safe from a signal handler)."""
        self.running = False

    def run(self) -> None:
        clock = pygame.time.Clock()
        while self.running:
            self.step()
            clock.tick(self.scenes.top.fps or self.config.fps)
