"""The wall poll memo (server/wall/poll_memo.py): which 304s the serving loop may repeat
without the app, and for how long, through the Flask test client and a clock of our own."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Config
from server.models import Language, Workshop
from server.services.audit import record
from server.services.devices.displays import add_display, revoke_display
from server.serving.wall_versions import WallVersionRefresher
from server.wall.poll_memo import (
    DISPLAY_FRESH_S,
    POLLED_WITHIN_S,
    VERSION_FRESH_S,
    WallPollMemo,
)
from support.factory import small_factory


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Flask) -> Clock:
    clock = Clock()
    app.extensions["shopfloor.wall_polls"] = WallPollMemo(clock)
    return clock


@pytest.fixture
def factory(session: Session, migrated: Config) -> None:
    small_factory(session, datetime.now(migrated.zone).date())
    session.commit()


@pytest.fixture
def refresher(app: Flask, clock: Clock, migrated: Config) -> WallVersionRefresher:
    """The serving worker's refresher thread's work, one round at each `refresh()`."""
    return WallVersionRefresher(app.extensions["shopfloor.sessionmaker"], migrated.zone,
                                app.extensions["shopfloor.wall_polls"])


def _link(session: Session, name: str, workshop: str | None = "W1") -> str:
    made = add_display(session, name, workshop, Language.ZH_CN, actor="test")
    session.commit()
    return f"{made.path()}/board.json"


def _loop(app: Flask, path: str, etag: str, *, method: bytes = b"GET",
          extra: tuple[tuple[bytes, bytes], ...] = ()) -> dict[str, str] | None:
    """What the serving loop would answer: the 304's headers, or None (the app answers)."""
    memo: WallPollMemo = app.extensions["shopfloor.wall_polls"]
    answer = memo.answer(method, path.encode(), [(b"host", b"tv"),
                                                 (b"if-none-match", etag.encode()), *extra])
    return None if answer is None else {n.decode(): v.decode() for n, v in answer}


def _move_the_version(session: Session) -> None:
    """An audited change: every board's version moves."""
    record(session, "test", "points.approve", "point_entry", 1)
    session.commit()


def _etag(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return str(answer.headers["ETag"])


def _served(app: Flask, session: Session, name: str) -> tuple[FlaskClient, str, str]:
    """A new display link of W1, its board served once by the app: the client, the
    board's path and the ETag it answered."""
    client = app.test_client()
    path = _link(session, name)
    return client, path, _etag(client, path)


def test_the_loop_repeats_the_apps_304_header_for_header(
    app: Flask, session: Session, factory: None, clock: Clock
) -> None:
    client, path, etag = _served(app, session, "TV-1")
    by_app = client.get(path, headers={"If-None-Match": etag})
    assert by_app.status_code == 304
    clock.now += VERSION_FRESH_S / 2
    by_loop = _loop(app, path, etag)
    assert by_loop is not None
    assert by_loop == {name.lower(): value for name, value in by_app.headers.items()
                       if name.lower() not in ("date", "content-length")}


def test_a_change_reaches_the_app_once_the_version_is_a_quarter_second_old(
    app: Flask, session: Session, factory: None, clock: Clock
) -> None:
    client, path, etag = _served(app, session, "TV-1")
    _move_the_version(session)
    clock.now += VERSION_FRESH_S - 0.01
    assert _loop(app, path, etag) is not None, "the memo vouches for its quarter second"
    clock.now += 0.01
    assert _loop(app, path, etag) is None
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_a_revoked_link_goes_to_the_app_even_while_other_tvs_keep_the_version_fresh(
    app: Flask, session: Session, factory: None, clock: Clock
) -> None:
    client = app.test_client()
    revoked, other = _link(session, "TV-gone"), _link(session, "TV-other")
    etag = _etag(client, revoked)
    revoke_display(session, "TV-gone", actor="test")
    session.commit()
    for _ in range(3):
        clock.now += VERSION_FRESH_S
        _etag(client, other)  # the workshop's version read again, after the revocation
        assert _loop(app, revoked, etag) is None
    assert client.get(revoked, headers={"If-None-Match": etag}).status_code == 403
    assert _loop(app, revoked, etag) is None


def test_each_link_reaches_the_app_every_half_minute(
    app: Flask, session: Session, factory: None, clock: Clock
) -> None:
    client = app.test_client()
    path, other = _link(session, "TV-1"), _link(session, "TV-2")
    etag = _etag(client, path)
    while clock.now < 1000.0 + DISPLAY_FRESH_S - VERSION_FRESH_S:
        clock.now += VERSION_FRESH_S / 2
        _etag(client, other)
        assert _loop(app, path, etag) is not None
    clock.now = 1000.0 + DISPLAY_FRESH_S
    _etag(client, other)
    assert _loop(app, path, etag) is None  # so the app still notes when the TV last asked


def test_nothing_but_the_exact_etag_on_its_own_link_is_answered_by_the_loop(
    app: Flask, session: Session, factory: None, clock: Clock
) -> None:
    client = app.test_client()
    path, other = _link(session, "TV-1"), _link(session, "TV-2")
    etag, other_etag = _etag(client, path), _etag(client, other)
    assert _loop(app, path, etag) is not None
    assert _loop(app, other, etag) is None          # another display's ETag
    assert client.get(other, headers={"If-None-Match": etag}).status_code == 200
    assert _loop(app, path, other_etag) is None
    assert _loop(app, path, f"W/{etag}") is None    # weak, a list, or *: the app decides
    assert _loop(app, path, f"{etag}, {other_etag}") is None
    assert _loop(app, path, "*") is None
    assert _loop(app, path, etag, extra=((b"if-none-match", etag.encode()),)) is None
    assert _loop(app, path, etag, method=b"HEAD") is None
    assert _loop(app, path, etag, method=b"POST") is None
    assert _loop(app, f"{path}?x=1", etag) is None
    assert _loop(app, path.replace("/board.json", "/photo/A01"), etag) is None
    token = path.split("/")[2]
    assert _loop(app, path.replace(token, token[:-1] + "%" + f"{ord(token[-1]):02X}"),
                 etag) is None
    assert _loop(app, "/wall/not-a-link/board.json", etag) is None
    assert _loop(app, f"/wall/{token}/../{token}/board.json", etag) is None


def test_the_refresher_keeps_a_board_fresh_and_sees_its_change(
    app: Flask, session: Session, factory: None, clock: Clock,
    refresher: WallVersionRefresher,
) -> None:
    client, path, etag = _served(app, session, "TV-1")
    for _ in range(10):  # two and a half seconds without the app
        clock.now += VERSION_FRESH_S * 0.9
        assert refresher.refresh() == 1
        assert _loop(app, path, etag) is not None
    _move_the_version(session)
    assert _loop(app, path, etag) is not None  # until the next read
    refresher.refresh()
    assert _loop(app, path, etag) is None
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_boards_no_tv_asks_about_are_no_longer_read(
    app: Flask, session: Session, factory: None, clock: Clock,
    refresher: WallVersionRefresher,
) -> None:
    client = app.test_client()
    one, everything = _link(session, "TV-1"), _link(session, "TV-all", None)
    etag, _ = _etag(client, one), _etag(client, everything)
    assert refresher.refresh() == 2
    dark = clock.now
    while clock.now <= dark + POLLED_WITHIN_S:
        clock.now += VERSION_FRESH_S * 0.9
        refresher.refresh()
        assert _loop(app, one, etag) is not None  # TV-1 keeps asking; TV-all went dark
    assert refresher.memo.asked_about() == [(_workshop_id(session, "W1"),)]


def _workshop_id(session: Session, code: str) -> int:
    found = session.scalars(select(Workshop.id).where(Workshop.code == code)).one()
    return int(found)
