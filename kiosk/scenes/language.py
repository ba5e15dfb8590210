"""Choose your language: one big button per language, each with the language's own name
in its own script (中文, English, 粵語 — never a flag: a dialect has none).

Pushed from the scorecard. A tap queues the `language_set` event for the worker, and the
kiosk uses the language for them at once, screen and speech (kiosk/language_choice.py);
the card under it is then redrawn in it (``on_chosen``) and the choice is said aloud in
the new language. Tapping the language the worker already has changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from kiosk import language_choice
from kiosk.i18n import WORKER_LANGUAGES, language_name, screen_language, t, worker_language
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button

NAME_SIZE = 64


class LanguageScene(Scene):
    """``LanguageScene(ctx, worker, on_chosen)``: ``on_chosen(worker)`` is called with the
    worker as now known (their new language) after this scene has popped itself; the card
    that pushed it redraws and reads itself out in the new language."""

    name = "language"

    def __init__(self, ctx: Context, worker: Worker,
                 on_chosen: Callable[[Worker], None]) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.on_chosen = on_chosen
        self.current = worker_language(worker.language)
        area = pygame.Rect(theme.MARGIN + 80, 170, theme.WIDTH - 2 * (theme.MARGIN + 80), 440)
        self.choices = [
            (Button(rect, "", self._choose(code), name=f"language:{code}",
                    selected=code == self.current), code)
            for rect, code in zip(widgets.grid(area, len(WORKER_LANGUAGES), 1, 24),
                                  WORKER_LANGUAGES, strict=True)
        ]
        self.buttons = [button for button, _ in self.choices]
        self.buttons.append(self.back_button())

    def enter(self) -> None:
        self.ctx.say(self.lang, [("language.title", self.tr("language.title"))])

    def _choose(self, code: str) -> Callable[[], None]:
        def choose() -> None:
            if code == self.current:
                self.ctx.scenes.pop()
                return
            worker = language_choice.choose(self.ctx, self.worker, code)
            # said first: a card that reads itself out in the new language then takes over
            lang = screen_language(code, self.ctx.yue_script)
            self.ctx.say(lang, [("say.language_set", t(lang, "say.language_set"))])
            self.ctx.scenes.pop()
            self.on_chosen(worker)
        return choose

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        self.draw_title(surface, self.tr("language.title"))
        for button, code in self.choices:
            button.draw(surface)
            name = fonts.fit(language_name(code, self.ctx.yue_script), NAME_SIZE, theme.INK,
                             button.rect.width - 48)
            surface.blit(name, name.get_rect(center=button.rect.center))
            if button.selected:  # the language the worker has now
                tick = icons.icon("check", NAME_SIZE, theme.INK)
                surface.blit(tick, tick.get_rect(midleft=(button.rect.x + 40,
                                                          button.rect.centery)))
        for button in self.buttons[len(self.choices):]:
            button.draw(surface)
