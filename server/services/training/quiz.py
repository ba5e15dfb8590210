"""A video's quiz: one to five questions asked in pictures, each answered by tapping one
of two to four pictures. Pictures are re-encoded (so what is stored is always a plain
JPEG of sane size) into `<data dir>/videos/quiz/`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from server.services import InvalidInput, NotFound
from server.services.audit import record
from server.services.images import normalised_jpeg
from server.services.refusals import N_
from server.services.training.videos import get_video, video_dir

MAX_QUESTIONS = 5
MIN_ANSWERS, MAX_ANSWERS = 2, 4
PICTURE_SIZE = 600
# How a refused picture is named, for the catalogue (server/services/refusals.py).
QUESTION = N_("question")
ANSWERS = (N_("answer 1"), N_("answer 2"), N_("answer 3"), N_("answer 4"))


def _picture(data: bytes, folder: Path, what: str) -> str:
    """Store one picture; returns its name in the quiz folder."""
    jpeg = normalised_jpeg(data, PICTURE_SIZE, what)
    name = f"{hashlib.sha256(jpeg).hexdigest()[:20]}.jpg"
    (folder / name).write_bytes(jpeg)
    return name


def add_question(session: Session, data_dir: Path, video_id: int, question: bytes,
                 answers: list[bytes], correct: int, actor: str) -> int:
    """Append a question; `correct` is the index of the right answer. Returns how many
    questions the quiz has now."""
    video = get_video(session, video_id)
    quiz = list(video.quiz or ())
    if len(quiz) >= MAX_QUESTIONS:
        raise InvalidInput(f"quiz: at most {MAX_QUESTIONS} questions")
    answers = [a for a in answers if a]
    if not question:
        raise InvalidInput("question: choose a picture for the question")
    if not MIN_ANSWERS <= len(answers) <= MAX_ANSWERS:
        raise InvalidInput(f"answers: choose {MIN_ANSWERS} to {MAX_ANSWERS} answer pictures")
    if not 0 <= correct < len(answers):
        raise InvalidInput("correct: mark which answer picture is right")
    folder = video_dir(data_dir) / "quiz"
    folder.mkdir(exist_ok=True)
    prefix = f"{video_dir(data_dir).name}/quiz/"
    item = {"question": prefix + _picture(question, folder, QUESTION),
            "answers": [prefix + _picture(a, folder, ANSWERS[i])
                        for i, a in enumerate(answers)],
            "correct": correct}
    video.quiz = [*quiz, item]  # a new list, so the JSON column sees the change
    record(session, actor, "video.quiz_add", "training_video", video.id,
           after={"question": len(video.quiz), "answers": len(answers), "correct": correct})
    return len(video.quiz)


def remove_question(session: Session, video_id: int, number: int, actor: str) -> None:
    """Remove question `number` (1-based). Its pictures stay on disk: another question
    may use the same picture, and they are small."""
    video = get_video(session, video_id)
    quiz = list(video.quiz or ())
    if not 1 <= number <= len(quiz):
        raise NotFound(f"video {video_id} has no question {number}")
    removed = quiz.pop(number - 1)
    video.quiz = quiz
    record(session, actor, "video.quiz_remove", "training_video", video.id,
           before={"question": number, "answers": len(removed["answers"])})


def quiz_picture(session: Session, video_id: int, question: int,
                 answer: int | None) -> str:
    """The stored path of a question's picture, or of its answer `answer` (1-based)."""
    video = get_video(session, video_id)
    quiz = video.quiz or []
    if not 1 <= question <= len(quiz):
        raise NotFound(f"video {video_id} has no question {question}")
    item = quiz[question - 1]
    if answer is None:
        return str(item["question"])
    if not 1 <= answer <= len(item["answers"]):
        raise NotFound(f"question {question} has no answer {answer}")
    return str(item["answers"][answer - 1])
