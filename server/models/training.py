"""Training videos, who they are asked of, and each worker's progress on them.

A video's file lives in `<data dir>/videos/<sha256>.<container>`, its thumbnail and quiz
pictures beside it; the rows keep paths relative to the data folder so a restored backup
works wherever the folder lands. `quiz` is a list of questions, each
`{"question": <picture path>, "answers": [<picture path>, ...], "correct": <index>}`.
`pass_mark` (percent) makes the quiz count: such a video is complete when watched to 90 %
and a quiz reached the mark (services/training/progress.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, utcnow
from server.models.people import Workshop

video_workshops = Table(
    "video_workshops",
    Base.metadata,
    Column("video_id", ForeignKey("training_videos.id", ondelete="CASCADE"), primary_key=True),
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
)


class TrainingVideo(Base):
    __tablename__ = "training_videos"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))  # zh-CN, the working language
    title_en: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    file_path: Mapped[str] = mapped_column(String(300))
    container: Mapped[str | None] = mapped_column(String(16))  # mp4 | webm
    video_codec: Mapped[str | None] = mapped_column(String(32))
    audio_codec: Mapped[str | None] = mapped_column(String(32))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    thumbnail_path: Mapped[str | None] = mapped_column(String(300))
    quiz: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    required_by: Mapped[date | None] = mapped_column(Date)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The quiz's pass mark in percent (0-100): with a quiz and a mark, the video is
    # complete only when watched and passed; None: watching is enough.
    pass_mark: Mapped[int | None] = mapped_column(Integer)
    # What HR says the video trains: dimension keys and point category codes; the video
    # is suggested to workers whose weakest radar axis it names (services/growth).
    growth_tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    workshops: Mapped[list[Workshop]] = relationship(secondary=video_workshops)


class TrainingProgress(Base):
    __tablename__ = "training_progress"
    __table_args__ = (UniqueConstraint("worker_id", "video_id", name="uq_progress_worker_video"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("training_videos.id"))
    seconds_watched: Mapped[float] = mapped_column(Float, default=0.0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last quiz answered on a kiosk: how many right out of how many questions.
    quiz_correct: Mapped[int | None] = mapped_column(Integer)
    quiz_total: Mapped[int | None] = mapped_column(Integer)
    # Every quiz taken counts (a retry is allowed); the best share right and when the
    # pass mark was first reached.
    quiz_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    quiz_best: Mapped[float | None] = mapped_column(Float)
    quiz_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
