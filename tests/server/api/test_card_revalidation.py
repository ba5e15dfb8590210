"""A kiosk's unchanged card answered 304 before Flask (server/api/card_revalidation.py),
attacked as a stranger would: every request that the route would not answer with the same
304 must reach the route and get its answer, and the 304 answered early must be the
route's, header for header. Both engines (the `database_url` fixture)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.test import Client

from server.api.card_revalidation import CardRevalidation
from server.models import Kiosk, utcnow
from server.services.devices.kiosks import revoke_kiosk
from server.services.devices.tokens import LAST_SEEN_EVERY
from support.factory import Factory, bearer, make_event
from support.scrape import samples, value

CARD = "/api/v1/workers/W001/scorecard?period=week"
StartResponse = Any


class Reached:
    """The requests that went on to the app (the route), by path."""

    def __init__(self, app: Flask) -> None:
        middleware = app.wsgi_app
        assert isinstance(middleware, CardRevalidation)
        self.inner = middleware.app
        self.paths: list[str] = []
        middleware.app = self._count  # type: ignore[assignment]

    def _count(self, environ: dict[str, Any], start_response: StartResponse
               ) -> Iterable[bytes]:
        self.paths.append(environ["PATH_INFO"])
        return self.inner(environ, start_response)

    def count(self) -> int:
        return len(self.paths)


@pytest.fixture
def reached(app: Flask) -> Reached:
    return Reached(app)


@pytest.fixture
def held(client: FlaskClient, kiosk_headers: dict[str, str]) -> str:
    """The ETag of W001's weekly card, as kiosk K1 got it from the route."""
    first = client.get(CARD, headers=kiosk_headers)
    assert first.status_code == 200
    return str(first.headers["ETag"])


def _revalidate(client: FlaskClient, headers: dict[str, str], etag: str,
                path: str = CARD, method: str = "GET") -> Any:
    return client.open(path, method=method, headers={**headers, "If-None-Match": etag})


def test_a_held_card_is_answered_early_with_the_routes_own_304(
        app: Flask, client: FlaskClient, kiosk_headers: dict[str, str], held: str,
        reached: Reached) -> None:
    before = reached.count()
    early = _revalidate(client, kiosk_headers, held)
    assert early.status_code == 304 and early.data == b""
    assert reached.count() == before  # the route never saw it
    # The route itself, asked the same without the middleware, answers the same 304.
    route = Client(reached.inner).get(CARD, headers={**kiosk_headers, "If-None-Match": held})
    assert route.status_code == 304
    assert list(early.headers.items()) == list(route.headers.items())
    assert early.headers["ETag"] == held
    # A weak or listed form of the same ETag matches too, as the route's comparison does.
    for form in (f"W/{held}", f'"other", {held}', "*"):
        assert _revalidate(client, kiosk_headers, form).status_code == 304
    assert reached.count() == before
    # Counted as the route counts a card from its memo (docs/metrics.md): the four early
    # answers and the route's one.
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert value(found, "shopfloor_scorecard_duration_seconds_count", period="week",
                 source="memo") == 5


@pytest.mark.parametrize(("case", "status"), [
    ("no token", 401),
    ("a made-up token", 401),
    ("the token with a byte more", 401),
    ("an integration's token", 403),
    ("the other workshop's kiosk", 403),
])
def test_a_card_held_is_never_answered_to_a_caller_the_route_refuses(
        client: FlaskClient, factory: Factory, kiosk_headers: dict[str, str], held: str,
        reached: Reached, case: str, status: int) -> None:
    headers = {
        "no token": {},
        "a made-up token": bearer("x" * 43),
        "the token with a byte more": bearer(factory.kiosk_token + "A"),
        "an integration's token": bearer(factory.integration_token),
        "the other workshop's kiosk": bearer(factory.other_kiosk_token),
    }[case]
    before = reached.count()
    answer = _revalidate(client, headers, held)
    assert answer.status_code == status and "ETag" not in answer.headers
    assert reached.count() == before + 1


def test_a_revoked_kiosk_is_refused_at_its_next_poll(
        client: FlaskClient, session: Session, kiosk_headers: dict[str, str], held: str,
        reached: Reached) -> None:
    assert _revalidate(client, kiosk_headers, held).status_code == 304
    revoke_kiosk(session, "K1", "hr")
    session.commit()
    answer = _revalidate(client, kiosk_headers, held)
    assert answer.status_code == 401 and reached.paths[-1] == "/api/v1/workers/W001/scorecard"


@pytest.mark.parametrize(("path", "method", "status"), [
    ("/api/v1/workers/W101/scorecard?period=week", "GET", 403),  # W2's worker
    ("/api/v1/workers/W999/scorecard?period=week", "GET", 404),  # has left
    ("/api/v1/workers/NOPE/scorecard?period=week", "GET", 404),
    ("/api/v1/workers/W001%00/scorecard?period=week", "GET", 404),
    ("/api/v1/workers/W001/scorecard?period=year", "GET", 422),
    ("/api/v1/workers/W001/scorecard?period=week&date=1800-01-01", "GET", 422),
    ("/api/v1/workers/W001/scorecard?period=week&date=tomorrow", "GET", 422),
    ("/api/v1/workers/W001/scorecard/?period=week", "GET", 404),
    ("/api/v1/workers/W001/scorecard?period=week", "POST", 405),
    ("/api/v1/workers/W001/scorecard?period=week", "HEAD", 304),  # the route's own
    # Another card, not in the memo: the route builds it, and `*` matches it there.
    ("/api/v1/workers/W001/scorecard?period=day", "GET", 304),
])
def test_what_the_route_would_answer_otherwise_reaches_the_route(
        client: FlaskClient, kiosk_headers: dict[str, str], held: str, reached: Reached,
        path: str, method: str, status: int) -> None:
    before = reached.count()
    answer = _revalidate(client, kiosk_headers, "*", path=path, method=method)
    assert answer.status_code == status
    assert reached.count() == before + 1


def test_another_etag_gets_the_card_from_the_route(
        client: FlaskClient, kiosk_headers: dict[str, str], held: str,
        reached: Reached) -> None:
    before = reached.count()
    answer = _revalidate(client, kiosk_headers, '"0123456789abcdef0123456789abcdef"')
    assert answer.status_code == 200 and answer.headers["ETag"] == held
    assert answer.get_json()["worker"]["code"] == "W001"
    assert reached.count() == before + 1


def _kiosk_row(session: Session) -> Kiosk:
    session.expire_all()
    return session.scalars(select(Kiosk).where(Kiosk.name == "K1")).one()


def test_a_contact_to_record_goes_to_the_route_which_records_it(
        client: FlaskClient, session: Session, kiosk_headers: dict[str, str], held: str,
        reached: Reached) -> None:
    """The route writes a kiosk's last contact at most every LAST_SEEN_EVERY, and its
    version and outbox depth when they change: a poll that would write goes to the
    route, and the next one, with nothing to write, is answered early."""
    said = {**kiosk_headers, "X-Kiosk-Version": "2.0.1", "X-Kiosk-Queue-Depth": "7"}
    before = reached.count()
    assert _revalidate(client, said, held).status_code == 304
    assert reached.count() == before + 1
    kiosk = _kiosk_row(session)
    assert (kiosk.version, kiosk.queue_depth) == ("2.0.1", 7)
    assert _revalidate(client, said, held).status_code == 304
    assert reached.count() == before + 1  # nothing new to record: early
    # A queue depth that is not a count is ignored by the route: early too.
    assert _revalidate(client, {**said, "X-Kiosk-Queue-Depth": "-3"}, held).status_code == 304
    assert reached.count() == before + 1

    long_ago = utcnow() - LAST_SEEN_EVERY - timedelta(seconds=1)
    session.execute(update(Kiosk).where(Kiosk.name == "K1").values(last_seen=long_ago))
    session.commit()
    assert _revalidate(client, said, held).status_code == 304
    assert reached.count() == before + 2
    assert _kiosk_row(session).last_seen > long_ago + LAST_SEEN_EVERY


def test_a_changed_card_is_never_answered_early(
        client: FlaskClient, kiosk_headers: dict[str, str], held: str,
        reached: Reached) -> None:
    answer = client.post("/api/v1/events", headers=kiosk_headers, json={"events": [
        make_event("output", "W001", {"machine": "M1", "count": 40})]})
    assert answer.get_json()["results"][0]["status"] == "accepted"
    before = reached.count()
    changed = _revalidate(client, kiosk_headers, held)
    assert changed.status_code == 200 and changed.headers["ETag"] != held
    assert reached.count() == before + 1
    # The new card, held now, is answered early again.
    assert _revalidate(client, kiosk_headers, changed.headers["ETag"]).status_code == 304
    assert reached.count() == before + 1
