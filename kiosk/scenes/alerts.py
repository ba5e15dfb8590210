"""Supervisor alerts (andon): the workshop's open machine faults and quality issues, oldest
unacknowledged first, each with the machine, the reason, who reported it and how long it
has been open; "acknowledge" records an ``alert_ack`` (payload ``{"alert": ID}``), a
supervisor's act sealed with the visit's PIN (kiosk/scenes/acts.py).

The list is the server's (GET /api/v1/alerts, cached by the sync thread under
``alerts_key``). An alert acknowledged here is shown as acknowledged at once and stays so
(``ACKED_KEY``) until the server's list says it is acknowledged or drops it: the act may
still wait in the outbox. An act the server refuses (someone else was first, say) is told
at the supervisor's next visit like any other (kiosk/scenes/refused_acts.py).

Minutes are counted on the server's clock (the kiosk's corrected by the offset the last
answer's ``Date`` header gave), so a kiosk whose own clock is off still says how long a
machine has stood.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pygame

from kiosk import events
from kiosk.clock import since_boot
from kiosk.hardware.speech import Part
from kiosk.i18n import t
from kiosk.model import Alert, alerts_from_json, alerts_key
from kiosk.scenes.acts import Visit, VisitScene
from kiosk.scenes.base import Context, footer, wrapped
from kiosk.scenes.paging import Pager
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button

ACKED_KEY = "alerts_acked"  # alerts acknowledged here, until the server's list says so too
PER_PAGE = 3
ROW_H, ROW_GAP, TOP = 150, 12, 150
ACK_W = 250
CLOCK_W = 150
SPOKEN = 3  # alerts read out on entering; the rest are on the screen
KIND_COLORS = {"machine_fault": theme.BAD, "quality_issue": theme.WARN}


def acked_here(ctx: Context) -> set[int]:
    raw = ctx.store.get_setting(ACKED_KEY)
    try:
        found = json.loads(raw) if raw else []
    except ValueError:
        return set()
    return {a for a in found if isinstance(a, int)} if isinstance(found, list) else set()


def open_alerts(ctx: Context, workshop: str) -> list[Alert]:
    """The cached open alerts of ``workshop``: those nobody has acknowledged first (the
    oldest first), then the acknowledged ones still open."""
    cached = ctx.store.cached(alerts_key(workshop))
    alerts = alerts_from_json(cached.body if cached else None)
    done = acked_here(ctx)
    return sorted(alerts, key=lambda a: a.acknowledged or a.id in done)  # stable: oldest first


def waiting(ctx: Context, workshop: str) -> int:
    """How many open alerts of ``workshop`` wait for someone to acknowledge them."""
    done = acked_here(ctx)
    return sum(1 for a in open_alerts(ctx, workshop) if not a.acknowledged and a.id not in done)


def forget_acked(ctx: Context, workshop: str) -> None:
    """Alerts the server now lists as acknowledged, or no longer lists, need no marking."""
    cached = ctx.store.cached(alerts_key(workshop))
    if cached is None:
        return
    still = {a.id for a in alerts_from_json(cached.body) if not a.acknowledged}
    done = acked_here(ctx)
    if done - still:
        ctx.store.set_setting(ACKED_KEY, json.dumps(sorted(done & still)))


def server_now(ctx: Context) -> datetime:
    """Now on the server's clock when a server has told it this boot, else the kiosk's."""
    offset = ctx.store.server_clock()
    stamp = since_boot() + offset if offset is not None else time.time()
    return datetime.fromtimestamp(stamp, UTC)


def kind_name(lang: str, alert: Alert) -> str:
    return t(lang, f"alerts.kind.{alert.kind}")


def reason_name(lang: str, code: str, alert: Alert | None = None) -> str:
    """The reason's name in ``lang``: the one HR gave it (the server sends it with the
    alert; English when there is one and ``lang`` is English), else the kiosk's own words
    for the code, else the code itself."""
    if not code:
        return ""
    if alert is not None and alert.reason_name:
        if lang == "en" and alert.reason_name_en:
            return alert.reason_name_en
        return alert.reason_name
    try:
        return t(lang, f"alerts.reason.{code}")
    except KeyError:
        return code


def what(lang: str, alert: Alert) -> str:
    """The kind and, when one was picked, the reason: "设备故障 · 刀具损坏"."""
    reason = reason_name(lang, alert.reason, alert)
    return f"{kind_name(lang, alert)} · {reason}" if reason else kind_name(lang, alert)


def machine_label(lang: str, alert: Alert) -> str:
    return alert.machine_name or t(lang, "alerts.no_machine")


class AlertsButton(Button):
    """The supervisor's "alerts" button: red with a count badge while alerts wait."""

    count = 0

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        if not self.count:
            return
        text = str(self.count) if self.count < 100 else "99+"
        image = fonts.text(text, 30, theme.BAD)
        radius = max(24, image.get_width() // 2 + 10)
        centre = (self.rect.right - radius // 2 - 6, self.rect.y + radius // 2 + 6)
        pygame.draw.circle(surface, theme.PANEL, centre, radius)
        pygame.draw.circle(surface, theme.BAD, centre, radius, 3)
        surface.blit(image, image.get_rect(center=centre))


def alerts_button(ctx: Context, rect: pygame.Rect, workshop: str, label: str,
                  action) -> AlertsButton:
    count = waiting(ctx, workshop)
    button = AlertsButton(rect, label, action, icon="machine_fault", name="alerts",
                          color=theme.BAD if count else theme.PANEL,
                          ink=theme.PANEL if count else theme.INK)
    button.count = count
    return button


class AlertRow(Button):
    """One open alert, drawn across the screen; the row itself does nothing when tapped
    (its "acknowledge" button is separate), but a tap reads it out again."""

    alert: Alert | None = None
    lang = "zh_CN"
    minutes = 0
    acked_here = False
    portrait: pygame.Surface | None = None

    def hit(self, pos: tuple[int, int]) -> bool:
        """The row, not the "acknowledge" button drawn on its right end."""
        return self.rect.collidepoint(pos) and pos[0] < self.rect.right - ACK_W - 12

    def draw(self, surface: pygame.Surface) -> None:
        alert = self.alert
        if alert is None:
            return
        done = alert.acknowledged or self.acked_here
        pygame.draw.rect(surface, theme.PANEL, self.rect, border_radius=18)
        edge = theme.LINE if done else KIND_COLORS.get(alert.kind, theme.BAD)
        pygame.draw.rect(surface, edge, self.rect, 2 if done else 5, border_radius=18)
        color = theme.MUTED if done else KIND_COLORS.get(alert.kind, theme.BAD)
        centre = (self.rect.x + 72, self.rect.centery)
        pygame.draw.circle(surface, color, centre, 56)
        surface.blit(icons.icon(alert.kind, 72, theme.PANEL), (centre[0] - 36, centre[1] - 36))
        # minutes open: a big number over its unit, in a column of its own
        clock_right = self.rect.right - ACK_W - 28
        clock_x = clock_right - CLOCK_W
        ink = theme.MUTED if done else theme.BAD
        widgets.label(surface, str(self.minutes), 56, (clock_x + CLOCK_W // 2,
                                                       self.rect.y + 18), ink, "midtop",
                      max_width=CLOCK_W)
        widgets.label(surface, t(self.lang, "alerts.minutes_unit"), 26,
                      (clock_x + CLOCK_W // 2, self.rect.y + 90), ink, "midtop",
                      max_width=CLOCK_W)
        x = self.rect.x + 148
        width = clock_x - 16 - x
        widgets.text_block(surface, machine_label(self.lang, alert), 38,
                           (x, self.rect.y + 12), width, 1)
        what_x = x
        if alert.reason:  # the reason's own picture before its name
            surface.blit(icons.pictogram(alert.reason_pictogram or "other", 40,
                                         theme.INK if not done else theme.MUTED),
                         (x, self.rect.y + 56))
            what_x = x + 48
        widgets.text_block(surface, what(self.lang, alert), 28, (what_x, self.rect.y + 62),
                           width - (what_x - x), 1, theme.INK if not done else theme.MUTED)
        line_y = self.rect.y + 106
        if self.portrait is not None:
            surface.blit(self.portrait, (x, line_y - 4))
        who = t(self.lang, "alerts.reported_by", name=alert.reporter_name or "—")
        if alert.acknowledged:
            who += " · " + t(self.lang, "alerts.acknowledged_by",
                             name=alert.acknowledged_by_name or "—")
        elif self.acked_here:
            who += " · " + t(self.lang, "alerts.acked_here")
        widgets.text_block(surface, who, 24, (x + 44, line_y), width - 44, 1, theme.MUTED)


class AlertsScene(VisitScene):
    name = "alerts"

    def __init__(self, ctx: Context, visit: Visit) -> None:
        super().__init__(ctx, visit)
        self.workshop = visit.supervisor.workshop
        self.pager = Pager(PER_PAGE)
        self.minute = -1
        self.load()

    def enter(self) -> None:
        self.load()
        self.ctx.sync.request_alerts(self.workshop)
        self.ctx.say(self.lang, self.parts())

    def parts(self) -> list[Part]:
        """The open alerts nobody has acknowledged, read out: how many, then the oldest."""
        now = server_now(self.ctx)
        done = acked_here(self.ctx)
        todo = [a for a in self.alerts if not a.acknowledged and a.id not in done]
        if not todo:
            return [("say.alerts_none", self.tr("say.alerts_none"))]
        parts: list[Part] = [("say.alerts_open", self.tr("say.alerts_open", n=len(todo)))]
        parts += [self._line(a, now) for a in todo[:SPOKEN]]
        return parts

    def _line(self, alert: Alert, now: datetime) -> Part:
        return ("say.alert_line", self.tr("say.alert_line", machine=machine_label(
            self.lang, alert), what=what(self.lang, alert).replace(" · ", "，" if
            self.lang == "zh_CN" else ", "), minutes=alert.minutes_open(now)))

    def load(self) -> None:
        self.alerts = open_alerts(self.ctx, self.workshop)
        self.layout()

    def layout(self) -> None:
        now = server_now(self.ctx)
        self.minute = int(now.timestamp() // 60)
        done = acked_here(self.ctx)
        shown = self.pager.shown(self.alerts)
        self.rows: list[AlertRow] = []
        buttons: list[Button] = []
        for index, alert in enumerate(shown):
            rect = pygame.Rect(theme.MARGIN, TOP + index * (ROW_H + ROW_GAP),
                               theme.WIDTH - 2 * theme.MARGIN, ROW_H)
            row = AlertRow(rect, "", self._tell(alert), name=f"alert:{alert.id}")
            row.alert, row.lang = alert, self.lang
            row.minutes = alert.minutes_open(now)
            row.acked_here = alert.id in done
            row.portrait = self.ctx.photos.portrait(alert.reporter, 36) if alert.reporter \
                else None
            self.rows.append(row)
            if not alert.acknowledged and alert.id not in done:
                ack = pygame.Rect(rect.right - ACK_W - 12, rect.y + 12, ACK_W, ROW_H - 24)
                buttons.append(Button(ack, self.tr("btn.acknowledge"), self._acknowledge(alert),
                                      icon="check", color=theme.GOOD, ink=theme.PANEL,
                                      name=f"ack:{alert.id}"))
        back, previous, following = footer(3)
        # the rows first, so the buttons are drawn over them (a row's tap area ends where
        # its button begins)
        self.buttons = [*self.rows, *buttons, self.back_button(back),
                        *self.pager.buttons(self.tr, previous, following, self.layout)]

    def _tell(self, alert: Alert):
        def tell() -> None:
            self.ctx.say(self.lang, [self._line(alert, server_now(self.ctx))])
        return tell

    def _acknowledge(self, alert: Alert):
        def acknowledge() -> None:
            if alert.id in acked_here(self.ctx):
                return
            sent = self.visit.record(self.ctx, "alert_ack",
                                     [(self.supervisor.code, {"alert": alert.id})])
            if sent is None:
                return
            self.ctx.store.set_setting(ACKED_KEY, json.dumps(sorted(acked_here(self.ctx)
                                                                    | {alert.id})))
            self.ctx.say(self.lang, [("say.alert_acked", self.tr(
                "say.alert_acked", machine=machine_label(self.lang, alert),
                kind=kind_name(self.lang, alert)))])
            self.ctx.sync.request_alerts(self.workshop)
            self.load()
        return acknowledge

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.ALERTS_READY and event.workshop == self.workshop:
            forget_acked(self.ctx, self.workshop)
            self.load()
            return None
        return super().handle_event(event)

    def update(self, dt: float) -> None:
        if int(server_now(self.ctx).timestamp() // 60) != self.minute:
            self.layout()  # the minutes open count on

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        done = acked_here(self.ctx)
        todo = sum(1 for a in self.alerts if not a.acknowledged and a.id not in done)
        self.draw_title(surface, self.tr("alerts.title", n=todo))
        if not self.alerts:
            surface.blit(icons.icon("check", 120, theme.GOOD), (theme.WIDTH // 2 - 60, 250))
            wrapped(surface, self.tr("alerts.none"), 48, pygame.Rect(100, 400, 1080, 80),
                    theme.MUTED)
