"""Log an event: machine start/stop/fault and quality issues pick a machine from pictures;
a fault or a quality issue then picks its reason from the pictures HR gave the reasons (the
roster's ``reasons``; payload ``fault`` or ``issue``, or none for "other"); output and
defect counts use a big number pad. The event is in the outbox before "done"."""

from __future__ import annotations

import pygame

from kiosk import events
from kiosk.model import Reason, Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button, NumberPad

MACHINE_KINDS = ("machine_start", "machine_stop", "machine_fault", "quality_issue")
COUNT_KINDS = ("output", "defect")
KINDS = ("machine_start", "machine_stop", "machine_fault", "output", "defect", "quality_issue")
MACHINES_PER_PAGE = 8
MACHINE_CHIPS = 4
REASON_FIELDS = {"machine_fault": "fault", "quality_issue": "issue"}  # the payload's field
REASONS_PER_PAGE = 7  # and "other" makes two rows of four


def last_machine_key(worker: str) -> str:
    return f"last_machine:{worker}"


class LogEventScene(Scene):
    name = "log_event"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        area = pygame.Rect(theme.MARGIN, 160, theme.WIDTH - 2 * theme.MARGIN, 460)
        self.buttons = [
            Button(rect, self.tr(f"log.{kind}"), self._choose(kind), icon=kind, name=kind)
            for rect, kind in zip(widgets.grid(area, len(KINDS), 3, 20), KINDS, strict=True)
        ]
        self.buttons.append(self.back_button())

    def _choose(self, kind: str):
        def choose() -> None:
            if kind in COUNT_KINDS:
                self.ctx.scenes.push(CountScene(self.ctx, self.worker, kind))
            else:
                self.ctx.scenes.push(MachinePickScene(self.ctx, self.worker, kind))
        return choose

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("log.title"))


class MachinePickScene(Scene):
    name = "log_event"

    def __init__(self, ctx: Context, worker: Worker, kind: str) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.kind = kind
        self.page = 0
        self._layout()

    def _layout(self) -> None:
        machines = self.ctx.roster().machines
        pages = max(1, -(-len(machines) // MACHINES_PER_PAGE))
        self.page %= pages
        shown = machines[self.page * MACHINES_PER_PAGE:(self.page + 1) * MACHINES_PER_PAGE]
        area = pygame.Rect(theme.MARGIN, 160, theme.WIDTH - 2 * theme.MARGIN, 460)
        self.buttons = [
            Button(rect, m.name, self._pick(m.code), icon="machine", name=f"machine:{m.code}")
            for rect, m in zip(widgets.grid(area, len(shown), 4, 20, 220), shown, strict=True)
        ]
        bottom = footer(3)
        self.buttons.append(self.back_button(bottom[0]))
        if pages > 1:
            self.buttons.append(Button(bottom[2], f"{self.page + 1}/{pages}", self._next_page,
                                       icon="other", name="more"))
        self.empty = not machines

    def _next_page(self) -> None:
        self.page += 1
        self._layout()

    def _pick(self, machine: str):
        def pick() -> None:
            self.ctx.store.set_setting(last_machine_key(self.worker.code), machine)
            reasons = reasons_for(self.ctx, self.kind)
            if reasons:
                self.ctx.scenes.push(ReasonPickScene(self.ctx, self.worker, self.kind, machine,
                                                     reasons))
                return
            self.ctx.record(self.kind, self.worker.code, {"machine": machine})
            self.ctx.scenes.push(DoneScene(self.ctx, self.worker))
        return pick

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, f"{self.tr('log.' + self.kind)} — {self.tr('log.pick_machine')}")
        if self.empty:
            wrapped(surface, self.tr("log.no_machines"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)


def reasons_for(ctx: Context, kind: str) -> list[Reason]:
    """The roster's reasons for ``kind`` (none for kinds that take no reason)."""
    if kind not in REASON_FIELDS:
        return []
    return [r for r in ctx.roster().reasons if r.kind == kind]


class ReasonTile(Button):
    """A reason: the pictogram HR picked, big, and its name under it."""

    def draw(self, surface: pygame.Surface) -> None:
        pygame.draw.rect(surface, self.color, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        size = min(120, self.rect.height - 80, self.rect.width - 24)
        surface.blit(icons.pictogram(self.icon, size),
                     (self.rect.centerx - size // 2, self.rect.y + 12))
        widgets.text_block(surface, self.label, 26, (self.rect.centerx, self.rect.y + size + 18),
                           self.rect.width - 16, 2, anchor="midtop")


class ReasonPickScene(Scene):
    """What is wrong: one picture per reason HR keeps for this kind, and "other"."""

    name = "log_event"

    def __init__(self, ctx: Context, worker: Worker, kind: str, machine: str | None,
                 reasons: list[Reason]) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.kind, self.machine, self.reasons = kind, machine, reasons
        self.page = 0
        self._layout()

    def _layout(self) -> None:
        pages = max(1, -(-len(self.reasons) // REASONS_PER_PAGE))
        self.page %= pages
        shown = self.reasons[self.page * REASONS_PER_PAGE:(self.page + 1) * REASONS_PER_PAGE]
        area = pygame.Rect(theme.MARGIN, 150, theme.WIDTH - 2 * theme.MARGIN, 480)
        rects = widgets.grid(area, len(shown) + 1, 4, 20, 230)
        self.buttons = [
            ReasonTile(rect, r.label(self.lang), self._pick(r.code), icon=r.pictogram,
                       name=f"reason:{r.code}")
            for rect, r in zip(rects, shown, strict=False)
        ]
        self.buttons.append(ReasonTile(rects[len(shown)], self.tr("log.reason_other"),
                                       self._pick(None), icon="other", name="reason:other"))
        bottom = footer(3)
        self.buttons.append(self.back_button(bottom[0]))
        if pages > 1:
            self.buttons.append(Button(bottom[2], f"{self.page + 1}/{pages}", self._next_page,
                                       icon="next", name="more"))

    def _next_page(self) -> None:
        self.page += 1
        self._layout()

    def _pick(self, code: str | None):
        def pick() -> None:
            payload: dict[str, object] = {"machine": self.machine}
            if code is not None:
                payload[REASON_FIELDS[self.kind]] = code
            self.ctx.record(self.kind, self.worker.code, payload)
            self.ctx.scenes.push(DoneScene(self.ctx, self.worker))
        return pick

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, f"{self.tr('log.' + self.kind)} — {self.tr('log.pick_reason')}")


class CountScene(Scene):
    """A count on a big number pad, for a machine chosen from chips (the worker's last
    machine is already chosen)."""

    name = "log_event"

    def __init__(self, ctx: Context, worker: Worker, kind: str) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.kind = kind
        self.machines = ctx.roster().machines
        codes = [m.code for m in self.machines]
        last = ctx.store.get_setting(last_machine_key(worker.code))
        self.machine = last if last in codes else (codes[0] if codes else None)
        self.page = codes.index(self.machine) // self.per_page if self.machine else 0
        self.pad = NumberPad(pygame.Rect(640, 84, 616, 552), self.tr("btn.clear"))
        back, _, done = footer(3)
        self.done = Button(done, self.tr("btn.done"), self._done, icon="check",
                           color=theme.GOOD, ink=theme.PANEL, name="done")
        self.back = self.back_button(back)
        self._layout()

    @property
    def per_page(self) -> int:
        """Four chips, or three and a "more" chip."""
        return MACHINE_CHIPS if len(self.machines) <= MACHINE_CHIPS else MACHINE_CHIPS - 1

    def _layout(self) -> None:
        pages = max(1, -(-len(self.machines) // self.per_page))
        self.page %= pages
        shown = self.machines[self.page * self.per_page:(self.page + 1) * self.per_page]
        cells = widgets.grid(pygame.Rect(theme.MARGIN, 346, 580, 290), 4, 2, 16)
        self.chips = [
            Button(rect, m.name, self._choose(m.code), icon="machine", name=f"machine:{m.code}",
                   selected=m.code == self.machine)
            for rect, m in zip(cells, shown, strict=False)
        ]
        if pages > 1:
            self.chips.append(Button(cells[3], f"{self.page + 1}/{pages}", self._next_page,
                                     icon="other", name="more"))
        self.buttons = [*self.pad.buttons, *self.chips, self.back, self.done]

    def _choose(self, machine: str):
        def choose() -> None:
            self.machine = machine
            self._layout()
        return choose

    def _next_page(self) -> None:
        self.page += 1
        self._layout()

    @property
    def ready(self) -> bool:
        return bool(self.pad.value) and int(self.pad.value) > 0 and self.machine is not None

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.TAP and self.done.hit(event.pos) and not self.ready:
            return None
        return super().handle_event(event)

    def _done(self) -> None:
        self.ctx.record(self.kind, self.worker.code,
                        {"machine": self.machine, "count": int(self.pad.value)})
        self.ctx.store.set_setting(last_machine_key(self.worker.code), str(self.machine))
        self.ctx.scenes.push(DoneScene(self.ctx, self.worker))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        widgets.label(surface, f"{self.tr('log.' + self.kind)} · {self.tr('log.enter_count')}",
                      40, (theme.MARGIN, 92), max_width=580)
        box = pygame.Rect(theme.MARGIN, 150, 580, 180)
        widgets.panel(surface, box)
        value = self.pad.value or "0"
        color = theme.INK if self.pad.value else theme.MUTED
        image = fonts.fit(value, 150, color, box.width - 40)
        surface.blit(image, image.get_rect(center=box.center))
        if not self.machines:
            wrapped(surface, self.tr("log.no_machines"), 40, pygame.Rect(theme.MARGIN, 440, 580,
                                                                         60), theme.MUTED)
        if not self.ready:
            shade = pygame.Surface(self.done.rect.size, pygame.SRCALPHA)
            shade.fill((*theme.BG, 160))
            surface.blit(shade, self.done.rect)
