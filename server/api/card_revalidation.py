"""A kiosk asking again for a card it holds, answered 304 without Flask's request machinery.

Kiosks poll the cards of the workers they show, and nine answers in ten are 304: nothing
on the card moved. The route (api/kiosk.py `get_scorecard`) already answers those from
the card memo (`CardMemo`) after three small reads: the kiosk's token, whether it serves
the worker, and the card's version (`scorecard_version`). Around those reads Flask's
routing, hooks, request and response objects cost more than the reads themselves (issue
20: a card's 304 cost 1.6 times a health check, and cards are most of what kiosks ask).

`CardRevalidation` wraps the app. For `GET /api/v1/workers/<code>/scorecard` with
If-None-Match it makes the same checks in the same order, with the same rules:

1. the bearer token is an enrolled, unrevoked kiosk's, and recording its contact (last
   seen, version, outbox depth) would change nothing (`tokens.quiet_kiosk_id`);
2. the query is one the route accepts (`ScorecardQuery`);
3. the kiosk serves the worker, and the card's version (`CardMemo.look_up`, through
   `scorecard_version`: 404 and 403 come first there);
4. the memo holds the card at that version, and If-None-Match matches its ETag.

When all hold it answers the route's 304, header for header (kept equal by
tests/server/api/test_card_revalidation.py). Anything else goes to the app untouched: a
missing, wrong, revoked or integration token, a contact to record, a query or worker the
route refuses, a card not in the memo or changed, another method, path or ETag. So this
answers only what the route would have answered with the same 304, and every refusal,
write and body still comes from the route.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Flask
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Request

from server.api.auth import bearer_of, contact_of
from server.api.schemas import ScorecardQuery
from server.config import Config
from server.models import utcnow
from server.observability.instruments import Instruments
from server.services import ServiceError
from server.services.devices.tokens import quiet_kiosk_id
from server.services.scores.kiosk_reads import CardMemo
from server.web import PRIVATE, SECURITY_HEADERS, StartResponse, Wsgi

# A worker code as the route's URL rule takes it: one path segment.
_CARD_PATH = re.compile(r"/api/v1/workers/([^/]+)/scorecard")
# What the route's 304 carries besides its ETag. `Vary: Cookie` is Flask's: the admin's
# language choice reads the session on every request.
_HEADERS = (("Cache-Control", PRIVATE), *SECURITY_HEADERS.items(),
            ("Vary", "Cookie"))


class CardRevalidation:
    """WSGI middleware: a kiosk's unchanged card answered 304 here, all else by `app`."""

    def __init__(self, flask_app: Flask, app: Wsgi) -> None:
        self.app = app
        self.sessions = flask_app.extensions["shopfloor.sessionmaker"]
        self.memo: CardMemo = flask_app.extensions["shopfloor.card_memo"]
        self.instruments: Instruments = flask_app.extensions["shopfloor.instruments"]
        config: Config = flask_app.config["SHOPFLOOR"]
        self.zone = config.zone

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("HTTP_IF_NONE_MATCH"):
            found = _CARD_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if found is not None:
                started = time.perf_counter()
                answer = self._not_modified(environ, found.group(1))
                if answer is not None:
                    etag, period = answer
                    start_response("304 NOT MODIFIED", [("ETag", f'"{etag}"'), *_HEADERS])
                    self.instruments.scorecard(period, "memo", time.perf_counter() - started)
                    return []
        return self.app(environ, start_response)

    def _not_modified(self, environ: dict[str, Any], raw_code: str
                      ) -> tuple[str, str] | None:
        """(ETag, period) when the route would answer 304; None when it may not."""
        request = Request(environ)
        try:
            # The path as Flask decodes it: WSGI's latin-1 text of the URL's bytes.
            code = raw_code.encode("latin-1").decode("utf-8")
            query = ScorecardQuery.model_validate(request.args.to_dict())
        except (UnicodeError, ValidationError):
            return None
        now = datetime.now(self.zone)
        on = query.date or now.date()
        try:
            with self.sessions() as session:
                kiosk_id = quiet_kiosk_id(session, bearer_of(request.headers.get(
                    "Authorization", "")), contact_of(request.headers), utcnow())
                if kiosk_id is None:
                    return None
                held = self.memo.look_up(session, kiosk_id, code, query.period, on, now,
                                         self.zone).held
        except (ServiceError, SQLAlchemyError):
            # A refusal, or a database that failed the read: the route meets it again and
            # answers it as it answers any.
            return None
        if held is None or not request.if_none_match.contains_weak(held[0]):
            return None
        return held[0], query.period
