"""A kiosk's card polls on the real server (gunicorn, two workers), raw HTTPS: unchanged
cards are 304s carrying the route's headers (most answered before Flask, by
server/api/card_revalidation.py), and a kiosk revoked between two polls, or one of
another workshop holding a stolen ETag, never gets one."""

from __future__ import annotations

import httpx

from server.db import make_engine, make_sessionmaker
from server.services.devices.kiosks import add_kiosk, enroll, revoke_kiosk
from support.attack import Live

CARD = "/api/v1/workers/W001/scorecard?period=week"
POLLS = 20


def _database(live: Live) -> str:
    return f"sqlite:///{live.server.data_dir / 'shopfloor.db'}"


def _new_kiosk(live: Live, name: str, workshop: str) -> str:
    engine = make_engine(_database(live))
    try:
        with make_sessionmaker(engine)() as session:
            token = enroll(session, add_kiosk(session, name, [workshop], "test").code)[1]
            session.commit()
    finally:
        engine.dispose()
    return token


def _revoke(live: Live, name: str) -> None:
    engine = make_engine(_database(live))
    try:
        with make_sessionmaker(engine)() as session:
            revoke_kiosk(session, name, "test")
            session.commit()
    finally:
        engine.dispose()


def _client(live: Live, token: str) -> httpx.Client:
    return httpx.Client(base_url=live.server.url, verify=live.server.verify, timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def test_unchanged_cards_are_304s_with_the_routes_headers_until_the_kiosk_is_revoked(
        live: Live) -> None:
    with _client(live, _new_kiosk(live, "K-cards", "W1")) as kiosk:
        first = kiosk.get(CARD)
        assert first.status_code == 200
        etag = first.headers["ETag"]
        polls = [kiosk.get(CARD, headers={"If-None-Match": etag}) for _ in range(POLLS)]
        assert {p.status_code for p in polls} == {304}
        assert all(p.content == b"" and p.headers["ETag"] == etag for p in polls)
        shown = {name: value for name, value in polls[0].headers.items() if name != "date"}
        assert all({n: v for n, v in p.headers.items() if n != "date"} == shown
                   for p in polls)
        assert shown["cache-control"] == "private, no-cache"
        _revoke(live, "K-cards")
        refused = kiosk.get(CARD, headers={"If-None-Match": etag})
        assert refused.status_code == 401 and "etag" not in refused.headers


def test_a_stolen_etag_gets_another_workshops_kiosk_nothing(live: Live) -> None:
    with _client(live, live.kiosk_token) as own:
        etag = own.get(CARD).headers["ETag"]
        assert own.get(CARD, headers={"If-None-Match": etag}).status_code == 304
    with _client(live, _new_kiosk(live, "K-elsewhere", "W2")) as stranger:
        for sent in (etag, "*"):
            answer = stranger.get(CARD, headers={"If-None-Match": sent})
            assert answer.status_code == 403 and "etag" not in answer.headers
