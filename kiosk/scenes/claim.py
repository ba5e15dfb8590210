"""Point claim: pick a category by the pictogram HR gave it, optionally take a photo, send
it for approval.

The photo comes from the camera's one owner (kiosk/hardware/camera.py), the same stream
the QR scanner reads: :class:`PhotoScene` shows its live preview, "take" asks for the
next frame, then the photo is shown with "retake" and "use". A camera that is missing,
busy or lost says so (shown and spoken) and the claim goes on without a photo.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable

import pygame

from kiosk.hardware import camera
from kiosk.logs import log_event
from kiosk.model import Category, Worker
from kiosk.scenes.base import Context, Scene, footer, wrapped
from kiosk.scenes.done import DoneScene
from kiosk.scenes.paging import Pager, cells
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button

logger = logging.getLogger(__name__)

LEVEL_COLORS = {"A": theme.STAR, "B": theme.PRIMARY, "C": theme.GOOD}
COLUMNS, ROWS = 4, 3
PER_PAGE = COLUMNS * ROWS  # 28 categories: 3 pages, any one within 3 taps of this scene
THUMBNAIL = (400, 300)  # the photo on the claim's confirmation
PREVIEW = pygame.Rect(theme.WIDTH // 2 - 320, 150, 640, 480)  # the camera's preview
PHOTO_WAIT_S = 3.0  # the next frame comes in ~70 ms; longer means the camera is stuck


class CategoryTile(Button):
    """A point category: the pictogram HR picked for it, its name in up to three lines, its
    points big."""

    points: float = 0.0

    def draw(self, surface: pygame.Surface) -> None:
        pygame.draw.rect(surface, self.color, self.rect, border_radius=18)
        pygame.draw.rect(surface, theme.LINE, self.rect, 2, border_radius=18)
        size = min(72, self.rect.height - 40)
        surface.blit(icons.pictogram(self.icon, size),
                     (self.rect.x + 10, self.rect.y + 12))
        x, width = self.rect.x + size + 20, self.rect.right - self.rect.x - size - 30
        widgets.text_block(surface, self.label, 24, (x, self.rect.y + 14), width, 3)
        color = theme.GOOD if self.points >= 0 else theme.BAD
        widgets.label(surface, f"{self.points:+g}", 36,
                      (self.rect.right - 14, self.rect.bottom - 10), color, "bottomright")


def category_button(rect: pygame.Rect, category: Category, lang: str, action) -> Button:
    tile = CategoryTile(rect, category.label(lang), action, icon=category.pictogram,
                        name=f"category:{category.code}")
    tile.points = category.points
    return tile


class ClaimScene(Scene):
    name = "claim"

    def __init__(self, ctx: Context, worker: Worker) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.every = [c for c in ctx.roster().categories if c.needs_approval]
        self.pager = Pager(PER_PAGE)
        self._layout()

    def _layout(self) -> None:
        self.categories = self.pager.shown(self.every)
        area = pygame.Rect(theme.MARGIN, 150, theme.WIDTH - 2 * theme.MARGIN, 480)
        rects = cells(area, len(self.categories), COLUMNS, ROWS)
        self.buttons = [
            category_button(rect, c, self.lang, self._choose(c))
            for rect, c in zip(rects, self.categories, strict=True)
        ]
        back, previous, following = footer(3)
        self.buttons.append(self.back_button(back))
        self.buttons += self.pager.buttons(self.tr, previous, following, self._layout)

    def _choose(self, category: Category):
        def choose() -> None:
            self.ctx.scenes.push(ClaimConfirmScene(self.ctx, self.worker, category))
        return choose

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("claim.title"))
        if not self.categories:
            wrapped(surface, self.tr("claim.no_categories"), 48, pygame.Rect(100, 330, 1080, 80),
                    theme.MUTED)


class ClaimConfirmScene(Scene):
    name = "claim"

    def __init__(self, ctx: Context, worker: Worker, category: Category) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.category = category
        self.photo: bytes | None = None
        self.thumbnail: pygame.Surface | None = None
        cells = footer(3)
        self.buttons = [self.back_button(cells[0])]
        if ctx.camera is not None:
            self.buttons.append(Button(cells[1], self.tr("btn.photo"), self._photo,
                                       icon="camera", name="photo"))
        self.buttons.append(Button(cells[2], self.tr("btn.send"), self._send, icon="check",
                                   color=theme.GOOD, ink=theme.PANEL, name="send"))

    def _photo(self) -> None:
        self.ctx.scenes.push(PhotoScene(self.ctx, self.worker, self._use_photo))

    def _use_photo(self, jpeg: bytes, picture: pygame.Surface) -> None:
        self.photo = jpeg
        self.thumbnail = fit(picture, THUMBNAIL)

    def _send(self) -> None:
        payload: dict[str, object] = {"category": self.category.code}
        if self.photo:
            payload["photo_jpeg"] = base64.b64encode(self.photo).decode()
        self.ctx.record("point_claim", self.worker.code, payload)
        self.ctx.scenes.push(DoneScene(self.ctx, self.worker))

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        self.draw_title(surface, self.tr("claim.confirm", name=self.category.label(self.lang)))
        color = LEVEL_COLORS.get(self.category.level, theme.PRIMARY)
        cx = theme.WIDTH // 2 - (200 if self.thumbnail else 0)
        surface.blit(icons.pictogram(self.category.pictogram, 280, color), (cx - 140, 180))
        widgets.label(surface, f"+{self.category.points:g}", 72, (cx, 470), theme.GOOD,
                      "midtop")
        if self.thumbnail is not None:
            rect = self.thumbnail.get_rect(midtop=(theme.WIDTH // 2 + 220, 190))
            surface.blit(self.thumbnail, rect)
            pygame.draw.rect(surface, theme.LINE, rect.inflate(6, 6), 3, border_radius=6)
            widgets.label(surface, self.tr("claim.photo_taken"), 32,
                          (rect.centerx, rect.bottom + 16), theme.MUTED, "midtop")


def fit(picture: pygame.Surface, box: tuple[int, int]) -> pygame.Surface:
    """``picture`` scaled to fit ``box``, its aspect kept."""
    width, height = picture.get_size()
    k = min(box[0] / width, box[1] / height)
    return pygame.transform.smoothscale(picture, (max(1, round(width * k)),
                                                  max(1, round(height * k))))


def camera_on(background: tuple[int, int, int], size: int = 68) -> pygame.Surface:
    """The camera pictogram in white for a coloured button, its lens in ``background``
    (drawn on the icon's own 100-unit grid)."""
    image = icons.icon("camera", size, theme.PANEL).copy()
    k = size / 100
    pygame.draw.circle(image, background, (round(50 * k), round(56 * k)), round(18 * k))
    pygame.draw.circle(image, theme.PANEL, (round(50 * k), round(56 * k)), round(10 * k))
    return image


class PhotoScene(Scene):
    """The claim's photo: a live preview of the shared camera stream and "take"; then the
    photo with "retake" and "use". ``use(jpeg, picture)`` gets the JPEG exactly as it
    will be sent, and the scene goes back to the claim."""

    name = "claim_photo"
    # The camera is pointed at the work: a QR code in view (a label, a colleague's badge)
    # never leaves this scene. A card tapped on the reader still does.
    uses_camera = True

    def __init__(self, ctx: Context, worker: Worker,
                 use: Callable[[bytes, pygame.Surface], None]) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self._use = use
        self.state = "preview"
        self.preview: pygame.Surface | None = None
        self._seq = 0
        self.photo: bytes | None = None
        self.picture: pygame.Surface | None = None
        self._request: int | None = None
        self._waited = 0.0
        self._told = False  # "camera not available" was said since the last preview

    @property
    def animating(self) -> bool:  # type: ignore[override]
        return self.state in ("preview", "taking")

    def enter(self) -> None:
        self._show("preview" if self._camera_up() else "unavailable")

    def _camera_up(self) -> bool:
        return self.ctx.camera is not None and self.ctx.camera.available

    def _show(self, state: str) -> None:
        self.state = state
        back, middle, right = footer(3)
        self.buttons = [self.back_button(back)]
        if state == "preview":
            self._told = False
            self.buttons.append(Button(right, self.tr("btn.take"), self._take,
                                       color=theme.GOOD, ink=theme.PANEL, name="take",
                                       image=camera_on(theme.GOOD)))
        elif state == "taken":
            self.buttons.append(Button(middle, self.tr("btn.retake"), self._retake,
                                       icon="camera", name="retake"))
            self.buttons.append(Button(right, self.tr("btn.use_photo"), self._choose,
                                       icon="check", color=theme.GOOD, ink=theme.PANEL,
                                       name="use"))
        elif state == "unavailable" and not self._told:
            self._told = True
            log_event(logger, "photo_unavailable", worker=self.worker.code)
            self.ctx.say(self.lang, [("say.camera_unavailable",
                                      self.tr("say.camera_unavailable"))])

    def _take(self) -> None:
        self._request = self.ctx.camera.take_photo() if self.ctx.camera is not None else None
        self._waited = 0.0
        self._show("taking" if self._request is not None else "unavailable")

    def _retake(self) -> None:
        self.photo = self.picture = None
        self._show("preview" if self._camera_up() else "unavailable")

    def _choose(self) -> None:
        if self.photo is not None and self.picture is not None:
            self._use(self.photo, self.picture)
        self.ctx.scenes.pop()

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if event.type == camera.PHOTO:
            if self.state == "taking" and event.request == self._request:
                self._taken(event.jpeg)
            return None
        return super().handle_event(event)

    def _taken(self, jpeg: bytes | None) -> None:
        picture = None
        if jpeg is not None:
            try:
                picture = pygame.image.load(io.BytesIO(jpeg), "photo.jpg").convert()
            except pygame.error as exc:
                logger.warning("the camera's photo does not load: %s", exc)
        if jpeg is None or picture is None:
            self._show("unavailable")
            return
        self.photo, self.picture = jpeg, fit(picture, PREVIEW.size)
        self._show("taken")

    def update(self, dt: float) -> None:
        if self.state == "preview":
            frame = self.ctx.camera.latest() if self.ctx.camera is not None else None
            if frame is None:
                self.preview = None
                self._show("unavailable")
            elif frame.seq != self._seq:
                self._seq = frame.seq
                image = pygame.image.frombuffer(frame.rgb, frame.size, "RGB")
                self.preview = fit(image, PREVIEW.size)
        elif self.state == "taking":
            self._waited += dt
            if self._waited > PHOTO_WAIT_S:
                self._show("unavailable")
        elif self.state == "unavailable" and self._camera_up():
            self._show("preview")  # the camera came back while the scene was open

    def draw(self, surface: pygame.Surface) -> None:
        super().draw(surface)
        if self.state == "unavailable":
            self._draw_unavailable(surface)
            return
        key = {"preview": "photo.preview", "taking": "photo.taking",
               "taken": "photo.review"}[self.state]
        self.draw_title(surface, self.tr(key))
        picture = self.picture if self.state == "taken" else self.preview
        pygame.draw.rect(surface, theme.INK, PREVIEW, border_radius=8)
        if picture is not None:
            surface.blit(picture, picture.get_rect(center=PREVIEW.center))
        border = theme.GOOD if self.state == "taken" else theme.LINE
        pygame.draw.rect(surface, border, PREVIEW.inflate(8, 8), 4, border_radius=10)

    def _draw_unavailable(self, surface: pygame.Surface) -> None:
        cx = theme.WIDTH // 2
        surface.blit(icons.icon("camera", 260, theme.MUTED), (cx - 130, 110))
        pygame.draw.circle(surface, theme.BG, (cx + 115, 325), 80)
        surface.blit(icons.icon("cross", 130, theme.BAD), (cx + 50, 260))
        wrapped(surface, self.tr("photo.unavailable"), 64, pygame.Rect(60, 420, 1160, 80),
                theme.BAD)
        wrapped(surface, self.tr("photo.unavailable_help"), 40,
                pygame.Rect(60, 510, 1160, 60), theme.MUTED)
