"""The wall's pages: the board a display link opens, its JSON poll, and workers' photos.

Live updates are a 1-second poll of `board.json` with If-None-Match rather than
server-sent events: an unchanged board costs one indexed query and a 304, or only the
304 when the serving loop answers it from the memo this view fills (wall/poll_memo.py);
a held-open stream would pin a server thread per TV, and a poll recovers from restarts
and network drops by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, abort, current_app, jsonify, render_template, request, send_file
from sqlalchemy import select

from server.models import Display, Worker, utcnow
from server.observability.instruments import instruments
from server.services.devices.displays import display_workshops, lookup_display
from server.wall.blueprint import wall
from server.wall.board import board_version_text, build_board
from server.wall.phrases import phrases
from server.wall.poll_memo import WallPollMemo
from server.web import app_config, conditional, db_session, standings_cache

LAST_SEEN_EVERY = timedelta(minutes=1)
POLL_MS = 1000
ROTATE_S = 15


def _display_or_refusal(token: str) -> Display | Response:
    display = lookup_display(db_session(), token)
    if display is None or display.revoked_at is not None:
        if display is not None:
            language = display.language.value
        else:
            language = "en" if request.accept_languages.best_match(["zh", "en"]) == "en" \
                else "zh_CN"
        return Response(render_template("wall/not_enrolled.html", t=phrases(language)),
                        status=403)
    return display


def _touch(display: Display) -> None:
    """Remember when the TV last asked, without a write on every poll."""
    now = utcnow()
    if display.last_seen is None or now - display.last_seen > LAST_SEEN_EVERY:
        display.last_seen = now
        db_session().commit()


@wall.get("/<token>")
def page(token: str) -> Response | str:
    display = _display_or_refusal(token)
    if isinstance(display, Response):
        return display
    _touch(display)
    language = display.language.value
    return render_template("wall/board.html", t=phrases(language), token=token,
                           language=language, poll_ms=POLL_MS, rotate_s=ROTATE_S,
                           timezone=app_config().timezone)


def poll_memo() -> WallPollMemo:
    """The worker's memo of the ETags answered to TVs (wall/poll_memo.py)."""
    memo: WallPollMemo = current_app.extensions["shopfloor.wall_polls"]
    return memo


@wall.get("/<token>/board.json")
def board(token: str) -> Response:
    memo = poll_memo()
    read_at = memo.now()  # before the version is read: the memo never vouches longer
    instruments().wall_poll("app")
    display = _display_or_refusal(token)
    if isinstance(display, Response):
        memo.forget(token)
        return display
    _touch(display)
    session = db_session()
    zone = app_config().zone
    today = datetime.now(zone).date()
    shown = None if display.workshop_id is None else [display.workshop_id]
    version = board_version_text(session, shown, today)
    own = f"{display.id}-{display.names.value}"
    etag = f"{version}-{own}"
    memo.remember(token, shown, version, own, read_at)

    def build() -> Response:
        workshops = display_workshops(session, display)
        return jsonify(build_board(session, workshops, today, zone, display.language,
                                   cache=standings_cache(), names=display.names))

    response = conditional(request, etag, build)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _shown(board: Any) -> set[str]:
    """The codes of the people a board shows with their photo (top 5, most improved, the
    star, the month so far): every entry whose photo flag is set is one."""
    if isinstance(board, dict):
        found = {board["code"]} if board.get("has_photo") and "code" in board else set()
        return found.union(*(_shown(value) for value in board.values()))
    if isinstance(board, list):
        return set().union(*(_shown(value) for value in board))
    return set()


@wall.get("/<token>/photo/<code>")
def photo(token: str, code: str) -> Response:
    """A worker's photo, only while the display's board shows that worker with a photo
    (full names only): a link on a TV in the hall is no directory of every worker's face."""
    display = _display_or_refusal(token)
    if isinstance(display, Response):
        return display
    session = db_session()
    zone = app_config().zone
    shown = build_board(session, display_workshops(session, display),
                        datetime.now(zone).date(), zone, display.language,
                        cache=standings_cache(), names=display.names)
    if code not in _shown(shown):
        abort(404)
    worker = session.scalar(select(Worker).where(Worker.code == code))
    if worker is None or worker.photo_path is None:
        abort(404)
    data_dir = app_config().data_dir.resolve()
    path = (data_dir / worker.photo_path).resolve()
    if not path.is_relative_to(data_dir) or not path.is_file():
        abort(404)
    return send_file(path, max_age=3600)
