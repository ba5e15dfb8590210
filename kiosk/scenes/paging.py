"""Pages of picture buttons: a grid shows one page; big "previous" and "next" buttons turn
it (the categories of claims and remarks, the rewards, the hand-overs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import pygame

from kiosk.ui import widgets
from kiosk.ui.widgets import Button

T = TypeVar("T")


class Pager:
    """Which items one page of ``per_page`` shows, and the buttons that turn the page."""

    def __init__(self, per_page: int) -> None:
        self.per_page = per_page
        self.page = 0
        self.count = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    def shown(self, items: Sequence[T]) -> list[T]:
        self.count = len(items)
        self.page = min(self.page, self.pages - 1)
        start = self.page * self.per_page
        return list(items[start:start + self.per_page])

    def buttons(self, tr: Callable[..., str], previous: pygame.Rect, following: pygame.Rect,
                changed: Callable[[], None]) -> list[Button]:
        """"Previous" and "next" when there is more than one page (none otherwise); the
        next button names the page it shows ("2/3")."""
        if self.pages <= 1:
            return []

        def turn(step: int) -> Callable[[], None]:
            def go() -> None:
                self.page = (self.page + step) % self.pages
                changed()
            return go

        label = tr("page.next", page=self.page + 1, pages=self.pages)
        return [Button(previous, tr("page.previous"), turn(-1), icon="previous",
                       name="page:previous"),
                Button(following, label, turn(1), icon="next", name="page:next")]


def cells(area: pygame.Rect, count: int, columns: int, rows: int, gap: int = 20
          ) -> list[pygame.Rect]:
    """The grid of a full page (``columns`` x ``rows``), the first ``count`` cells."""
    height = (area.height - gap * (rows - 1)) // rows
    return widgets.grid(area, count, columns, gap, height)
