"""Training videos: add one from a file on disk, change who it is asked of, retire it, and
list what a kiosk should hold.

Files live in `<data dir>/videos/`: the video as `<sha256>.<mp4|webm>` and its thumbnail
as `<sha256>.jpg`. A file that is not playable is removed before the error is raised, so a
refused upload leaves nothing behind. The file is probed, and its thumbnail made, in a
child process under limits (`probe.py`). Every change is audited.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Kiosk, Role, TrainingProgress, TrainingVideo, Workshop
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record
from server.services.training.probe import probe

VIDEO_DIR = "videos"
CHUNK = 1024 * 1024
TITLE_MAX = 200


def video_dir(data_dir: Path) -> Path:
    folder = data_dir / VIDEO_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Assignment:
    """Who a video is asked of: titles, workshops (none: everyone), roles (none: every
    role), whether it is required and by when."""

    title: str
    title_en: str = ""
    workshops: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    required: bool = True
    required_by: date | None = None

    def checked(self, session: Session) -> tuple[list[Workshop], list[str]]:
        if not self.title.strip():
            raise InvalidInput("title: a Chinese title is needed")
        if len(self.title) > TITLE_MAX or len(self.title_en) > TITLE_MAX:
            raise InvalidInput(f"title: at most {TITLE_MAX} characters")
        shops = []
        for code in dict.fromkeys(self.workshops):
            shop = session.scalars(select(Workshop).where(Workshop.code == code)).first()
            if shop is None:
                raise InvalidInput(f"workshop: there is no workshop {code!r}")
            shops.append(shop)
        roles = sorted(set(self.roles))
        for role in roles:
            if role not in {r.value for r in Role}:
                raise InvalidInput(f"role: {role!r} is not worker or supervisor")
        return shops, roles


def _state(video: TrainingVideo) -> dict[str, Any]:
    return {"title": video.title, "title_en": video.title_en,
            "workshops": sorted(w.code for w in video.workshops), "roles": video.roles,
            "required": video.required,
            "required_by": video.required_by.isoformat() if video.required_by else None,
            "active": video.active}


def add_video(session: Session, data_dir: Path, upload: Path, assignment: Assignment,
              actor: str, sha256: str | None = None) -> TrainingVideo:
    """Probe `upload`, move it into the video folder under its digest, make a thumbnail
    and store the row. `upload` is consumed: moved in, or removed when refused (so it
    must be a file of our own, on the data folder's file system)."""
    try:
        shops, roles = assignment.checked(session)
        digest = sha256 or sha256_of(upload)
        clash = session.scalars(select(TrainingVideo).where(TrainingVideo.sha256 == digest)
                                ).first()
        if clash is not None:
            raise Conflict(f"this file is already the video {clash.title!r}")
        folder = video_dir(data_dir)
        picture = folder / f"{digest}.jpg"
        facts = probe(upload, thumbnail_to=picture)  # removes the picture when it refuses
        target = folder / f"{digest}.{facts.container}"
        try:
            size = upload.stat().st_size
            os.replace(upload, target)
        except BaseException:
            picture.unlink(missing_ok=True)
            raise
    finally:
        upload.unlink(missing_ok=True)
    video = TrainingVideo(
        title=assignment.title.strip(), title_en=assignment.title_en.strip() or None,
        sha256=digest, size_bytes=size, duration_s=facts.duration_s,
        file_path=target.relative_to(data_dir).as_posix(), container=facts.container,
        video_codec=facts.video_codec, audio_codec=facts.audio_codec, width=facts.width,
        height=facts.height, thumbnail_path=picture.relative_to(data_dir).as_posix(),
        quiz=[], required=assignment.required, required_by=assignment.required_by,
        roles=roles, workshops=shops, active=True)
    session.add(video)
    session.flush()
    record(session, actor, "video.add", "training_video", video.id,
           after=_state(video) | {"sha256": digest, "size_bytes": size,
                                  "duration_s": facts.duration_s,
                                  "codec": facts.video_codec})
    return video


MAX_ID = 2_147_483_647  # a URL may carry any number; the database holds 32-bit ids


def get_video(session: Session, video_id: int) -> TrainingVideo:
    video = session.get(TrainingVideo, video_id) if 0 < video_id <= MAX_ID else None
    if video is None:
        raise NotFound(f"there is no video {video_id}")
    return video


def update_video(session: Session, video_id: int, assignment: Assignment,
                 actor: str) -> TrainingVideo:
    video = get_video(session, video_id)
    shops, roles = assignment.checked(session)
    before = _state(video)
    video.title, video.title_en = assignment.title.strip(), assignment.title_en.strip() or None
    video.workshops, video.roles = shops, roles
    video.required, video.required_by = assignment.required, assignment.required_by
    after = _state(video)
    if after != before:
        record(session, actor, "video.update", "training_video", video.id, before=before,
               after=after)
    return video


def set_growth(session: Session, video_id: int, pass_mark: int | None, tags: list[str],
               actor: str) -> TrainingVideo:
    """The quiz's pass mark (percent, None: watching is enough) and what the video trains
    (dimension keys as `dim:<key>`, point categories as `cat:<code>`; see
    services/growth/radar.py)."""
    video = get_video(session, video_id)
    if pass_mark is not None and not 0 <= pass_mark <= 100:
        raise InvalidInput("pass mark: a percentage from 0 to 100")
    clean = sorted({t.strip() for t in tags if t.strip()})
    for tag in clean:
        if not tag.startswith(("dim:", "cat:")) or len(tag) > 40:
            raise InvalidInput(f"tags: {tag!r} is not a dimension or a category")
    before = {"pass_mark": video.pass_mark, "growth_tags": list(video.growth_tags or ())}
    video.pass_mark, video.growth_tags = pass_mark, clean
    after = {"pass_mark": video.pass_mark, "growth_tags": clean}
    if after != before:
        record(session, actor, "video.growth", "training_video", video.id, before=before,
               after=after)
    return video


def set_active(session: Session, video_id: int, active: bool, actor: str) -> TrainingVideo:
    video = get_video(session, video_id)
    if video.active != active:
        video.active = active
        record(session, actor, "video.activate" if active else "video.retire",
               "training_video", video.id, before={"active": not active},
               after={"active": active})
    return video


def list_videos(session: Session) -> list[dict[str, Any]]:
    """Every video, newest first, with how many workers finished it."""
    videos = session.scalars(select(TrainingVideo).order_by(TrainingVideo.id.desc())).all()
    finished: dict[int, int] = {}
    for video_id in session.scalars(select(TrainingProgress.video_id)
                                    .where(TrainingProgress.completed_at.is_not(None))):
        finished[video_id] = finished.get(video_id, 0) + 1
    return [{"video": v, "finished": finished.get(v.id, 0)} for v in videos]


# --- what a kiosk holds ------------------------------------------------------------------


def _for_kiosk(kiosk: Kiosk, video: TrainingVideo) -> bool:
    if not video.active:
        return False
    mine = {w.id for w in kiosk.workshops}
    return not video.workshops or any(w.id in mine for w in video.workshops)


def kiosk_videos(session: Session, kiosk: Kiosk) -> list[dict[str, Any]]:
    """The active videos assigned to the kiosk's workshops (or to everyone), most urgent
    first; a kiosk shows each worker those for their role."""
    videos = session.scalars(select(TrainingVideo).where(TrainingVideo.active.is_(True))
                             .order_by(TrainingVideo.required.desc(),
                                       TrainingVideo.required_by.is_(None),
                                       TrainingVideo.required_by, TrainingVideo.id)).all()
    base = "/api/v1/videos"
    return [{
        "id": v.id, "title": v.title, "title_en": v.title_en, "sha256": v.sha256,
        "size_bytes": v.size_bytes, "duration_s": v.duration_s, "container": v.container,
        "width": v.width, "height": v.height, "required": v.required,
        "required_by": v.required_by.isoformat() if v.required_by else None,
        "roles": list(v.roles or ()), "workshops": sorted(w.code for w in v.workshops),
        "pass_mark": v.pass_mark if v.quiz else None, "growth_tags": list(v.growth_tags or ()),
        "created_at": v.created_at.isoformat(), "file_url": f"{base}/{v.id}/file",
        "thumbnail_url": f"{base}/{v.id}/thumbnail" if v.thumbnail_path else None,
        "quiz": [{"question_url": f"{base}/{v.id}/quiz/{q}/question",
                  "answer_urls": [f"{base}/{v.id}/quiz/{q}/answers/{a}"
                                  for a in range(1, len(item["answers"]) + 1)],
                  "correct": item["correct"]}
                 for q, item in enumerate(v.quiz or (), start=1)],
    } for v in videos if _for_kiosk(kiosk, v)]


def kiosk_video(session: Session, kiosk: Kiosk, video_id: int) -> TrainingVideo:
    video = session.get(TrainingVideo, video_id) if 0 < video_id <= MAX_ID else None
    if video is None or not _for_kiosk(kiosk, video):
        raise NotFound(f"no video {video_id} for this kiosk")
    return video


def stored_file(data_dir: Path, relative: str | None) -> Path:
    """A file the rows point to, which must lie inside the data folder."""
    if not relative:
        raise NotFound("there is no such file")
    root = data_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("the file is missing from the data folder")
    return path
