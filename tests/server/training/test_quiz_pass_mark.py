"""The quiz counts: a video with a quiz and a pass mark is complete when watched to 90 %
and a quiz reached the mark; below it the worker may retry; every attempt is counted
and the best kept. Pure on the rows (`record_progress`), then through kiosk events on
both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import TrainingProgress, TrainingVideo
from server.services.training.progress import passes, record_progress
from support.factory import Factory, PostEvents, make_event

QUIZ = [{"question": "q.jpg", "answers": ["a.jpg", "b.jpg"], "correct": 0}] * 5
AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _video(pass_mark: int | None, quiz: list[dict[str, object]] | None = None
           ) -> TrainingVideo:
    return TrainingVideo(title="v", duration_s=100.0, pass_mark=pass_mark,
                         quiz=QUIZ if quiz is None else quiz)


def _progress() -> TrainingProgress:
    return TrainingProgress(seconds_watched=0.0, quiz_attempts=0)


@pytest.mark.parametrize(("correct", "passed"), [(2, False), (3, True), (4, True)])
def test_the_pass_mark_below_at_and_above(correct: int, passed: bool) -> None:
    video, progress = _video(60), _progress()  # 60 %: 3 of 5 exactly
    assert passes(video, correct, 5) is passed
    done = record_progress(progress, video, 95.0, correct, 5, AT)
    assert done is passed
    assert (progress.completed_at is not None) is passed
    assert progress.quiz_attempts == 1 and progress.quiz_best == pytest.approx(correct / 5)


def test_a_retry_completes_and_a_later_worse_quiz_changes_only_the_last_result() -> None:
    video, progress = _video(80), _progress()
    assert not record_progress(progress, video, 100.0, 3, 5, AT)  # 60 % < 80 %
    assert progress.completed_at is None and progress.quiz_passed_at is None
    later = AT + timedelta(minutes=5)
    assert record_progress(progress, video, 100.0, 4, 5, later)  # retry: 80 %, passed
    assert progress.completed_at == later and progress.quiz_passed_at == later
    assert not record_progress(progress, video, 100.0, 1, 5, later + timedelta(hours=1))
    assert progress.completed_at == later  # stays complete
    assert (progress.quiz_correct, progress.quiz_total) == (1, 5)  # the last
    assert progress.quiz_best == pytest.approx(0.8) and progress.quiz_attempts == 3


def test_passing_before_watching_enough_completes_once_watched() -> None:
    video, progress = _video(60), _progress()
    assert not record_progress(progress, video, 50.0, 5, 5, AT)  # passed, half watched
    assert record_progress(progress, video, 90.0, None, None, AT + timedelta(minutes=1))


def test_without_a_pass_mark_or_without_a_quiz_watching_is_enough() -> None:
    for video in (_video(None), _video(100, quiz=[])):
        progress = _progress()
        assert record_progress(progress, video, 90.0, 0, 5 if video.quiz else None, AT)


def test_a_kiosk_quiz_below_the_mark_leaves_the_video_open_until_a_retry_passes(
        app: Flask, session: Session, factory: Factory, post_events: PostEvents) -> None:
    video = TrainingVideo(title="安全操作", sha256="a" * 64, size_bytes=1, duration_s=2.0,
                          file_path="videos/x.mp4", quiz=QUIZ[:2], pass_mark=100, roles=[],
                          growth_tags=[])
    session.add(video)
    session.commit()
    payload = {"video": video.id, "seconds_watched": 2.0, "quiz_correct": 1, "quiz_total": 2}
    assert post_events(make_event("training_progress", payload=payload))[0]["status"] == \
        "accepted"
    progress = session.scalars(select(TrainingProgress)).one()
    assert progress.completed_at is None and progress.quiz_attempts == 1
    retry = {**payload, "quiz_correct": 2}
    assert post_events(make_event("training_progress", payload=retry))[0]["status"] == \
        "accepted"
    session.expire_all()
    progress = session.scalars(select(TrainingProgress)).one()
    assert progress.completed_at is not None and progress.quiz_attempts == 2
    assert progress.quiz_best == 1.0
