"""Routes a kiosk calls for training: the videos it should hold, their files (with HTTP
Range, so an interrupted download resumes), thumbnails and quiz pictures."""

from __future__ import annotations

from flask import Response, jsonify, send_file

from server.api.auth import current_kiosk
from server.api.schemas import VideoList
from server.api.spec import operation
from server.services.training.quiz import quiz_picture
from server.services.training.videos import kiosk_video, kiosk_videos, stored_file
from server.web import app_config, db_session

IMAGE_MAX_AGE = 24 * 3600


@operation(
    "GET", "/videos", auth="kiosk", summary="The training videos this kiosk should hold",
    description="Active videos assigned to the kiosk's workshops or to every workshop, "
                "required ones first, the nearest deadline first. The kiosk shows each "
                "worker those for their role.",
    responses={200: ("The videos", VideoList)},
)
def get_videos() -> Response:
    kiosk = current_kiosk()
    session = db_session()
    videos = kiosk_videos(session, kiosk)
    session.commit()
    return jsonify({"videos": videos})


@operation(
    "GET", "/videos/<int:video_id>/file", auth="kiosk", summary="A video's file",
    description="Send `Range: bytes=N-` to resume (206 Partial Content); the ETag is the "
                "file's sha256, so `If-Range` with it resumes only the same file.",
    responses={200: ("The whole file", None), 206: ("The part asked for", None)},
    errors=(404,), content_type="video/*",
)
def get_video_file(video_id: int) -> Response:
    kiosk = current_kiosk()
    session = db_session()
    video = kiosk_video(session, kiosk, video_id)
    path = stored_file(app_config().data_dir, video.file_path)
    session.commit()
    # conditional=True makes werkzeug answer Range, If-Range and If-None-Match.
    response = send_file(path, mimetype=f"video/{video.container or 'mp4'}",
                         conditional=True, etag=video.sha256, max_age=0)
    response.headers["Accept-Ranges"] = "bytes"
    return response


@operation(
    "GET", "/videos/<int:video_id>/thumbnail", auth="kiosk", summary="A video's thumbnail",
    responses={200: ("A JPEG", None)}, errors=(404,), content_type="image/jpeg",
)
def get_video_thumbnail(video_id: int) -> Response:
    kiosk = current_kiosk()
    session = db_session()
    video = kiosk_video(session, kiosk, video_id)
    path = stored_file(app_config().data_dir, video.thumbnail_path)
    session.commit()
    return send_file(path, mimetype="image/jpeg", max_age=IMAGE_MAX_AGE, conditional=True)


def _quiz_file(video_id: int, question: int, answer: int | None) -> Response:
    kiosk = current_kiosk()
    session = db_session()
    kiosk_video(session, kiosk, video_id)
    path = stored_file(app_config().data_dir, quiz_picture(session, video_id, question,
                                                           answer))
    session.commit()
    return send_file(path, mimetype="image/jpeg", max_age=IMAGE_MAX_AGE, conditional=True)


@operation(
    "GET", "/videos/<int:video_id>/quiz/<int:question>/question", auth="kiosk",
    summary="A quiz question's picture", description="Questions count from 1.",
    responses={200: ("A JPEG", None)}, errors=(404,), content_type="image/jpeg",
)
def get_quiz_question(video_id: int, question: int) -> Response:
    return _quiz_file(video_id, question, None)


@operation(
    "GET", "/videos/<int:video_id>/quiz/<int:question>/answers/<int:answer>", auth="kiosk",
    summary="A quiz answer's picture", description="Questions and answers count from 1.",
    responses={200: ("A JPEG", None)}, errors=(404,), content_type="image/jpeg",
)
def get_quiz_answer(video_id: int, question: int, answer: int) -> Response:
    return _quiz_file(video_id, question, answer)
