"""Promotion path (双通道晋升): grades per role, ordered by `rank`; what the worker's next
grade needs and what is still missing; HR's certification.

Accumulated professional points: the worker's approved point entries in the grade's
categories (every category when it names none), since the worker started. A worker
reaches the next grade when those points are at least the grade's points (exactly
enough is enough) and every video the grade names is complete; reaching it puts the
worker on HR's certification list (`candidates`), computed, never stored. HR confirms
with `certify`, which checks again: a grade that is not the worker's next, or not
reached, is refused whatever a form says. The worker's grade is the highest certified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    Certification,
    EntryStatus,
    Grade,
    PointCategory,
    PointEntry,
    Role,
    TrainingProgress,
    TrainingVideo,
    Worker,
)
from server.services import Conflict, InvalidInput, NotFound
from server.services.audit import record

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
NAME_MAX = 100


@dataclass
class GradeForm:
    code: str
    role: str
    rank: int
    name: str
    name_en: str = ""
    points: float = 0.0
    categories: list[str] = field(default_factory=list)
    videos: list[int] = field(default_factory=list)


def grades(session: Session, role: Role | None = None) -> list[Grade]:
    query = select(Grade).order_by(Grade.role, Grade.rank)
    if role is not None:
        query = query.where(Grade.role == role)
    return list(session.scalars(query))


def _grade_state(grade: Grade) -> dict[str, Any]:
    return {"code": grade.code, "role": grade.role.value, "rank": grade.rank,
            "name": grade.name, "name_en": grade.name_en, "points": grade.points,
            "categories": list(grade.categories), "videos": list(grade.videos)}


def save_grade(session: Session, form: GradeForm, actor: str) -> Grade:
    """Add a grade, or change the one with `form.code`."""
    if not CODE.match(form.code):
        raise InvalidInput("code: letters, digits, '.', '_' or '-', at most 32")
    try:
        role = Role(form.role)
    except ValueError:
        raise InvalidInput(f"role: {form.role!r} is not worker or supervisor") from None
    if not form.name.strip() or len(form.name) > NAME_MAX or len(form.name_en) > NAME_MAX:
        raise InvalidInput(f"name: 1 to {NAME_MAX} characters")
    if not 1 <= form.rank <= 99:
        raise InvalidInput("rank: 1 to 99")
    if not 0 <= form.points <= 1_000_000:
        raise InvalidInput("points: 0 to 1,000,000")
    known = set(session.scalars(select(PointCategory.code)))
    for code in form.categories:
        if code not in known:
            raise InvalidInput(f"categories: there is no category {code!r}")
    videos = sorted(set(form.videos))
    if videos and len(session.scalars(select(TrainingVideo.id)
                                      .where(TrainingVideo.id.in_(videos))).all()) != len(videos):
        raise InvalidInput("videos: a video named does not exist")
    grade = session.scalars(select(Grade).where(Grade.code == form.code)).first()
    clash = session.scalars(select(Grade).where(Grade.role == role, Grade.rank == form.rank,
                                                Grade.code != form.code)).first()
    if clash is not None:
        raise Conflict(f"rank: {clash.code} already has rank {form.rank} for {role.value}")
    before = None if grade is None else _grade_state(grade)
    if grade is None:
        grade = Grade(code=form.code)
        session.add(grade)
    grade.role, grade.rank, grade.points = role, form.rank, float(form.points)
    grade.name, grade.name_en = form.name.strip(), form.name_en.strip() or None
    grade.categories, grade.videos = sorted(set(form.categories)), videos
    session.flush()
    record(session, actor, "grade.add" if before is None else "grade.update", "grade",
           grade.id, before=before, after=_grade_state(grade))
    return grade


# --- where a worker stands ------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    worker: Worker
    current: Grade | None
    next: Grade | None
    points: float  # accumulated professional points, counted as the next grade counts them
    missing_points: float
    missing_videos: list[TrainingVideo]

    @property
    def reached(self) -> bool:
        return self.next is not None and self.missing_points <= 0 and not self.missing_videos

    def as_dict(self) -> dict[str, Any]:
        def named(grade: Grade | None) -> dict[str, Any] | None:
            return None if grade is None else {"code": grade.code, "name": grade.name,
                                               "name_en": grade.name_en, "rank": grade.rank,
                                               "points": grade.points}
        return {"current": named(self.current), "next": named(self.next),
                "points": round(self.points, 2), "missing_points": round(self.missing_points, 2),
                "missing_videos": [{"id": v.id, "title": v.title, "title_en": v.title_en}
                                   for v in self.missing_videos],
                "reached": self.reached}


def professional_points(session: Session, worker_ids: list[int],
                        categories: list[str]) -> dict[int, float]:
    """Approved points per worker, all time, in `categories` (every category when empty)."""
    query = (select(PointEntry.worker_id, func.sum(PointEntry.points))
             .where(PointEntry.worker_id.in_(worker_ids),
                    PointEntry.status == EntryStatus.APPROVED)
             .group_by(PointEntry.worker_id))
    if categories:
        query = query.join(PointCategory, PointEntry.category_id == PointCategory.id).where(
            PointCategory.code.in_(categories))
    return {worker_id: float(total) for worker_id, total in session.execute(query)}


def _completed(session: Session, worker_ids: list[int]) -> dict[int, set[int]]:
    done: dict[int, set[int]] = {}
    for worker_id, video_id in session.execute(
            select(TrainingProgress.worker_id, TrainingProgress.video_id)
            .where(TrainingProgress.worker_id.in_(worker_ids),
                   TrainingProgress.completed_at.is_not(None))):
        done.setdefault(worker_id, set()).add(video_id)
    return done


def standings(session: Session, workers: list[Worker]) -> list[Standing]:
    """Where each worker stands on their role's path (a few queries for all of them)."""
    if not workers:
        return []
    ids = [w.id for w in workers]
    path: dict[Role, list[Grade]] = {}
    for grade in grades(session):
        path.setdefault(grade.role, []).append(grade)
    certified: dict[int, set[int]] = {}
    for worker_id, grade_id in session.execute(
            select(Certification.worker_id, Certification.grade_id)
            .where(Certification.worker_id.in_(ids))):
        certified.setdefault(worker_id, set()).add(grade_id)
    done = _completed(session, ids)
    points_by: dict[tuple[str, ...], dict[int, float]] = {}
    videos = {v.id: v for v in session.scalars(select(TrainingVideo))}
    found = []
    for worker in workers:
        ladder = path.get(worker.role, [])
        held = [g for g in ladder if g.id in certified.get(worker.id, set())]
        current = held[-1] if held else None
        above = [g for g in ladder if current is None or g.rank > current.rank]
        upcoming = above[0] if above else None
        counted = tuple(upcoming.categories) if upcoming else ()
        if counted not in points_by:
            points_by[counted] = professional_points(session, ids, list(counted))
        points = points_by[counted].get(worker.id, 0.0)
        missing_points = max(0.0, upcoming.points - points) if upcoming else 0.0
        missing_videos = ([videos[v] for v in upcoming.videos
                           if v in videos and v not in done.get(worker.id, set())]
                          if upcoming else [])
        found.append(Standing(worker, current, upcoming, points, missing_points,
                              missing_videos))
    return found


def standing(session: Session, worker: Worker) -> Standing:
    return standings(session, [worker])[0]


def candidates(session: Session) -> list[Standing]:
    """HR's certification list: active workers who reached their next grade."""
    workers = list(session.scalars(select(Worker).where(Worker.active.is_(True))
                                   .order_by(Worker.code)))
    return [s for s in standings(session, workers) if s.reached]


def certify(session: Session, worker_code: str, grade_code: str, actor: str) -> Certification:
    """HR confirms the worker's next grade; refused unless it is their next and reached."""
    worker = session.scalars(select(Worker).where(Worker.code == worker_code)).first()
    if worker is None:
        raise NotFound(f"no worker {worker_code!r}")
    where = standing(session, worker)
    if where.next is None or where.next.code != grade_code:
        raise Conflict(f"{grade_code!r} is not the next grade of {worker_code}")
    if not where.reached:
        raise Conflict(f"{worker_code} has not reached {grade_code}: "
                       f"{where.missing_points:g} points and {len(where.missing_videos)} "
                       f"videos missing")
    facts = {"points": where.points, "videos": list(where.next.videos),
             "from": where.current.code if where.current else None}
    certification = Certification(worker_id=worker.id, grade_id=where.next.id,
                                  certified_by=actor, facts=facts)
    session.add(certification)
    session.flush()
    record(session, actor, "grade.certify", "worker", worker.id,
           before={"grade": facts["from"]}, after={"grade": grade_code, **facts})
    return certification
