"""My growth (我的成长): the radar of the worker's dimensions and point categories (each a
share of its maximum; the weakest in red), the grade, the next one and what it still
misses, tiers won, talent pools, training with the quiz results, rewards chosen, and a
button to the training list with the suggested videos first. Reached from the
scorecard's footer; the server sends the record (GET /workers/<code>/growth), cached so
it shows offline as last fetched."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pygame

from kiosk import events
from kiosk.i18n.readout import dimension_name, number
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, footer
from kiosk.scenes.training import TrainingScene
from kiosk.store import growth_key
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button

RADAR = pygame.Rect(theme.MARGIN, theme.TOP_BAR + 76, 600, 480)  # ends above the footer
RIGHT = pygame.Rect(RADAR.right + 16, RADAR.y, theme.WIDTH - theme.MARGIN - RADAR.right - 16,
                    RADAR.height)
RADIUS = 150
MAX_AXES = 12  # more would not be read at a glance: the weakest and the rest in order
SHOWN_TRAINING = 2


def _share(axis: dict[str, Any]) -> float | None:
    value = axis.get("share")
    return float(value) if isinstance(value, int | float) else None


class GrowthScene(Scene):
    name = "growth"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.record: dict[str, Any] | None = None
        self.spoken = False
        actions = [self.back_button()]
        if ctx.videos is not None:
            actions.append(Button(footer(4, 14)[3], self.tr("growth.training"),
                                  self._training, icon="training", name="training"))
        self.buttons = actions
        self.load()

    def load(self) -> None:
        cached = self.ctx.store.cached(growth_key(self.worker.code))
        self.record = cached.body if cached and isinstance(cached.body, dict) else None

    def _training(self) -> None:
        self.ctx.scenes.push(TrainingScene(self.ctx, self.worker))

    def enter(self) -> None:
        self.load()
        self._speak()

    def shown(self) -> None:
        self.ctx.sync.request_growth(self.worker.code)

    def _speak(self) -> None:
        grade = (self.record or {}).get("grade")
        if self.spoken or not isinstance(grade, dict):
            return
        self.spoken = True
        upcoming = grade.get("next")
        if grade.get("reached") and isinstance(upcoming, dict):
            text = self.tr("say.growth_reached", grade=self._name(upcoming))
        elif isinstance(upcoming, dict):
            text = self.tr("say.growth_next", grade=self._name(upcoming),
                           points=number(float(grade.get("missing_points") or 0)))
        else:
            return
        self.ctx.say(self.lang, [("say.growth", text)])

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.GROWTH_READY and event.worker == self.worker.code:
            self.load()
            self._speak()
            return None
        return super().handle_event(event)

    # names ------------------------------------------------------------------------------
    def _name(self, item: dict[str, Any]) -> str:
        english = item.get("name_en") or item.get("title_en")
        name = item.get("name") or item.get("title") or item.get("code") or ""
        return str(english if self.lang == "en" and english else name)

    def _axis_name(self, axis: dict[str, Any]) -> str:
        if axis.get("kind") == "dimension":
            named = dimension_name(self.lang, str(axis.get("code")))
            if named != axis.get("code"):
                return named
        return self._name(axis)

    # drawing ----------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        self.draw_title(surface, self.tr("growth.title", name=self.worker.name))
        for button in self.buttons:
            button.draw(surface)
        record = self.record
        if record is None:
            waiting = self.tr("card.no_data" if self.ctx.status.online is False
                              else "card.loading")
            widgets.label(surface, waiting, 40, (theme.WIDTH // 2, 360), theme.MUTED, "center")
            return
        self._draw_radar(surface, record)
        self._draw_right(surface, record)

    def _draw_radar(self, surface: pygame.Surface, record: dict[str, Any]) -> None:
        widgets.panel(surface, RADAR)
        axes = [a for a in record.get("radar") or [] if isinstance(a, dict)]
        weakest = record.get("weakest")
        if len(axes) > MAX_AXES:  # keep those with data, the weakest among them
            axes = sorted(axes, key=lambda a: _share(a) is None)[:MAX_AXES]
        widgets.label(surface, self.tr("growth.radar"), 22, (RADAR.x + 20, RADAR.y + 14),
                      theme.MUTED, max_width=RADAR.width // 2)
        if len(axes) < 3:
            widgets.label(surface, self.tr("growth.no_radar"), 32, RADAR.center, theme.MUTED,
                          "center")
            return
        center = (RADAR.centerx, RADAR.y + 262)

        def point(index: int, share: float) -> tuple[int, int]:
            angle = -math.pi / 2 + 2 * math.pi * index / len(axes)
            return (round(center[0] + math.cos(angle) * RADIUS * share),
                    round(center[1] + math.sin(angle) * RADIUS * share))

        for ring in (0.25, 0.5, 0.75, 1.0):  # the web: rings at a quarter each
            pygame.draw.polygon(surface, theme.LINE, [point(i, ring) for i in range(len(axes))],
                                2)
        for i in range(len(axes)):
            pygame.draw.line(surface, theme.LINE, center, point(i, 1.0), 2)
        shape = [point(i, max(0.0, min(_share(a) or 0.0, 1.0))) for i, a in enumerate(axes)]
        fill = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        pygame.draw.polygon(fill, (*theme.PRIMARY, 70), shape)
        surface.blit(fill, (0, 0))
        pygame.draw.polygon(surface, theme.PRIMARY, shape, 4)
        for i, axis in enumerate(axes):
            weak = axis.get("key") == weakest
            share = _share(axis)
            pygame.draw.circle(surface, theme.BAD if weak else theme.PRIMARY, shape[i],
                               9 if weak else 6)
            x, y = point(i, 1.0)
            dx, dy = x - center[0], y - center[1]
            # The name over its share, beside the axis's end (above it at the top).
            side = "left" if dx > 20 else "right" if dx < -20 else ""
            px = x + (10 if side == "left" else -10 if side == "right" else 0)
            top = y - 52 if dy < -20 and not side else y - 24 if not side or dy < 0 else y - 8
            color = theme.BAD if weak else theme.INK
            widgets.label(surface, self._axis_name(axis), 22, (px, top), color,
                          f"top{side}" if side else "midtop", max_width=140)
            widgets.label(surface, "—" if share is None else f"{share * 100:.0f}%", 22,
                          (px, top + 26), color if weak else theme.MUTED,
                          f"top{side}" if side else "midtop")
        named = next((a for a in axes if a.get("key") == weakest), None)
        if named is not None:
            widgets.label(surface, self.tr("growth.weakest", name=self._axis_name(named)), 26,
                          (RADAR.right - 20, RADAR.y + 12), theme.BAD, "topright",
                          max_width=RADAR.width // 2 - 30)

    def _draw_right(self, surface: pygame.Surface, record: dict[str, Any]) -> None:
        x, width = RIGHT.x + 20, RIGHT.width - 40
        box = pygame.Rect(RIGHT.x, RIGHT.y, RIGHT.width, 172)
        widgets.panel(surface, box)
        self._draw_grade(surface, record.get("grade") or {}, x, box.y + 12, width)
        box = pygame.Rect(RIGHT.x, box.bottom + 12, RIGHT.width, 112)
        widgets.panel(surface, box)
        self._draw_tiers(surface, record, x, box.y + 14, width)
        box = pygame.Rect(RIGHT.x, box.bottom + 12, RIGHT.width,
                          RIGHT.bottom - box.bottom - 12)
        widgets.panel(surface, box)
        self._draw_training(surface, record, x, box.y + 14, width)

    def _draw_grade(self, surface: pygame.Surface, grade: dict[str, Any], x: int, y: int,
                    width: int) -> None:
        current, upcoming = grade.get("current"), grade.get("next")
        now = self._name(current) if isinstance(current, dict) else self.tr("growth.no_grade")
        surface.blit(icons.icon("points", 48, theme.STAR), (x, y))
        widgets.label(surface, self.tr("growth.grade", grade=now), 34, (x + 58, y + 4),
                      max_width=width - 58)
        y += 54
        if not isinstance(upcoming, dict):  # the top of the path, or no path for the role
            top = isinstance(current, dict)
            widgets.label(surface, self.tr("growth.top" if top else "growth.no_path"), 28,
                          (x, y), theme.GOOD if top else theme.MUTED, max_width=width)
            return
        needed = float(upcoming.get("points") or 0)
        have = float(grade.get("points") or 0)
        widgets.label(surface, self.tr("growth.next", grade=self._name(upcoming),
                                       have=number(have), need=number(needed)),
                      28, (x, y), max_width=width)
        bar = pygame.Rect(x, y + 40, width, 20)
        widgets.progress_bar(surface, bar, have / needed if needed > 0 else 1.0,
                             theme.GOOD if grade.get("reached") else theme.PRIMARY)
        y += 70
        if grade.get("reached"):
            widgets.label(surface, self.tr("growth.reached"), 28, (x, y), theme.GOOD,
                          max_width=width)
            return
        missing = []
        if float(grade.get("missing_points") or 0) > 0:
            missing.append(self.tr("growth.missing_points",
                                   points=number(float(grade["missing_points"]))))
        videos = [v for v in grade.get("missing_videos") or [] if isinstance(v, dict)]
        if videos:
            missing.append(self.tr("growth.missing_videos",
                                   videos="、".join(self._name(v) for v in videos)))
        widgets.text_block(surface, self.tr("growth.missing", what=" · ".join(missing)), 26,
                           (x, y), width, max_lines=1, color=theme.BAD)

    def _draw_tiers(self, surface: pygame.Surface, record: dict[str, Any], x: int, y: int,
                    width: int) -> None:
        counts: Counter[str] = Counter()
        for tier in record.get("tiers") or []:
            if isinstance(tier, dict):
                counts[str(tier.get("name") or tier.get("tier") or "")] += 1
        surface.blit(icons.icon("star", 40, theme.STAR), (x, y))
        won = ("  ".join(f"{name} ×{n}" for name, n in counts.most_common(3)) if counts
               else self.tr("growth.no_tiers"))
        widgets.label(surface, won, 28, (x + 50, y + 4), theme.INK if counts else theme.MUTED,
                      max_width=width - 50)
        pools = [p for p in record.get("pools") or [] if isinstance(p, dict)]
        px = x
        for pool in pools[:3]:
            image = fonts.fit(self._name(pool), 24, theme.PANEL, width // 2)
            rect = image.get_rect(topleft=(px + 14, y + 58)).inflate(28, 12)
            if rect.right > x + width:
                break
            pygame.draw.rect(surface, theme.GOOD, rect, border_radius=rect.height // 2)
            surface.blit(image, image.get_rect(center=rect.center))
            px = rect.right + 10
        if not pools:
            widgets.label(surface, self.tr("growth.no_pools"), 24, (x, y + 60), theme.MUTED,
                          max_width=width)

    def _draw_training(self, surface: pygame.Surface, record: dict[str, Any], x: int, y: int,
                       width: int) -> None:
        training = [t for t in record.get("training") or [] if isinstance(t, dict)]
        done = sum(1 for t in training if t.get("completed_at"))
        surface.blit(icons.icon("training", 40, theme.PRIMARY), (x, y))
        widgets.label(surface, self.tr("growth.trained", n=done), 28, (x + 50, y + 4),
                      max_width=width - 50)
        y += 48
        for item in training[:SHOWN_TRAINING]:
            total = item.get("quiz_total")
            if total:
                passed = item.get("passed")
                quiz = f"{item.get('quiz_correct')}/{total}"
                color = theme.BAD if passed is False else theme.GOOD
                widgets.label(surface, quiz, 26, (x + width, y), color, "topright")
            widgets.label(surface, self._name(item), 26, (x, y),
                          theme.INK if item.get("completed_at") else theme.MUTED,
                          max_width=width - 90)
            y += 34
        rewards = [r for r in record.get("rewards") or [] if isinstance(r, dict)]
        if rewards:
            names = "、".join(self._name(r) for r in rewards[:3])
            surface.blit(icons.icon("gift", 32, theme.WARN), (x, y + 2))
            widgets.label(surface, self.tr("growth.rewards", names=names), 26, (x + 46, y + 4),
                          max_width=width - 46)
