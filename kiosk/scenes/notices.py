"""The decisions a scorecard tells (its `tasks.notices`): drawn as the first lines of the
"to do" panel, spoken right after the greeting, and reported seen.

A notice counts as seen once it has been on screen, and spoken, for `SEEN_AFTER_S` while
the card stays up: the scene then records a `notice_seen` event through the outbox and
marks the notice in the store. The server keeps sending the notice until it has the event
(a visit while offline loses nothing); the store's mark keeps this kiosk from telling it
again meanwhile. A worker who leaves the card sooner hears it again next visit.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.i18n import t
from kiosk.i18n.readout import dimension_name, notice_parts, number
from kiosk.model import Scorecard, Task
from kiosk.scenes.base import Context
from kiosk.ui import theme

SEEN_AFTER_S = 6.0
Color = tuple[int, int, int]


def is_notice(task: Task) -> bool:
    return task.kind == "notices" and task.id is not None


class NoticeWatch:
    """One worker's notices while their card is on screen."""

    def __init__(self, ctx: Context, worker: str) -> None:
        self.ctx, self.worker = ctx, worker
        self._told: dict[int, float] = {}  # notice id -> when it was first shown and spoken
        self._reported: set[int] = set()

    def unseen(self, card: Scorecard) -> Scorecard:
        """The card without the notices this kiosk has already told."""
        seen = self.ctx.store.seen_notices(self.worker)
        items = tuple(task for task in card.task_items
                      if not (is_notice(task) and task.id in seen))
        return card if len(items) == len(card.task_items) else replace(card, task_items=items)

    def told(self, card: Scorecard) -> None:
        """The card was just spoken whole, its notices with it."""
        now = self.ctx.clock()
        for task in card.task_items:
            if is_notice(task) and task.id is not None:
                self._told.setdefault(task.id, now)

    def tell_new(self, card: Scorecard, lang: str) -> None:
        """A fresh card came while this one was up: speak the notices not told yet."""
        new = [task for task in card.task_items
               if is_notice(task) and task.id not in self._told]
        if new:
            self.ctx.say(lang, notice_parts(lang, new))
            self.told(card)

    def tick(self) -> None:
        """Report the notices shown and spoken long enough, once each."""
        now = self.ctx.clock()
        for notice, since in self._told.items():
            if notice not in self._reported and now - since >= SEEN_AFTER_S:
                self._reported.add(notice)
                self.ctx.record("notice_seen", self.worker, {"notice": notice})
                self.ctx.store.mark_notice_seen(self.worker, notice)


def task_icon(task: Task) -> str | None:
    """The pictogram of a notice or a to-do line; None for the lines the scene draws."""
    if task.kind == "notices":
        return "check" if task.status in ("appeal_upheld", "claim_approved") else "cross"
    return {"appeals_open": "appeal", "claims_pending": "claim"}.get(task.kind)


def task_lines(lang: str, task: Task) -> tuple[str, Color, str] | None:
    """The first line, its colour and the second line of a notice or a to-do line."""
    dim = dimension_name(lang, task.detail)
    if task.kind == "appeals_open":
        return t(lang, "task.appeal_open", dim=dim), theme.MUTED, ""
    if task.kind == "claims_pending":
        return t(lang, "task.claim_pending", points=number(task.points or 0)), theme.MUTED, ""
    if task.kind != "notices":
        return None
    points = task.points
    if task.status == "appeal_upheld":
        if points is not None and abs(points) >= 0.05:
            signed = ("+" if points > 0 else "-") + number(abs(points))
            first = t(lang, "notice.appeal_upheld_points", dim=dim, points=signed)
        else:
            first = t(lang, "notice.appeal_upheld", dim=dim)
        return first, theme.GOOD, task.note
    if task.status == "appeal_rejected":
        return t(lang, "notice.appeal_rejected", dim=dim), theme.BAD, task.note
    if task.status == "claim_approved":
        return (t(lang, "notice.claim_approved", points=number(points or 0)), theme.GOOD,
                task.note)
    return t(lang, "notice.claim_rejected"), theme.BAD, task.note
