"""Training videos: upload (streamed to the data folder, probed, refused with nothing left
behind when unplayable), titles and assignment, retire, and the pictorial quiz."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from server.admin.blueprint import ADMIN, READ_PLANT, admin, allow
from server.admin.common import actor, failed, field, said, saving
from server.services import InvalidInput, NotFound, ServiceError
from server.services.people import workers as people
from server.services.training import quiz
from server.services.training import videos as service
from server.services.training.probe import Unplayable
from server.web import app_config, db_session

CHUNK = 1024 * 1024
FORM_OVERHEAD = 64 * 1024  # the form's other fields around the file
ROLES = ("worker", "supervisor")


@admin.before_app_request
def _video_size_limit() -> None:
    """The upload's own limit, set before anything (the CSRF check included) reads the
    body; every other request keeps the app's small one."""
    if request.endpoint == "admin.videos_upload":
        request.max_content_length = app_config().video_max_bytes + FORM_OVERHEAD


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}"


@admin.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    return render_template("admin/error.html", code=413, message=_(
        "The file is larger than the limit of %(mb)s MB. Make it shorter or smaller, or ask "
        "the server's operator to raise SHOPFLOOR_VIDEO_MAX_MB.",
        mb=_megabytes(app_config().video_max_bytes))), 413


def _assignment() -> service.Assignment:
    required_by = None
    if field("required_by"):
        try:
            required_by = date.fromisoformat(field("required_by"))
        except ValueError:
            raise InvalidInput(_("%(value)s is not a date (YYYY-MM-DD).",
                                 value=field("required_by"))) from None
    return service.Assignment(
        title=field("title"), title_en=field("title_en"),
        workshops=request.form.getlist("workshops"),
        roles=[r for r in request.form.getlist("roles") if r],
        required=field("required") == "1", required_by=required_by)


def _receive(upload: FileStorage) -> tuple[str, str]:
    """Copy the upload into the video folder in chunks, hashing on the way; returns the
    file's name there and its sha256."""
    folder = service.video_dir(app_config().data_dir)
    name = f".incoming-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    with (folder / name).open("wb") as target:
        while chunk := upload.stream.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return name, digest.hexdigest()


@admin.route("/videos")
@allow(READ_PLANT)
def videos() -> str:
    db = db_session()
    return render_template("admin/videos.html", rows=service.list_videos(db),
                           shops=people.workshops(db), roles=ROLES,
                           limit_mb=_megabytes(app_config().video_max_bytes))


@admin.route("/videos/upload", methods=["POST"])
@allow(ADMIN)
def videos_upload() -> Response:
    db = db_session()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        failed(ServiceError(_("Choose an MP4 or WebM file first.")))
        return redirect(url_for("admin.videos"))
    with saving() as saved:
        assignment = _assignment()
        name, digest = _receive(upload)
        try:
            video = service.add_video(db, app_config().data_dir,
                                      service.video_dir(app_config().data_dir) / name,
                                      assignment, actor(), sha256=digest)
        except Unplayable as error:  # said for HR, with what to upload instead
            raise InvalidInput(_(
                "%(file)s cannot be played on the kiosks, so it was not kept: %(reason)s. "
                "Upload an MP4 (H.264 with AAC sound) or a WebM file.",
                file=upload.filename, reason=said(error))) from error
        saved.done(_("%(title)s was added (%(seconds)s s, %(width)s×%(height)s). Add a quiz "
                     "below if you like.", title=video.title, seconds=round(video.duration_s),
                     width=video.width, height=video.height))
    if not saved.ok:
        return redirect(url_for("admin.videos"))
    return redirect(url_for("admin.videos_edit", video_id=video.id))


@admin.route("/videos/<int:video_id>", methods=["GET", "POST"])
@allow(ADMIN)
def videos_edit(video_id: int) -> Response | str:
    db = db_session()
    try:
        video = service.get_video(db, video_id)
    except NotFound:
        abort(404)
    if request.method == "POST":
        with saving() as saved:
            service.update_video(db, video_id, _assignment(), actor())
            saved.done(_("Saved."))
        return redirect(url_for("admin.videos_edit", video_id=video_id))
    return render_template("admin/video.html", video=video, shops=people.workshops(db),
                           roles=ROLES, max_questions=quiz.MAX_QUESTIONS,
                           max_answers=quiz.MAX_ANSWERS)


@admin.route("/videos/<int:video_id>/active", methods=["POST"])
@allow(ADMIN)
def videos_active(video_id: int) -> Response:
    with saving(not_found=404) as saved:
        video = service.set_active(db_session(), video_id, field("active") == "1", actor())
        saved.done(_("%(title)s is shown on the kiosks again.", title=video.title)
                   if video.active
                   else _("%(title)s was retired: kiosks no longer show it.",
                          title=video.title))
    return redirect(url_for("admin.videos"))


@admin.route("/videos/<int:video_id>/quiz", methods=["POST"])
@allow(ADMIN)
def videos_quiz_add(video_id: int) -> Response:
    db = db_session()
    answers = [request.files.get(f"answer{i}") for i in range(1, quiz.MAX_ANSWERS + 1)]
    question = request.files.get("question")
    correct = field("correct")
    with saving(not_found=404) as saved:
        count = quiz.add_question(
            db, app_config().data_dir, video_id, question.read() if question else b"",
            [a.read() for a in answers if a is not None and a.filename],
            int(correct) - 1 if correct.isdigit() else -1, actor())
        saved.done(_("Question %(n)s was added.", n=count))
    return redirect(url_for("admin.videos_edit", video_id=video_id))


@admin.route("/videos/<int:video_id>/quiz/<int:question>/remove", methods=["POST"])
@allow(ADMIN)
def videos_quiz_remove(video_id: int, question: int) -> Response:
    with saving(not_found=404) as saved:
        quiz.remove_question(db_session(), video_id, question, actor())
        saved.done(_("Question %(n)s was removed.", n=question))
    return redirect(url_for("admin.videos_edit", video_id=video_id))


@admin.route("/videos/<int:video_id>/thumbnail")
@allow(READ_PLANT)
def videos_thumbnail(video_id: int) -> Response:
    db = db_session()
    try:
        video = service.get_video(db, video_id)
        path = service.stored_file(app_config().data_dir, video.thumbnail_path)
    except NotFound:
        abort(404)
    return send_file(path, mimetype="image/jpeg")


@admin.route("/videos/<int:video_id>/quiz/<int:question>/<int:answer>")
@allow(ADMIN)
def videos_quiz_picture(video_id: int, question: int, answer: int) -> Response:
    """Answer 0 is the question's own picture."""
    db = db_session()
    try:
        stored = quiz.quiz_picture(db, video_id, question, answer or None)
        path = service.stored_file(app_config().data_dir, stored)
    except NotFound:
        abort(404)
    return send_file(path, mimetype="image/jpeg")
