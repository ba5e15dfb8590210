"""Voice packs HR uploaded: recorded clips per language or dialect for the kiosks' speech.

One current pack per language; an upload for a language replaces its pack. The stored
file is a zip the server wrote itself from the validated upload (clips under phrases/,
numbers/ and words/, and its pack.json), named by its sha256, which is the ETag the kiosks
check (`shopfloor_voice` holds the format both sides agree on).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow


class VoicePack(Base):
    __tablename__ = "voice_packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(16), unique=True)  # zh_CN | en | yue
    name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    clip_count: Mapped[int] = mapped_column(Integer)
    sample_rate: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    file_path: Mapped[str] = mapped_column(String(300))  # inside the data folder
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
