"""Training: the worker's videos as picture tiles (thumbnail, "recommended", "required" and
"new" marks, a ring for how much is watched); one tap plays a downloaded video, and one
not yet on this kiosk says so with a picture and its download progress. The videos the
server suggests for the worker's weakest dimension (the growth record's `suggested`,
cached) come first, marked "recommended" (推荐)."""

from __future__ import annotations

import math
from datetime import date

import pygame

from kiosk import events
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, wrapped
from kiosk.scenes.player import PlayerScene
from kiosk.store import growth_key
from kiosk.ui import fonts, icons, theme, widgets
from kiosk.ui.widgets import Button
from kiosk.videos import COMPLETE_SHARE, VideoInfo, VideoLibrary

PER_PAGE = 6
GRID = pygame.Rect(theme.MARGIN, theme.TOP_BAR + 76, theme.WIDTH - 2 * theme.MARGIN, 484)
THUMB_H = 136
TILE_H = 236
QUIZ_OPEN_SHARE = COMPLETE_SHARE - 0.01  # the ring of a video whose quiz is still to pass


def progress_of(ctx: Context, worker: Worker, videos: list[VideoInfo]) -> dict[int, float]:
    """Share watched per video: the furthest of this kiosk's own record and the server's
    (the cached scorecard lists required videos not yet finished, with their progress)."""
    share: dict[int, float] = {}
    complete: set[int] = set()
    for video in videos:
        seconds, completed = ctx.store.watched(worker.code).get(video.id, (0.0, False))
        share[video.id] = 1.0 if completed else seconds / video.duration_s if \
            video.duration_s else 0.0
        if completed:
            complete.add(video.id)
    cached = ctx.store.scorecard(worker.code, "week")
    due = (cached.body.get("tasks") or {}).get("videos_due") if cached else None
    if isinstance(due, list) and len(due) < 10:  # a full list may have been cut short
        open_ids = {int(item.get("id", 0)): float(item.get("progress") or 0) for item in due}
        for video in videos:
            if video.required and video.id not in open_ids:
                share[video.id] = 1.0  # finished, maybe on another kiosk
                complete.add(video.id)
            elif video.id in open_ids:
                share[video.id] = max(share[video.id], open_ids[video.id])
    for video in videos:  # watched but the quiz not passed yet: not done
        if video.quiz_counts and video.id not in complete:
            share[video.id] = min(share[video.id], QUIZ_OPEN_SHARE)
    return share


def suggested_ids(ctx: Context, worker: Worker) -> list[int]:
    """The videos the cached growth record suggests to the worker, in its order."""
    cached = ctx.store.cached(growth_key(worker.code))
    ids = cached.body.get("suggested") if cached and isinstance(cached.body, dict) else None
    return [int(i) for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def ring(surface: pygame.Surface, center: tuple[int, int], radius: int, share: float) -> None:
    """A progress ring on a white disc; a tick once complete."""
    pygame.draw.circle(surface, theme.PANEL, center, radius + 6)
    rect = pygame.Rect(0, 0, 2 * radius, 2 * radius)
    rect.center = center
    pygame.draw.circle(surface, theme.BAR_BG, center, radius, 9)
    if share >= COMPLETE_SHARE:
        pygame.draw.circle(surface, theme.GOOD, center, radius)
        image = icons.icon("check", radius, theme.PANEL)
        surface.blit(image, image.get_rect(center=center))
        return
    if share > 0:
        start = math.pi / 2 - 2 * math.pi * share  # clockwise from the top
        pygame.draw.arc(surface, theme.PRIMARY, rect, start, math.pi / 2, 9)
    widgets.label(surface, f"{round(share * 100)}%", 22, center, theme.INK, "center")


class VideoTile(Button):
    video: VideoInfo | None = None
    scene: TrainingScene | None = None

    def draw(self, surface: pygame.Surface) -> None:
        video, scene = self.video, self.scene
        if video is None or scene is None:
            return
        pygame.draw.rect(surface, theme.PANEL, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        thumb = pygame.Rect(self.rect.x + 10, self.rect.y + 10, self.rect.width - 20, THUMB_H)
        ready = scene.library.path(video) is not None
        picture = scene.thumbnail(video)
        if picture is not None:
            if not ready:
                picture = picture.copy()
                picture.set_alpha(90)
            surface.blit(picture, thumb)
        else:
            pygame.draw.rect(surface, theme.BAR_BG, thumb, border_radius=10)
        if ready:
            play = icons.icon("play", 64, theme.PANEL)
            pygame.draw.circle(surface, (0, 0, 0), thumb.center, 44)
            surface.blit(play, play.get_rect(center=(thumb.centerx + 4, thumb.centery)))
        else:
            self._draw_waiting(surface, thumb, video, scene)
        x = thumb.x
        if video.id in scene.suggested:
            x = _pill(surface, (x, thumb.y + 8), scene.tr("training.recommended"),
                      theme.GOOD) + 8
        if video.required:
            x = _pill(surface, (x, thumb.y + 8), scene.tr("training.required"), theme.BAD) + 8
        if scene.is_new(video):
            _pill(surface, (x, thumb.y + 8), scene.tr("training.new"), theme.WARN)
        ring(surface, (thumb.right - 42, thumb.bottom - 8), 34, scene.progress.get(video.id, 0))
        widgets.label(surface, video.label(scene.lang), 30, (thumb.x, thumb.bottom + 8),
                      max_width=thumb.width - 76)
        done = scene.progress.get(video.id, 0) >= COMPLETE_SHARE
        if done or (video.required and video.required_by):
            note = (scene.tr("training.done") if done else
                    scene.tr("training.due", date=video.required_by[5:].replace("-", "/")))
            widgets.label(surface, note, 22, (thumb.x, thumb.bottom + 50),
                          theme.GOOD if done else theme.MUTED, max_width=thumb.width - 76)

    def _draw_waiting(self, surface: pygame.Surface, thumb: pygame.Rect, video: VideoInfo,
                      scene: TrainingScene) -> None:
        # One row under the marks: the download picture, then what is happening.
        share = scene.library.downloading.get(video.id)
        text = (scene.tr("training.downloading", pct=round(share * 100)) if share is not None
                else scene.tr("training.not_downloaded"))
        words = fonts.fit(text, 28, theme.INK, thumb.width - 90)
        image = icons.icon("download", 52, theme.PRIMARY)
        left = thumb.centerx - (image.get_width() + 10 + words.get_width()) // 2
        row_y = thumb.y + 76
        # A pale band under the row, so the words stay readable over any thumbnail.
        band = pygame.Surface((thumb.width, 84), pygame.SRCALPHA)
        band.fill((*theme.PANEL, 235))
        surface.blit(band, (thumb.x, row_y - 32))
        surface.blit(image, image.get_rect(midleft=(left, row_y)))
        surface.blit(words, words.get_rect(midleft=(left + image.get_width() + 10, row_y)))
        if share is not None:
            bar = pygame.Rect(thumb.x + 30, row_y + 32, thumb.width - 130, 12)
            widgets.progress_bar(surface, bar, share, theme.PRIMARY)


def _pill(surface: pygame.Surface, pos: tuple[int, int], text: str,
          color: tuple[int, int, int]) -> int:
    """A coloured mark with white text; returns its right edge."""
    image = fonts.text(text, 24, theme.PANEL)
    rect = image.get_rect(topleft=(pos[0] + 12, pos[1] + 4)).inflate(24, 8)
    rect.topleft = pos
    pygame.draw.rect(surface, color, rect, border_radius=rect.height // 2)
    surface.blit(image, image.get_rect(center=rect.center))
    return rect.right


class TrainingScene(Scene):
    name = "training"

    def __init__(self, ctx: Context, worker: Worker, today: date | None = None) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.today = today or date.today()
        self.page = 0
        self.message = ""
        self._thumbs: dict[str, pygame.Surface | None] = {}
        assert ctx.videos is not None, "the scorecard offers training only with a library"
        self.library: VideoLibrary = ctx.videos
        self.reload()

    def reload(self) -> None:
        self.suggested = suggested_ids(self.ctx, self.worker)
        rank = {video_id: n for n, video_id in enumerate(self.suggested)}
        # Suggested first, in the server's order; the rest as the library lists them.
        self.videos = sorted(self.library.videos(self.worker.role),
                             key=lambda v: rank.get(v.id, len(rank)))
        self.progress = progress_of(self.ctx, self.worker, self.videos)
        self.pages = max(1, -(-len(self.videos) // PER_PAGE))
        self.page = min(self.page, self.pages - 1)
        self._layout()

    def is_new(self, video: VideoInfo) -> bool:
        return video.is_new(self.today) and self.progress.get(video.id, 0) == 0

    def thumbnail(self, video: VideoInfo) -> pygame.Surface | None:
        """The tile's thumbnail as `_layout` loaded it; None until downloaded."""
        return self._thumbs.get(video.thumbnail_name)

    def _load_thumbnail(self, video: VideoInfo, size: tuple[int, int]) -> None:
        """Scale the thumbnail to cover `size`, cropped to it (once: draw only reads it)."""
        if video.thumbnail_name not in self._thumbs:
            path = self.library.picture(video.thumbnail_name)
            self._thumbs[video.thumbnail_name] = _cover(path, size) if path else None

    def _layout(self) -> None:
        shown = self.videos[self.page * PER_PAGE:(self.page + 1) * PER_PAGE]
        tiles: list[Button] = []
        for rect, video in zip(widgets.grid(GRID, len(shown), 3, 20, TILE_H), shown, strict=True):
            tile = VideoTile(rect, "", self._opener(video), name=f"video:{video.id}")
            tile.video, tile.scene = video, self
            tiles.append(tile)
            self._load_thumbnail(video, (rect.width - 20, THUMB_H))
        footer = pygame.Rect(theme.MARGIN, theme.HEIGHT - 152, 240, 128)
        buttons: list[Button] = [*tiles, self.back_button(footer)]
        if self.pages > 1:
            prev_rect = pygame.Rect(theme.WIDTH - theme.MARGIN - 500, footer.y, 240, 128)
            next_rect = pygame.Rect(theme.WIDTH - theme.MARGIN - 240, footer.y, 240, 128)
            buttons += [Button(prev_rect, "", self._turn(-1), icon="back", name="page:prev"),
                        Button(next_rect, "", self._turn(1), name="page:next",
                               image=pygame.transform.flip(icons.icon("back", 96), True,
                                                           False))]
        self.buttons = buttons

    def _turn(self, step: int):
        def turn() -> None:
            self.page = (self.page + step) % self.pages
            self._layout()
        return turn

    def _opener(self, video: VideoInfo):
        def open_() -> None:
            path = self.library.path(video)
            if path is None:
                self.message = self.tr("training.wait")
                self.ctx.say(self.lang, [("say.video_wait", self.tr("say.video_wait"))])
                return
            self.message = ""
            self.ctx.scenes.push(PlayerScene(self.ctx, self.worker, video, path, self.library))
        return open_

    def enter(self) -> None:
        self.reload()
        self.ctx.sync.request_growth(self.worker.code)  # what to suggest may have changed

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == events.GROWTH_READY and event.worker == self.worker.code:
            self.reload()
            return None
        if event.type == events.VIDEOS_READY:
            self._thumbs.clear()
            self.reload()
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        self.draw_title(surface, self.tr("training.title"))
        if self.pages > 1 and not self.message:
            widgets.label(surface, self.tr("training.page", page=self.page + 1,
                                           pages=self.pages), 32,
                          (theme.WIDTH // 2 - 20, theme.HEIGHT - 88), theme.MUTED, "center")
        for button in self.buttons:
            button.draw(surface)
        if not self.videos:
            image = icons.icon("training", 200, theme.CLOUD)
            surface.blit(image, image.get_rect(center=(theme.WIDTH // 2, 330)))
            wrapped(surface, self.tr("training.none"), 44, pygame.Rect(140, 460, 1000, 120),
                    theme.MUTED)
        if self.message:  # between the back button and the page buttons
            area = pygame.Rect(290, theme.HEIGHT - 140, 450, 124)
            wrapped(surface, self.message, 30, area, theme.BAD)


def _cover(path, size: tuple[int, int]) -> pygame.Surface | None:
    """The picture at `path` scaled to cover `size` and cropped to it."""
    try:
        image = pygame.image.load(str(path)).convert()
    except (pygame.error, FileNotFoundError):
        return None
    scale = max(size[0] / image.get_width(), size[1] / image.get_height())
    scaled = pygame.transform.smoothscale(
        image, (math.ceil(image.get_width() * scale), math.ceil(image.get_height() * scale)))
    crop = pygame.Rect((0, 0), size)
    crop.center = scaled.get_rect().center
    return scaled.subsurface(crop).copy()
