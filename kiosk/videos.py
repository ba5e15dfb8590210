"""Training videos on the kiosk, the UI side: the list from the server and the files on
disk as the scenes read them. The thread that downloads them is
:mod:`kiosk.background.downloads`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.store import Store

LIST_KEY = "videos"  # the setting holding the server's list, as the downloader saved it
NEW_FOR = timedelta(days=7)
COMPLETE_SHARE = 0.9  # watched this much, a video counts as completed (as on the server)


@dataclass(frozen=True)
class QuizQuestion:
    question: str  # picture file names in the video folder
    answers: tuple[str, ...]
    correct: int


@dataclass(frozen=True)
class VideoInfo:
    id: int
    title: str
    title_en: str
    sha256: str
    size: int
    duration_s: float
    container: str
    required: bool
    required_by: str
    roles: tuple[str, ...]
    created_at: str
    file_url: str
    thumbnail_url: str
    quiz_urls: tuple[tuple[str, tuple[str, ...], int], ...]
    # The quiz's pass mark in percent: with one, the video is complete only once a quiz
    # reached it (retry by watching again); None: watching is enough.
    pass_mark: int | None = None
    # What HR says the video trains (radar keys: dim:<key>, cat:<code>).
    growth_tags: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> VideoInfo:
        return cls(
            id=int(raw["id"]), title=str(raw.get("title") or ""),
            title_en=str(raw.get("title_en") or ""), sha256=str(raw["sha256"]),
            size=int(raw.get("size_bytes") or 0), duration_s=float(raw.get("duration_s") or 0),
            container=str(raw.get("container") or "mp4"), required=bool(raw.get("required")),
            required_by=str(raw.get("required_by") or ""),
            roles=tuple(raw.get("roles") or ()), created_at=str(raw.get("created_at") or ""),
            file_url=str(raw["file_url"]), thumbnail_url=str(raw.get("thumbnail_url") or ""),
            quiz_urls=tuple((str(q["question_url"]), tuple(map(str, q["answer_urls"])),
                             int(q["correct"])) for q in raw.get("quiz") or ()),
            pass_mark=_pass_mark(raw.get("pass_mark")),
            growth_tags=tuple(str(t) for t in raw.get("growth_tags") or ()))

    @property
    def quiz_counts(self) -> bool:
        """Whether the quiz gates completion (questions and a pass mark)."""
        return bool(self.quiz_urls) and self.pass_mark is not None

    def passes(self, right: int, total: int) -> bool:
        """Whether `right` of `total` reaches the pass mark (as the server judges it)."""
        return self.pass_mark is None or (total > 0 and right * 100 >= self.pass_mark * total)

    def label(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title

    @property
    def file_name(self) -> str:
        return f"{self.sha256}.{self.container}"

    @property
    def thumbnail_name(self) -> str:
        return f"{self.sha256}-thumb.jpg"

    @property
    def quiz(self) -> tuple[QuizQuestion, ...]:
        return tuple(QuizQuestion(f"{self.sha256}-q{n}.jpg",
                                  tuple(f"{self.sha256}-q{n}a{a}.jpg"
                                        for a in range(1, len(answers) + 1)), correct)
                     for n, (_, answers, correct) in enumerate(self.quiz_urls, start=1))

    def pictures(self) -> list[tuple[str, str]]:
        """(url, file name) of the thumbnail and every quiz picture."""
        found = [(self.thumbnail_url, self.thumbnail_name)] if self.thumbnail_url else []
        for (question_url, answer_urls, _), item in zip(self.quiz_urls, self.quiz, strict=True):
            found.append((question_url, item.question))
            found += list(zip(answer_urls, item.answers, strict=True))
        return found

    def is_new(self, today: date) -> bool:
        try:
            created = datetime.fromisoformat(self.created_at).date()
        except ValueError:
            return False
        return today - created <= NEW_FOR

    def for_role(self, role: str) -> bool:
        return not self.roles or role in self.roles


def _pass_mark(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and 0 <= value <= 100 else None


class VideoLibrary:
    """What the UI reads: the videos listed, which are on disk, how far a download got."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self.downloading: dict[int, float] = {}  # video id -> share downloaded

    def videos(self, role: str | None = None) -> list[VideoInfo]:
        raw = self.store.get_setting(LIST_KEY)
        listed = [VideoInfo.from_json(item) for item in json.loads(raw)] if raw else []
        return [v for v in listed if role is None or v.for_role(role)]

    def path(self, video: VideoInfo) -> Path | None:
        """The verified file, or None while it is not (yet) downloaded."""
        if video.sha256 not in self.store.video_files():
            return None
        path = self.folder / video.file_name
        return path if path.is_file() else None

    def picture(self, name: str) -> Path | None:
        path = self.folder / name
        return path if path.is_file() else None

    def played(self, video: VideoInfo) -> None:
        self.store.touch_video_file(video.sha256)

    def on_progress(self, video: int, done: int, total: int) -> None:
        if total > 0 and done < total:
            self.downloading[video] = done / total
        else:
            self.downloading.pop(video, None)
