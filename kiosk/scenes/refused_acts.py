"""A supervisor's acts the server refused, told to them: at their next visit (once the PIN
scene lets them in) or at once while they are on screen.

The sync keeps each refused act in the store (``Store.add_refused_act``) with the server's
reason. The scene shows them grouped (one remark to twelve workers refused for a wrong PIN
is one line): the act as a picture, the workers' names, and the reason in plain words,
spoken in the supervisor's language; then they are marked told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pygame

from kiosk import events
from kiosk.hardware.speech import Part
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer
from kiosk.store import RefusedAct
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

# Three lines fit above the footer; the names of a remark to a whole workshop are cut
# after the first few ("and 12 more"), on the screen and aloud.
ROW_RECTS = [pygame.Rect(theme.MARGIN, 150 + i * 162, theme.WIDTH - 2 * theme.MARGIN, 150)
             for i in range(3)]
NAMES_SHOWN = 8
NAMES_SPOKEN = 6
ACT_ICONS = {"remark": "claim", "claim_decision": "check", "reward_handover": "handover",
             "alert_ack": "machine_fault"}
ACT_KINDS = tuple(ACT_ICONS)

# The server's reason, in words the kiosk can say: the first rule whose words are all in
# it (lower case) wins. A supervisor act the server cannot verify says "proof: ...".
REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("proof:", "locked"), "locked"),
    (("proof:", "wrong pin"), "wrong_pin"),
    (("proof:", "no pin"), "no_pin"),
    (("proof:",), "not_verified"),
    (("own",), "own"),
    (("older than",), "too_old"),
    (("in the future",), "clock"),
)


def refused_reason(reason: str) -> str:
    """The server's reason as one of the phrases ``act.refused.<key>``."""
    text = reason.lower()
    for words, key in REASONS:
        if all(word in text for word in words):
            return key
    return "other"


@dataclass
class RefusedLine:
    """Refused events of the same kind for the same reason: one line on the screen."""

    kind: str
    reason: str
    workers: list[str] = field(default_factory=list)


def group(refused: Sequence[RefusedAct]) -> list[RefusedLine]:
    """The store's refused acts, as lines: same kind and reason together, in order."""
    lines: dict[tuple[str, str], RefusedLine] = {}
    for act in refused:
        reason = refused_reason(act.reason)
        line = lines.setdefault((act.kind, reason), RefusedLine(act.kind, reason))
        if act.worker and act.worker not in line.workers:
            line.workers.append(act.worker)
    return list(lines.values())


def tell_refused_acts(ctx: Context, supervisor: Worker) -> bool:
    """Push the refused-acts scene when ``supervisor`` has refused acts not told yet."""
    refused = ctx.store.untold_refused_acts(supervisor.code)
    if not refused:
        return False
    if ctx.scenes.top.name != RefusedActsScene.name:
        ctx.scenes.push(RefusedActsScene(ctx, supervisor, refused))
    return True


class RefusedActsScene(Scene):
    """"These did not count": each refused act's picture, the workers and why."""

    name = "acts_refused"

    def __init__(self, ctx: Context, supervisor: Worker,
                 refused: Sequence[RefusedAct]) -> None:
        super().__init__(ctx, worker=supervisor)
        self.supervisor = supervisor
        self.refused = list(refused)
        self.lines = group(self.refused)
        ok = footer(3)[2]
        self.buttons = [Button(ok, self.tr("btn.ok"), self.ctx.scenes.pop, icon="check",
                               name="ok")]

    def _names(self, codes: list[str], limit: int | None = None) -> str:
        workers = self.ctx.roster().workers
        names = [workers[c].name if c in workers else c for c in codes]
        if limit is not None and len(names) > limit:
            names = [*names[:limit], self.tr("names.more", n=len(names) - limit)]
        return self.tr("list.sep").join(names)

    def _what(self, line: RefusedLine) -> str:
        kind = line.kind if line.kind in ACT_KINDS else "other"
        return self.tr(f"act.kind.{kind}")

    def _said(self, line: RefusedLine) -> Part:
        return ("say.act_refused", self.tr(
            "say.act_refused", what=self._what(line),
            names=self._names(line.workers, NAMES_SPOKEN) or self.tr("act.nobody"),
            reason=self.tr(f"act.refused.{line.reason}")))

    def enter(self) -> None:
        self.ctx.store.mark_refused_acts_told(self.supervisor.code)
        self.ctx.say(self.lang, [("say.acts_refused", self.tr("say.acts_refused")),
                                 *(self._said(line) for line in self.lines)])

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        """More of their acts refused while this is on screen (the rest of a remark to many,
        say): added to the list; a new kind of refusal is spoken too."""
        if event.type == events.ACT_REFUSED and event.supervisor == self.supervisor.code:
            more = self.ctx.store.untold_refused_acts(self.supervisor.code)
            if more:
                self.ctx.store.mark_refused_acts_told(self.supervisor.code)
                known = {(line.kind, line.reason) for line in self.lines}
                self.refused += more
                self.lines = group(self.refused)
                new = [line for line in self.lines if (line.kind, line.reason) not in known]
                if new:
                    self.ctx.say(self.lang, [self._said(line) for line in new])
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("act.refused_title"))
        x, width = theme.MARGIN + 170, theme.WIDTH - 2 * theme.MARGIN - 190
        for line, row in zip(self.lines, ROW_RECTS, strict=False):
            widgets.panel(surface, row)
            picture = ACT_ICONS.get(line.kind, "other")
            surface.blit(icons.icon(picture, 112, theme.PRIMARY), (row.x + 16, row.y + 14))
            pygame.draw.circle(surface, theme.BAD, (row.x + 124, row.bottom - 30), 26)
            surface.blit(icons.icon("cross", 34, theme.PANEL), (row.x + 107, row.bottom - 47))
            who = self._names(line.workers, NAMES_SHOWN) or self.tr("act.nobody")
            bottom = widgets.text_block(surface, f"{self._what(line)} · {who}", 32,
                                        (x, row.y + 12), width, 2)
            why = self.tr(f"act.refused.{line.reason}")
            widgets.text_block(surface, why[:1].upper() + why[1:], 32,
                               (x, max(bottom + 4, row.y + 58)), width, 1, theme.BAD)
        if len(self.lines) > len(ROW_RECTS):
            widgets.label(surface, self.tr("task.more", n=len(self.lines) - len(ROW_RECTS)),
                          30, (theme.MARGIN, theme.HEIGHT - 88), theme.MUTED, "midleft")
