"""Playing a training video: the picture, big pause/play and back-10-seconds buttons, and a
bar to tap to jump. A required video may not jump past what the worker has watched.

Progress goes to the outbox as `training_progress` every 10 s watched and at the end (and
when the worker leaves early), with the furthest point reached by playing, never by
jumping. At 90 % it counts as completed; then the quiz, if the video has one.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pygame

from kiosk import events
from kiosk.hardware.video import PlaybackError, VideoPlayer
from kiosk.logs import log_event
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, wrapped
from kiosk.scenes.quiz import QuizScene
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button
from kiosk.videos import COMPLETE_SHARE, VideoInfo, VideoLibrary

logger = logging.getLogger(__name__)

REPORT_EVERY_S = 10.0
BACK_S = 10.0
JUMP_SLACK_S = 1.0  # position moving this far in one frame is a jump, not playing
VIDEO_AREA = pygame.Rect(0, theme.TOP_BAR + 6, theme.WIDTH, 540)
FOOTER_Y = theme.HEIGHT - 132
SEEK_AREA = pygame.Rect(724, FOOTER_Y, theme.WIDTH - theme.MARGIN - 724, 120)
NOTICE_S = 3.0


def clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class PlayerScene(Scene):
    name = "player"
    fps = 60  # above the video's 30, so no frame falls due twice between two draws

    def __init__(self, ctx: Context, worker: Worker, video: VideoInfo, path: Path,
                 library: VideoLibrary) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.video = video
        self.path = path
        self.library = library
        seconds, completed = ctx.store.watched(worker.code).get(video.id, (0.0, False))
        self.furthest = seconds
        # Watched enough (a quiz retry needs no new progress: watching again brings it).
        self.completed = completed or seconds >= COMPLETE_SHARE * video.duration_s
        # Start where the worker stopped, unless it was finished: then from the start.
        self.start_at = 0.0 if completed or seconds >= video.duration_s - 1 else seconds
        self.reported = seconds
        self.player: VideoPlayer | None = None
        self.notice = ""
        self.notice_left = 0.0
        self.failed = False
        # Play from the first update, not from enter: the frame that draws the scene for
        # the first time is slow, and a clock already running would drop frames there.
        self._start = False
        self._last_position = self.start_at
        back = pygame.Rect(theme.MARGIN, FOOTER_Y, 200, 120)
        self.toggle = Button(pygame.Rect(464, FOOTER_Y, 240, 120), self.tr("player.pause"),
                             self._toggle, icon="pause", name="pause",
                             color=theme.PRIMARY, ink=theme.PANEL)
        self.buttons = [
            self.back_button(back),
            Button(pygame.Rect(244, FOOTER_Y, 200, 120), self.tr("player.back10"),
                   self._back10, icon="rewind", name="back10"),
            self.toggle,
            Button(SEEK_AREA, "", self._noop, name="seek"),
            Button(VIDEO_AREA, "", self._toggle, name="screen"),
        ]

    # a playing video keeps the screen; a paused one times out like any other
    @property
    def times_out(self) -> bool:  # type: ignore[override]
        return self.player is None or not self.player.playing

    @property
    def animating(self) -> bool:  # type: ignore[override]
        return self.player is not None and self.player.playing

    def enter(self) -> None:
        if self.player is not None:
            return
        try:
            self.player = VideoPlayer(self.path, VIDEO_AREA.size, start_at=self.start_at,
                                      clock=self.ctx.clock)
        except PlaybackError as exc:
            log_event(logger, "video_unplayable", logging.WARNING, video=self.video.id,
                      reason=str(exc))
            self.failed = True
            return
        self.library.played(self.video)
        log_event(logger, "video_play", video=self.video.id, worker=self.worker.code,
                  start=round(self.start_at, 1))
        self._start = True

    def exit(self) -> None:
        self._report()
        if self.player is not None:
            self.player.close()
            self.player = None

    # controls -------------------------------------------------------------------------
    def _noop(self) -> None:
        """The seek bar's tap is handled with its position in handle_event."""

    def _toggle(self) -> None:
        if self.player is None:
            return
        if self.player.playing:
            self.player.pause()
            self._report()
        else:
            self.player.play()
        self._sync_toggle()

    def _sync_toggle(self) -> None:
        playing = self.player is not None and self.player.playing
        self.toggle.icon = "pause" if playing else "play"
        self.toggle.label = self.tr("player.pause" if playing else "player.play")

    def _back10(self) -> None:
        if self.player is not None:
            self.jump(self.player.position - BACK_S)

    def jump(self, seconds: float) -> None:
        """Go to `seconds`; a required video stops at the furthest point watched."""
        if self.player is None:
            return
        if self.video.required and seconds > self.furthest:
            seconds = self.furthest
            self.notice, self.notice_left = self.tr("player.no_skip"), NOTICE_S
        self.player.seek(seconds)
        self._last_position = self.player.position
        self._sync_toggle()

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.TAP and SEEK_AREA.collidepoint(event.pos) and self.player:
            bar = self._bar()
            share = min(1.0, max(0.0, (event.pos[0] - bar.x) / bar.width))
            self.jump(share * self.player.duration)
            return None
        return super().handle_event(event)

    # time -----------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        self.notice_left = max(0.0, self.notice_left - dt)
        player = self.player
        if player is None:
            return
        if self._start:
            self._start = False
            player.play()
            self._sync_toggle()
        player.update()
        position = player.position
        if player.playing or player.ended:
            # Only playing moves the furthest point: a jump ahead (optional videos) does not.
            if position - self._last_position <= JUMP_SLACK_S + dt and \
                    self._last_position <= self.furthest + JUMP_SLACK_S:
                self.furthest = max(self.furthest, position)
            self._last_position = position
        if self.furthest - self.reported >= REPORT_EVERY_S:
            self._report()
        if player.ended:
            self._finish()

    def _report(self) -> None:
        """Queue a training_progress event when there is news since the last one."""
        if self.furthest <= self.reported + 0.05:
            return
        seconds = round(min(self.furthest, self.video.duration_s), 2)
        done = seconds >= COMPLETE_SHARE * self.video.duration_s
        # A quiz with a pass mark completes the video only once passed (quiz.py).
        self.ctx.store.save_watched(self.worker.code, self.video.id, seconds,
                                    done and not self.video.quiz_counts)
        self.ctx.record("training_progress", self.worker.code,
                        {"video": self.video.id, "seconds_watched": seconds})
        self.reported = self.furthest
        self.completed = self.completed or done

    def _finish(self) -> None:
        self._report()
        log_event(logger, "video_finished", video=self.video.id, worker=self.worker.code,
                  watched=round(self.furthest, 1), dropped=self.player.dropped
                  if self.player else 0)
        if self.completed and self.video.quiz:
            self.ctx.scenes.replace(QuizScene(self.ctx, self.worker, self.video,
                                              self.furthest, self.library))
            return
        self.ctx.say(self.lang, [("say.video_done", self.tr("say.video_done"))])
        self.ctx.scenes.pop()

    # drawing --------------------------------------------------------------------------
    def _bar(self) -> pygame.Rect:
        return pygame.Rect(SEEK_AREA.x + 10, SEEK_AREA.y + 70, SEEK_AREA.width - 20, 24)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        pygame.draw.rect(surface, (0, 0, 0), VIDEO_AREA)
        player = self.player
        if player is not None and player.frame is not None:
            surface.blit(player.frame, player.frame.get_rect(center=VIDEO_AREA.center))
        if self.failed:
            wrapped(surface, self.tr("error.title"), 44, VIDEO_AREA.inflate(-200, -400),
                    theme.PANEL)
        if player is not None and not player.playing:
            pygame.draw.circle(surface, theme.PRIMARY, VIDEO_AREA.center, 96)
            image = icons.icon("play", 110, theme.PANEL)
            surface.blit(image, image.get_rect(center=(VIDEO_AREA.centerx + 8,
                                                       VIDEO_AREA.centery)))
        for button in self.buttons[:3]:
            button.draw(surface)
        self._draw_seek(surface)
        if self.notice_left > 0:
            box = pygame.Rect(0, 0, 900, 90)
            box.midbottom = (theme.WIDTH // 2, VIDEO_AREA.bottom - 20)
            pygame.draw.rect(surface, theme.BAD, box, border_radius=18)
            widgets.label(surface, self.notice, 34, box.center, theme.PANEL, "center",
                          max_width=box.width - 40)

    def _draw_seek(self, surface: pygame.Surface) -> None:
        pygame.draw.rect(surface, theme.PANEL, SEEK_AREA, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, SEEK_AREA, 2, border_radius=18)
        bar = self._bar()
        duration = self.player.duration if self.player else self.video.duration_s
        position = self.player.position if self.player else self.start_at
        widgets.label(surface, self.video.label(self.lang), 26, (bar.x, SEEK_AREA.y + 12),
                      max_width=bar.width - 150)
        widgets.label(surface, f"{clock_text(position)} / {clock_text(duration)}", 26,
                      (bar.right, SEEK_AREA.y + 12), theme.MUTED, "topright")
        pygame.draw.rect(surface, theme.BAR_BG, bar, border_radius=12)
        if duration > 0:
            watched = bar.copy()
            watched.width = round(bar.width * min(1.0, self.furthest / duration))
            if watched.width:
                pygame.draw.rect(surface, (170, 200, 235), watched, border_radius=12)
            played = bar.copy()
            played.width = round(bar.width * min(1.0, position / duration))
            if played.width:
                pygame.draw.rect(surface, theme.PRIMARY, played, border_radius=12)
            knob = (bar.x + round(bar.width * min(1.0, position / duration)), bar.centery)
            pygame.draw.circle(surface, theme.PRIMARY, knob, 18)
            pygame.draw.circle(surface, theme.PANEL, knob, 8)
