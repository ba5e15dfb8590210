"""The card's "to do" panel, and a note seen whole.

Each task is a pictogram, a first line, and a second: the due date and progress of a
video, or the supervisor's or HR's note. A note (up to 200 characters) is wrapped over as
many lines as its row is given, at 24 px or more, and cut with "…" only past them; a row
with a note is a big button that shows the note whole (`NoteScene`). What does not fit is
counted at the bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

from kiosk.i18n import t
from kiosk.model import Task, Worker
from kiosk.scenes.base import Context, Scene, footer
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button, Ink

ICON = 40
ARROW = 24
REPLAY_ICON = "speaker" if "speaker" in icons.ICONS else "play"
FIRST_SIZE = 26
NOTE_SIZE = 24  # never smaller
NOTE_LINES = 3  # on the card; the rest in the note's own view
PLAIN_ROW = 64
TAPPABLE_ROW = theme.MIN_TARGET
MORE_H = 34
GAP = 6

Lines = tuple[str, tuple[int, int, int], str]


@dataclass
class TaskRow(Button):
    """One task, drawn in its rect; with a note it is a button that opens the note."""

    task: Task | None = None
    first: str = ""
    first_lines: list[str] = field(default_factory=list)
    first_size: int = FIRST_SIZE
    first_color: tuple[int, int, int] = theme.INK
    second: str = ""
    note_lines: list[str] = field(default_factory=list)
    cut: bool = False
    picture: str = "other"
    progress: float | None = None

    @property
    def opens_note(self) -> bool:
        return self.cut

    def hit(self, pos: tuple[int, int]) -> bool:
        return self.cut and self.rect.collidepoint(pos)

    def draw(self, surface: pygame.Surface) -> None:
        self.paint(Ink(surface))

    def paint(self, ink: Ink) -> None:
        x, y = self.rect.x, self.rect.y
        if self.cut:  # a button that shows the whole note: its outline and arrow say so
            pygame.draw.rect(ink.surface, theme.PRIMARY, self.rect, 2, border_radius=14)
            arrow = icons.icon("next", ARROW, theme.PRIMARY)
            ink.blit(arrow, (self.rect.right - ARROW - 6, self.rect.bottom - ARROW - 10),
                     role="opens")
        if self.note_lines:
            x, y = x + 8, y + 8
        color = self.first_color
        ink.blit(icons.icon(self.picture, ICON, color), (x, y), role="task_icon")
        text_x = x + ICON + 12
        width = self.rect.right - 8 - text_x
        shown = ink.lines(self.first_lines, self.first_size, (text_x, y),
                          theme.INK if color == theme.PRIMARY else color, role="task")
        y = shown.bottom + 4
        if self.progress is not None:
            bar = pygame.Rect(text_x, y + 6, 64, 14)
            widgets.progress_bar(ink.surface, bar, self.progress, theme.PRIMARY)
            ink.text(self.second, 22, (bar.right + 10, y - 2), theme.MUTED,
                     max_width=width - bar.width - 10, min_size=20, role="due")
        elif self.note_lines:
            ink.lines(self.note_lines, NOTE_SIZE, (text_x, y), theme.INK, role="note")


def _nothing() -> None:
    """A task without a cut note opens nothing: all of it is on the card."""


def plan(lang: str, items: tuple[Task, ...], area: pygame.Rect,
         lines_of: Callable[[Task], Lines], icon_of: Callable[[Task], str],
         opener: Callable[[Task], Callable[[], None]]) -> tuple[list[TaskRow], int]:
    """The rows that fit ``area``, top down, and how many tasks did not fit."""
    rows: list[TaskRow] = []
    y = area.y
    text_w = area.width - ICON - 12 - 16
    for index, task in enumerate(items):
        first, color, second = lines_of(task)
        first_size = FIRST_SIZE
        first_lines = [first]
        if widgets.text_width(first, FIRST_SIZE) > text_w:  # two lines, a little smaller
            first_size = NOTE_SIZE
            first_lines = widgets.clamp(first, NOTE_SIZE, text_w, 2)[0]
        first_h = len(first_lines) * widgets.line_height(first_size) + 4
        room_below = area.bottom - (0 if index == len(items) - 1 else MORE_H)
        progress = task.progress if task.kind == "videos_due" else None
        note_lines: list[str] = []
        cut = False
        height = max(PLAIN_ROW, first_h + (30 if progress is not None else 8))
        if second and progress is None:
            space = (room_below - y - first_h - 16) // widgets.line_height(NOTE_SIZE)
            fit = max(1, min(NOTE_LINES, space))
            note_lines, cut = widgets.clamp(second, NOTE_SIZE, text_w, fit)
            if cut:  # room for the arrow that says "tap for the whole note"
                note_lines, cut = widgets.clamp(second, NOTE_SIZE, text_w - ARROW - 4, fit)
            height = first_h + 16 + len(note_lines) * widgets.line_height(NOTE_SIZE)
            if cut:  # a button that shows the whole note: as big as any
                height = max(TAPPABLE_ROW, height)
        if y + height > room_below:
            return rows, len(items) - index
        rows.append(TaskRow(pygame.Rect(area.x, y, area.width, height), "",
                            opener(task) if cut else _nothing,
                            name=f"task:{index}", task=task, first=first,
                            first_lines=first_lines, first_size=first_size, first_color=color,
                            second=second, note_lines=note_lines, cut=cut,
                            picture=icon_of(task), progress=progress))
        y += height + GAP
    return rows, 0


class NoteScene(Scene):
    """A task's note whole, in big type, with the task's line above it."""

    name = "task_note"
    NOTE = pygame.Rect(theme.MARGIN, theme.TOP_BAR + 100, theme.WIDTH - 2 * theme.MARGIN, 440)

    def __init__(self, ctx: Context, worker: Worker, lang: str, first: str,
                 color: tuple[int, int, int], note: str, picture: str) -> None:
        super().__init__(ctx, lang=lang, worker=worker)
        self.first, self.color, self.note, self.picture = first, color, note, picture
        back, hear = footer(2)
        self.buttons = [self.back_button(back),
                        Button(hear, self.tr("btn.hear"), self.hear, icon=REPLAY_ICON,
                               name="replay")]

    def hear(self) -> None:
        """The line and the note aloud, for a worker who reads little (free text: no
        recorded clip stands for it, so it is synthesised)."""
        self.ctx.say(self.lang, [("text.task", self.first), ("text.note", self.note)])

    def draw(self, surface: pygame.Surface) -> None:
        self.paint(surface)

    def paint(self, surface: pygame.Surface) -> Ink:
        super().draw(surface)
        ink = Ink(surface)
        ink.blit(icons.icon(self.picture, 56, self.color),
                 (theme.MARGIN, theme.TOP_BAR + 20), role="task_icon")
        ink.text(self.first, 36, (theme.MARGIN + 72, theme.TOP_BAR + 26),
                 theme.INK if self.color == theme.PRIMARY else self.color,
                 max_width=theme.WIDTH - 2 * theme.MARGIN - 72, min_size=24, role="task")
        widgets.panel(surface, self.NOTE)
        ink.text(t(self.lang, "task.note"), 26, (self.NOTE.x + 24, self.NOTE.y + 16),
                 theme.MUTED, role="note_title")
        size = 36
        width = self.NOTE.width - 48
        room = self.NOTE.height - 70
        while size > NOTE_SIZE and len(widgets.wrap(self.note, size, width)) \
                * widgets.line_height(size) > room:
            size -= 2
        ink.paragraph(self.note, size, (self.NOTE.x + 24, self.NOTE.y + 60), width,
                      room // widgets.line_height(size), role="note")
        return ink
