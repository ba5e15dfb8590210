"""A worker's progress on a video, as a `training_progress` event reports it.

A video is complete when it is watched to `COMPLETE_SHARE` of its length and, when it has
a quiz and HR set a pass mark (percent, per video), a quiz taken reached the mark: right
answers / questions >= pass mark / 100, compared in whole numbers so 3 of 5 meets 60 %
exactly. Every quiz taken counts (a retry is allowed): the last result, the best share,
the number of attempts and when the mark was first reached are kept. A video completed
stays complete; a later, worse quiz changes only the last result.
"""

from __future__ import annotations

from datetime import datetime

from server.models import TrainingProgress, TrainingVideo

COMPLETE_SHARE = 0.9
MAX_PASS_MARK = 100


def passes(video: TrainingVideo, correct: int, total: int) -> bool:
    """Whether `correct` of `total` reaches the video's pass mark (no mark: any score)."""
    if video.pass_mark is None:
        return True
    return total > 0 and correct * 100 >= video.pass_mark * total


def quiz_counts(video: TrainingVideo) -> bool:
    """Whether the quiz gates completion: the video has questions and a pass mark."""
    return bool(video.quiz) and video.pass_mark is not None


def record_progress(progress: TrainingProgress, video: TrainingVideo, seconds: float,
                    quiz_correct: int | None, quiz_total: int | None,
                    at: datetime) -> bool:
    """Apply one report to `progress`; True when it made the video complete just now."""
    watched = min(seconds, video.duration_s)
    progress.seconds_watched = max(progress.seconds_watched or 0.0, watched)
    if quiz_total is not None and quiz_correct is not None and quiz_total > 0:
        correct = min(quiz_correct, quiz_total)
        progress.quiz_correct, progress.quiz_total = correct, quiz_total
        progress.quiz_attempts = (progress.quiz_attempts or 0) + 1
        progress.quiz_best = max(progress.quiz_best or 0.0, correct / quiz_total)
        if progress.quiz_passed_at is None and passes(video, correct, quiz_total):
            progress.quiz_passed_at = at
    watched_enough = progress.seconds_watched >= COMPLETE_SHARE * video.duration_s
    passed = not quiz_counts(video) or progress.quiz_passed_at is not None
    if watched_enough and passed and progress.completed_at is None:
        progress.completed_at = at
        return True
    return False
