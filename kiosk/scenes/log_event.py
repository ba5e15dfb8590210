"""Log an event: machine start/stop/fault and quality issues pick a machine from pictures;
output and defect counts use a big number pad. The event is in the outbox before "done"."""

from __future__ import annotations

import pygame

from kiosk import events
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.ui import fonts, theme, widgets
from kiosk.ui.widgets import Button, NumberPad

MACHINE_KINDS = ("machine_start", "machine_stop", "machine_fault", "quality_issue")
COUNT_KINDS = ("output", "defect")
KINDS = ("machine_start", "machine_stop", "machine_fault", "output", "defect", "quality_issue")
MACHINES_PER_PAGE = 8


class LogEventScene(Scene):
    name = "log_event"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
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
            self.ctx.record(self.kind, self.worker.code if self.worker else None,
                            {"machine": machine})
            self.ctx.scenes.push(DoneScene(self.ctx, self.worker))
        return pick

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, f"{self.tr('log.' + self.kind)} — {self.tr('log.pick_machine')}")
        if self.empty:
            wrapped(surface, self.tr("log.no_machines"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)


class CountScene(Scene):
    name = "log_event"

    def __init__(self, ctx: Context, worker: Worker, kind: str) -> None:
        super().__init__(ctx, worker=worker)
        self.kind = kind
        self.pad = NumberPad(pygame.Rect(640, 84, 616, 552), self.tr("btn.clear"))
        back, _, done = footer(3)
        self.done = Button(done, self.tr("btn.done"), self._done, icon="check",
                           color=theme.GOOD, ink=theme.PANEL, name="done")
        self.buttons = [*self.pad.buttons, self.back_button(back), self.done]

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.TAP and self.done.hit(event.pos) and not self.pad.value:
            return None
        return super().handle_event(event)

    def _done(self) -> None:
        self.ctx.record(self.kind, self.worker.code if self.worker else None,
                        {"count": int(self.pad.value)})
        self.ctx.scenes.push(DoneScene(self.ctx, self.worker))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        widgets.label(surface, self.tr("log." + self.kind), 56, (theme.MARGIN, 96), max_width=580)
        widgets.label(surface, self.tr("log.enter_count"), 36, (theme.MARGIN, 170), theme.MUTED,
                      max_width=580)
        box = pygame.Rect(theme.MARGIN, 240, 580, 260)
        widgets.panel(surface, box)
        value = self.pad.value or "0"
        color = theme.INK if self.pad.value else theme.LINE
        image = fonts.fit(value, 180, color, box.width - 40)
        surface.blit(image, image.get_rect(center=box.center))
        if not self.pad.value:
            shade = pygame.Surface(self.done.rect.size, pygame.SRCALPHA)
            shade.fill((246, 243, 236, 160))
            surface.blit(shade, self.done.rect)
