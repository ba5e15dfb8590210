"""Supervisor mode: badge, then PIN, then worker tiles (many at once) and remarks.

The kiosk cannot tell a right PIN from a wrong one: the roster carries at most a typo check
of it (``pin_check``, shopfloor_trust/pins.py), and the server decides when it opens the
seal of an act. A PIN failing the typo check counts in the store, per supervisor and per
the roster's ``pin_epoch`` (HR's unlock starts a new one), across restarts and badge taps;
at ``MAX_WRONG_PINS``, or when the roster says the supervisor is locked, the PIN scene shows
the locked screen and takes no more tries. A PIN that passes opens the visit
(:class:`~kiosk.scenes.acts.Visit`), which keeps it in memory to seal the visit's acts.
"""

from __future__ import annotations

import logging

import pygame

from kiosk import events
from kiosk.i18n import t
from kiosk.i18n.readout import number
from kiosk.logs import log_event
from kiosk.model import Category, Worker
from kiosk.scenes.acts import Visit, VisitScene, draw_locked, locked_parts
from kiosk.scenes.alerts import AlertsScene, alerts_button, forget_acked, waiting
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.claim import category_button
from kiosk.scenes.claims_review import ClaimsReviewScene
from kiosk.scenes.done import DoneScene
from kiosk.scenes.handover import HandoverScene
from kiosk.scenes.paging import Pager, cells
from kiosk.scenes.refused_acts import tell_refused_acts
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button, NumberPad
from shopfloor_trust.pins import MAX_WRONG_PINS, pin_check

logger = logging.getLogger(__name__)

TILES_PER_PAGE = 10
COLUMNS, ROWS = 4, 3
CATEGORIES_PER_PAGE = COLUMNS * ROWS  # 28 categories: any one within 3 taps
UNDO_S = 60.0  # how long a remark can be taken back on the kiosk (the server checks too)


class PinScene(Scene):
    name = "supervisor"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.supervisor = worker
        self.message = ""
        self.pad = NumberPad(pygame.Rect(640, 84, 616, 552), self.tr("btn.clear"), max_len=8,
                             strip_zero=False)
        self.locked = self._locked(self._current())
        self._layout()

    def _current(self) -> Worker:
        """The supervisor as the roster says now (a lock or an unlock may have come in)."""
        return self.ctx.roster().workers.get(self.supervisor.code, self.supervisor)

    def _locked(self, worker: Worker) -> bool:
        return worker.pin_locked or (
            self.ctx.store.pin_failures(worker.code, worker.pin_epoch) >= MAX_WRONG_PINS)

    def _layout(self) -> None:
        back, _, ok = footer(3)
        if self.locked:
            self.buttons = [self.back_button(back)]
            return
        self.buttons = [*self.pad.buttons, self.back_button(back),
                        Button(ok, self.tr("btn.ok"), self._check, icon="check",
                               color=theme.GOOD, ink=theme.PANEL, name="ok")]

    def enter(self) -> None:
        if self.locked:
            self.ctx.say(self.lang, locked_parts(self.lang))

    def _check(self) -> None:
        worker = self._current()
        pin, self.pad.value = self.pad.value, ""
        if self._locked(worker):
            self._lock()
            return
        if not pin:
            return
        if worker.pin_check is None or pin_check(worker.code, pin) == worker.pin_check:
            # passes the typo check (or none is known: a PIN from before; the server decides)
            self.ctx.store.clear_pin_failures(worker.code)
            visit = Visit(worker, pin)
            self.ctx.scenes.replace(SupervisorScene(self.ctx, visit))
            tell_refused_acts(self.ctx, worker)
            return
        failures = self.ctx.store.note_pin_failure(worker.code, worker.pin_epoch)
        log_event(logger, "pin_wrong", worker=worker.code, failures=failures)
        if failures >= MAX_WRONG_PINS:
            if failures == MAX_WRONG_PINS:
                # The server locks their acts too, so HR sees every lock in the admin.
                self.ctx.record("pin_locked", worker.code,
                                {"failures": failures, "epoch": worker.pin_epoch})
            self._lock()
            return
        left = MAX_WRONG_PINS - failures
        self.message = self.tr("pin.wrong_left", n=left)
        self.ctx.say(self.lang, [("say.pin_wrong", self.tr("say.pin_wrong")),
                                 ("say.pin_left", self.tr("say.pin_left", n=left))])

    def _lock(self) -> None:
        log_event(logger, "pin_locked", worker=self.supervisor.code)
        self.locked = True
        self.message = ""
        self._layout()
        self.ctx.say(self.lang, locked_parts(self.lang))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        if self.locked:
            draw_locked(surface, self.lang, self.supervisor)
            return
        widgets.label(surface, self.tr("pin.title"), 52, (theme.MARGIN, 96), max_width=580)
        widgets.label(surface, self.supervisor.name, 36, (theme.MARGIN, 170), theme.MUTED,
                      max_width=580)
        box = pygame.Rect(theme.MARGIN, 240, 580, 200)
        widgets.panel(surface, box)
        for i in range(len(self.pad.value)):
            pygame.draw.circle(surface, theme.INK, (box.x + 60 + i * 66, box.centery), 22)
        if self.message:
            wrapped(surface, self.message, 36, pygame.Rect(theme.MARGIN, 470, 580, 100), theme.BAD)


class SupervisorScene(VisitScene):
    """The workshop's workers as photo tiles; any number selected get one remark."""

    name = "supervisor"

    def __init__(self, ctx: Context, visit: Visit) -> None:
        super().__init__(ctx, visit)
        self.selected: set[str] = set()
        self.page = 0
        self._layout()

    def enter(self) -> None:
        self.ctx.sync.request_alerts(self.supervisor.workshop)
        self._layout()  # the alerts' count as cached now

    def shown(self) -> None:
        """Back on top (or first shown): acts refused since are told first, then how many
        alerts wait for someone to acknowledge them."""
        tell_refused_acts(self.ctx, self.supervisor)
        count = waiting(self.ctx, self.supervisor.workshop)
        if count and self.ctx.scenes.top is self:
            self.ctx.say(self.lang, [("say.alerts_open", self.tr("say.alerts_open", n=count))])

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.ALERTS_READY and event.workshop == self.supervisor.workshop:
            forget_acked(self.ctx, self.supervisor.workshop)
            self._layout()
            return None
        return super().handle_event(event)

    def _workers(self) -> list[Worker]:
        """The workers a remark can go to: the supervisor's workshop, never themselves."""
        return [w for w in self.ctx.roster().workshop_workers(self.supervisor.workshop)
                if w.code != self.supervisor.code]

    def _layout(self) -> None:
        workers = self._workers()
        pages = max(1, -(-len(workers) // TILES_PER_PAGE))
        self.page %= pages
        shown = workers[self.page * TILES_PER_PAGE:(self.page + 1) * TILES_PER_PAGE]
        area = pygame.Rect(theme.MARGIN, 160, theme.WIDTH - 2 * theme.MARGIN, 470)
        self.tiles = [
            Button(rect, w.name, self._toggle(w.code), name=f"worker:{w.code}",
                   selected=w.code in self.selected,
                   image=self.ctx.photos.portrait(w.code, 130))
            for rect, w in zip(widgets.grid(area, len(shown), 5, 16, 227), shown, strict=True)
        ]
        slots = footer(7, 16)
        self.remark = Button(slots[5], self.tr("btn.remark"), self._remark, icon="claim",
                             color=theme.GOOD, ink=theme.PANEL, name="remark")
        self.buttons = [
            *self.tiles,
            self.back_button(slots[0]),
            alerts_button(self.ctx, slots[1], self.supervisor.workshop, self.tr("btn.alerts"),
                          self._alerts),
            Button(slots[2], self.tr("btn.select_all"), self._select_all, icon="users",
                   name="select_all"),
            Button(slots[3], self.tr("btn.claims"), self._claims, icon="check", name="claims"),
            Button(slots[4], self.tr("btn.handover"), self._handover, icon="handover",
                   name="handover"),
            self.remark,
        ]
        if pages > 1:
            self.buttons.append(Button(slots[6], f"{self.page + 1}/{pages}", self._next_page,
                                       icon="next", name="more"))
        self.empty = not workers

    def _toggle(self, code: str):
        def toggle() -> None:
            self.selected.symmetric_difference_update({code})
            for tile in self.tiles:
                tile.selected = tile.name.removeprefix("worker:") in self.selected
        return toggle

    def clear_selection(self) -> None:
        self.selected.clear()
        self._layout()

    def _select_all(self) -> None:
        codes = {w.code for w in self._workers()}
        self.selected = set() if codes <= self.selected else codes
        self._layout()

    def _next_page(self) -> None:
        self.page += 1
        self._layout()

    def _remark(self) -> None:
        if self.selected:
            workers = [w for w in self._workers() if w.code in self.selected]
            self.ctx.scenes.push(RemarkScene(self.ctx, self.visit, workers, self))

    def _claims(self) -> None:
        self.ctx.scenes.push(ClaimsReviewScene(self.ctx, self.visit))

    def _handover(self) -> None:
        self.ctx.scenes.push(HandoverScene(self.ctx, self.visit))

    def _alerts(self) -> None:
        self.ctx.scenes.push(AlertsScene(self.ctx, self.visit))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, f"{self.tr('sup.title')} · "
                                 f"{self.tr('sup.selected', n=len(self.selected))}")
        if self.empty:
            wrapped(surface, self.tr("sup.no_workers"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)
        if not self.selected:
            shade = pygame.Surface(self.remark.rect.size, pygame.SRCALPHA)
            shade.fill((246, 243, 236, 160))
            surface.blit(shade, self.remark.rect)


class RemarkScene(VisitScene):
    """The categories, a page at a time; choosing one asks for a confirmation."""

    name = "supervisor"

    def __init__(self, ctx: Context, visit: Visit, workers: list[Worker],
                 back_to: Scene | None = None) -> None:
        super().__init__(ctx, visit)
        self.workers = workers
        self.back_to = back_to
        self.every = ctx.roster().categories
        self.pager = Pager(CATEGORIES_PER_PAGE)
        self._layout()

    def _layout(self) -> None:
        categories = self.pager.shown(self.every)
        area = pygame.Rect(theme.MARGIN, 204, theme.WIDTH - 2 * theme.MARGIN, 430)
        self.buttons = [
            category_button(rect, c, self.lang, self._give(c))
            for rect, c in zip(cells(area, len(categories), COLUMNS, ROWS, 16), categories,
                               strict=True)
        ]
        back, previous, following = footer(3)
        self.buttons.append(self.back_button(back))
        self.buttons += self.pager.buttons(self.tr, previous, following, self._layout)

    def _give(self, category: Category):
        def give() -> None:
            self.ctx.scenes.push(RemarkConfirmScene(self.ctx, self.visit, self.workers,
                                                    category, self.back_to))
        return give

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("sup.pick_category"))
        draw_names(surface, self.lang, self.workers, 140)


def draw_names(surface: pygame.Surface, lang: str, workers: list[Worker], y: int,
               lines: int = 1) -> None:
    """Who gets the remark, beside the people pictogram: every name that fits in ``lines``
    lines, then how many more."""
    x = theme.MARGIN + 70
    width = theme.WIDTH - theme.MARGIN - x
    surface.blit(icons.icon("users", 56, theme.PRIMARY), (theme.MARGIN, y))
    text = names_that_fit(lang, [w.name for w in workers], NAMES_SIZE, width, lines)
    widgets.text_block(surface, text, NAMES_SIZE, (x, y + 8), width, lines, theme.MUTED)


NAMES_SIZE = 30


def names_that_fit(lang: str, names: list[str], size: int, width: int, lines: int) -> str:
    """As many of ``names`` as fit in ``lines`` lines of ``width``, and "N more" after
    them; at least the first name (cut by the caller when even that is too long)."""
    sep = t(lang, "list.sep")
    for shown in range(len(names), 0, -1):
        text = sep.join(names[:shown])
        if shown < len(names):
            text += sep + t(lang, "names.more", n=len(names) - shown)
        if shown == 1 or len(fonts.wrap(text, size, width)) <= lines:
            return text
    return ""


class RemarkConfirmScene(VisitScene):
    """Money needs a confirmation: the count, the total and the category, then "send":
    one act for all the workers, sealed with the supervisor's PIN."""

    name = "supervisor"

    def __init__(self, ctx: Context, visit: Visit, workers: list[Worker],
                 category: Category, back_to: Scene | None = None) -> None:
        super().__init__(ctx, visit)
        self.workers = [w for w in workers if w.code != visit.code]
        self.category = category
        self.back_to = back_to
        back, _, send = footer(3)
        self.buttons = [self.back_button(back),
                        Button(send, self.tr("btn.send"), self._send, icon="check",
                               color=theme.GOOD, ink=theme.PANEL, name="send")]

    def enter(self) -> None:
        points = self.category.points * len(self.workers)
        key = "say.remark_confirm_minus" if points < 0 else "say.remark_confirm"
        self.ctx.say(self.lang, [(key, self.tr(key, n=len(self.workers),
                                               name=self.category.label(self.lang),
                                               total=number(abs(points))))])

    def _send(self) -> None:
        codes = [worker.code for worker in self.workers]
        payload = {"category": self.category.code, "given_by": self.supervisor.code}
        uuids = self.visit.record(self.ctx, "remark", [(code, dict(payload)) for code in codes])
        if uuids is None:
            return
        if isinstance(self.back_to, SupervisorScene):
            self.back_to.clear_selection()
        self.ctx.scenes.replace(UndoScene(self.ctx, self.visit,
                                          list(zip(uuids, codes, strict=True)),
                                          self.category, self.back_to))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("sup.confirm_title",
                                         name=self.category.label(self.lang)))
        draw_names(surface, self.lang, self.workers, 150, lines=2)
        points = self.category.points * len(self.workers)
        color = theme.GOOD if points >= 0 else theme.BAD
        widgets.label(surface, self.tr("sup.total", n=len(self.workers),
                                       total=f"{points:+g}"), 96,
                      (theme.WIDTH // 2, 300), color, "midtop",
                      max_width=theme.WIDTH - 2 * theme.MARGIN)
        widgets.label(surface, self.tr("sup.each", points=f"{self.category.points:+g}"), 40,
                      (theme.WIDTH // 2, 440), theme.MUTED, "midtop")


class UndoScene(VisitScene):
    """Sent: a big "undo" button counting down 60 s; a tap records one ``remark_undo`` for
    each remark event of the act. It stays while it counts (no idle timeout), then goes
    back to the supervisor's tiles, which time out as usual."""

    name = "remark_undo"
    times_out = False
    animating = True

    def __init__(self, ctx: Context, visit: Visit, sent: list[tuple[str, str]],
                 category: Category, back_to: Scene | None = None) -> None:
        super().__init__(ctx, visit)
        self.sent = sent  # (remark event uuid, worker code)
        self.category = category
        self.back_to: Scene | str = back_to or "supervisor"
        self.started = ctx.clock()
        self.undone = False
        self.undo = Button(pygame.Rect(340, 270, 600, 220), self.tr("btn.undo"), self._undo,
                           icon="undo", color=theme.WARN, ink=theme.PANEL, name="undo")
        done = footer(3)[2]
        self.buttons = [self.undo, Button(done, self.tr("btn.done"), self._leave,
                                          icon="check", color=theme.GOOD, ink=theme.PANEL,
                                          name="done")]

    def enter(self) -> None:
        self.say_done()

    @property
    def remaining(self) -> float:
        return max(0.0, UNDO_S - (self.ctx.clock() - self.started))

    def _undo(self) -> None:
        if self.undone or self.remaining <= 0:
            return
        self.undone = True
        for remark, worker in self.sent:
            self.ctx.record("remark_undo", worker, {"remark": remark})
        self.ctx.scenes.replace(DoneScene(self.ctx, self.supervisor, back_to=self.back_to,
                                          message="sup.undone", spoken="say.undone"))

    def _leave(self) -> None:
        self.ctx.scenes.pop_to(self.back_to)

    def update(self, dt: float) -> None:
        if self.remaining <= 0:
            self._leave()

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        total = self.category.points * len(self.sent)
        self.draw_title(surface, self.tr("sup.sent", n=len(self.sent), total=f"{total:+g}"))
        pygame.draw.circle(surface, theme.GOOD, (theme.MARGIN + 60, 210), 44)
        surface.blit(icons.icon("check", 60, theme.PANEL), (theme.MARGIN + 30, 180))
        widgets.label(surface, self.category.label(self.lang), 36, (theme.MARGIN + 124, 190),
                      max_width=theme.WIDTH - 2 * theme.MARGIN - 124)
        bar = pygame.Rect(340, 510, 600, 24)
        widgets.progress_bar(surface, bar, self.remaining / UNDO_S, theme.WARN)
        widgets.label(surface, self.tr("sup.undo", s=f"{self.remaining:.0f}"), 56,
                      (theme.WIDTH // 2, 548), theme.WARN, "midtop")
