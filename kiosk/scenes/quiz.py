"""The quiz after a video: a question in a picture, two to four answer pictures to tap.
A tap shows at once whether it was right (a green frame on the right one), says so, and
moves on; at the end the score, and a `training_progress` event carrying it. Below the
video's pass mark the worker is told to watch again and retry; the video stays open."""

from __future__ import annotations

import pygame

from kiosk import events
from kiosk.model import Worker
from kiosk.scenes.base import Context, Scene, wrapped
from kiosk.ui import icons, theme, widgets
from kiosk.ui.widgets import Button
from kiosk.videos import VideoInfo, VideoLibrary

SHOW_ANSWER_S = 1.8
SHOW_SCORE_S = 5.0
QUESTION = pygame.Rect(theme.MARGIN, theme.TOP_BAR + 80, 500, 500)
ANSWERS = pygame.Rect(560, theme.TOP_BAR + 80, theme.WIDTH - theme.MARGIN - 560, 500)


def _picture(path, size: tuple[int, int]) -> pygame.Surface:
    """The picture fitted into `size` (kept whole); a placeholder while missing."""
    if path is None:
        return icons.icon("unknown", min(size), theme.CLOUD)
    try:
        image = pygame.image.load(str(path)).convert()
    except (pygame.error, FileNotFoundError):
        return icons.icon("unknown", min(size), theme.CLOUD)
    scale = min(size[0] / image.get_width(), size[1] / image.get_height())
    return pygame.transform.smoothscale(
        image, (round(image.get_width() * scale), round(image.get_height() * scale)))


class QuizScene(Scene):
    name = "quiz"

    def __init__(self, ctx: Context, worker: Worker, video: VideoInfo, seconds: float,
                 library: VideoLibrary) -> None:
        super().__init__(ctx, worker=worker)
        self.worker: Worker = worker
        self.video = video
        self.seconds = seconds
        self.library = library
        self.questions = video.quiz
        self.index = 0
        self.right = 0
        self.chosen: int | None = None
        self.wait = 0.0
        self.finished = False
        self.passed = True
        self._show()

    def _show(self) -> None:
        item = self.questions[self.index]
        self.question_image = _picture(self.library.picture(item.question),
                                       QUESTION.inflate(-20, -20).size)
        columns = 2
        cells = widgets.grid(ANSWERS, len(item.answers), columns, 20,
                             240 if len(item.answers) > 2 else 500)
        self.buttons = []
        for number, (rect, name) in enumerate(zip(cells, item.answers, strict=True)):
            image = _picture(self.library.picture(name), rect.inflate(-24, -24).size)
            self.buttons.append(Button(rect, "", self._answer(number), image=image,
                                       name=f"answer:{number + 1}"))
        self.chosen = None

    def _answer(self, number: int):
        def choose() -> None:
            if self.chosen is not None:
                return
            self.chosen = number
            right = number == self.questions[self.index].correct
            self.right += right
            key = "say.quiz_right" if right else "say.quiz_wrong"
            self.ctx.say(self.lang, [(key, self.tr(key))])
            self.wait = SHOW_ANSWER_S
        return choose

    def update(self, dt: float) -> None:
        if self.wait <= 0:
            return
        self.wait -= dt
        if self.wait > 0:
            return
        if self.finished:
            self.ctx.scenes.pop()
        elif self.index + 1 < len(self.questions):
            self.index += 1
            self._show()
        else:
            self._finish()

    def _finish(self) -> None:
        self.finished = True
        self.buttons = []
        total = len(self.questions)
        self.ctx.record("training_progress", self.worker.code, {
            "video": self.video.id, "seconds_watched": round(self.seconds, 2),
            "quiz_correct": self.right, "quiz_total": total})
        self.passed = self.video.passes(self.right, total)
        if self.passed and self.video.quiz_counts:
            self.ctx.store.save_watched(self.worker.code, self.video.id, self.seconds, True)
        parts = [("say.quiz_score", self.tr("say.quiz_score", right=self.right, total=total))]
        if not self.passed:
            parts.append(("say.quiz_retry", self.tr("say.quiz_retry",
                                                    mark=self.video.pass_mark)))
        self.ctx.say(self.lang, parts)
        self.wait = SHOW_SCORE_S

    def handle_event(self, event: pygame.event.Event) -> pygame.event.Event | None:
        if self.finished and event.type == events.TAP:
            self.ctx.scenes.pop()
            return None
        return super().handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        total = len(self.questions)
        if self.finished:
            self._draw_score(surface, total)
            return
        self.draw_title(surface, self.tr("quiz.title", n=self.index + 1, total=total))
        widgets.panel(surface, QUESTION)
        surface.blit(self.question_image, self.question_image.get_rect(center=QUESTION.center))
        correct = self.questions[self.index].correct
        for number, button in enumerate(self.buttons):
            button.draw(surface)
            if self.chosen is None:
                continue
            if number == correct:
                pygame.draw.rect(surface, theme.GOOD, button.rect, 10, border_radius=18)
            if number == self.chosen:
                mark = "check" if number == correct else "cross"
                color = theme.GOOD if number == correct else theme.BAD
                pygame.draw.circle(surface, color, (button.rect.right - 50,
                                                    button.rect.y + 50), 42)
                surface.blit(icons.icon(mark, 56, theme.PANEL),
                             (button.rect.right - 78, button.rect.y + 22))
        if self.chosen is not None:
            key = "quiz.right" if self.chosen == correct else "quiz.wrong"
            color = theme.GOOD if self.chosen == correct else theme.BAD
            wrapped(surface, self.tr(key), 40, pygame.Rect(100, theme.HEIGHT - 120, 1080, 100),
                    color)

    def _draw_score(self, surface: pygame.Surface, total: int) -> None:
        lit = 3 if self.right == total else 2 if self.right * 2 >= total else 1
        widgets.stars(surface, (theme.WIDTH // 2 - (3 * 170 + 12) // 2, 200), lit, size=170)
        wrapped(surface, self.tr("quiz.score", right=self.right, total=total), 64,
                pygame.Rect(100, 440, 1080, 100))
        if self.passed:
            wrapped(surface, self.tr("player.finished"), 44, pygame.Rect(100, 560, 1080, 80),
                    theme.GOOD)
        else:  # below the pass mark: watch again, and the quiz comes again
            wrapped(surface, self.tr("quiz.retry", mark=self.video.pass_mark), 40,
                    pygame.Rect(100, 560, 1080, 120), theme.BAD)
