"""A TV's polls on the real server (gunicorn, two workers), raw HTTP on the wall's plain
port: unchanged boards are answered by the serving loop without the app
(server/wall/poll_memo.py), and nothing a TV or an attacker sends makes the loop vouch
for a board that changed or a link that was revoked."""

from __future__ import annotations

import time

import httpx

from server.db import make_engine, make_sessionmaker
from server.models import Language
from server.services.devices.displays import add_display, revoke_display
from server.wall.poll_memo import VERSION_FRESH_S
from support.attack import Live
from support.scrape import samples, value

POLLS = 20


def _new_link(live: Live, name: str) -> str:
    engine = make_engine(f"sqlite:///{live.server.data_dir / 'shopfloor.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            path = add_display(session, name, "W1", Language.ZH_CN, actor="test").path()
            session.commit()
    finally:
        engine.dispose()
    return f"{path}/board.json"


def _revoke(live: Live, name: str) -> None:
    engine = make_engine(f"sqlite:///{live.server.data_dir / 'shopfloor.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            revoke_display(session, name, actor="test")
            session.commit()
    finally:
        engine.dispose()


def _loop_answers(live: Live) -> float:
    server = live.server
    scrape = httpx.get(f"{server.url}/metrics", verify=server.verify, timeout=10)
    assert scrape.status_code == 200
    return value(samples(scrape.text), "shopfloor_wall_polls_total", answered_by="loop") or 0.0


def test_unchanged_polls_are_answered_by_the_loop_as_the_app_would(live: Live) -> None:
    path = _new_link(live, "TV-polls")
    before = _loop_answers(live)
    # One connection: one worker, whose memo the first answer fills.
    with httpx.Client(base_url=live.server.wall_url, timeout=10) as tv:
        first = tv.get(path)
        assert first.status_code == 200
        etag = first.headers["ETag"]
        by_app = tv.get(path, headers={"If-None-Match": etag})
        polls = [tv.get(path, headers={"If-None-Match": etag}) for _ in range(POLLS)]
    assert by_app.status_code == 304
    assert {p.status_code for p in polls} == {304} and all(p.content == b"" for p in polls)
    shown = {name for name in by_app.headers if name != "date"}
    assert all({name for name in p.headers if name != "date"} == shown for p in polls)
    assert all(p.headers["ETag"] == etag for p in polls)
    assert _loop_answers(live) - before >= 1, "no poll was answered without the app"


def test_a_link_revoked_between_polls_is_refused_within_the_memos_quarter_second(
    live: Live,
) -> None:
    path = _new_link(live, "TV-revoked")
    with httpx.Client(base_url=live.server.wall_url, timeout=10) as tv:
        etag = tv.get(path).headers["ETag"]
        assert tv.get(path, headers={"If-None-Match": etag}).status_code == 304
        _revoke(live, "TV-revoked")
        revoked = time.monotonic()
        answers = []
        while time.monotonic() - revoked < 3 * VERSION_FRESH_S + 1.0:
            answer = tv.get(path, headers={"If-None-Match": etag})
            answers.append((time.monotonic() - revoked, answer.status_code))
            if answer.status_code != 304:
                break
            time.sleep(0.02)
    late, status = answers[-1]
    assert status == 403, answers
    # The loop vouches for a version for VERSION_FRESH_S after the app read it; the rest
    # is this busy machine's time to answer.
    assert late < VERSION_FRESH_S + 0.5, answers
    with httpx.Client(base_url=live.server.wall_url, timeout=10) as stranger:
        # A new connection, perhaps to the other worker: refused as well, 304 or not.
        assert stranger.get(path, headers={"If-None-Match": etag}).status_code == 403
