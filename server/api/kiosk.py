"""Routes a kiosk calls: enrol (and its keys), roster, scorecards, leaderboards, claims,
photos."""

from __future__ import annotations

import time
from datetime import datetime

from flask import Response, current_app, jsonify, request, send_file

from server.api.auth import current_kiosk
from server.api.schemas import (
    Claims,
    ClaimsQuery,
    EnrollRequest,
    EnrollResponse,
    Health,
    KioskKeys,
    Leaderboard,
    LeaderboardQuery,
    Roster,
    Scorecard,
    ScorecardQuery,
)
from server.api.spec import document, operation, parse_body, parse_query
from server.observability.instruments import instruments
from server.services.devices.identity import server_id
from server.services.devices.kiosks import enroll
from server.services.devices.roster import roster, roster_etag
from server.services.scores.kiosk_reads import (
    CardMemo,
    card_etag,
    kiosk_leaderboard,
    kiosk_scorecard,
    pending_claims,
    photo_file,
)
from server.services.scores.tasks import worker_tasks
from server.web import app_config, conditional, db_session, server_keys, standings_cache

document("GET", "/health", summary="Is the server up, and which one is it",
         description="No token needed; `server_id` is the id the server advertises by mDNS.",
         responses={200: ("The server's state", Health)})


@operation(
    "POST", "/enroll", summary="Trade a one-time enrolment code for a device token",
    description="The code comes from `shopfloor-server kiosk add NAME --workshop W`; it "
                "works once, for an hour. Keep the token: it is shown only here. `keys`: "
                "the site key the roster's card digests are made with, and the public key "
                "supervisors' PINs are sealed to; keep them readable by the kiosk only.",
    body=EnrollRequest, responses={200: ("The device token and the keys", EnrollResponse)},
    errors=(401,),
)
def enroll_kiosk() -> Response:
    body = parse_body(EnrollRequest)
    session = db_session()
    kiosk, token = enroll(session, body.code)
    answer = {"token": token,
              "kiosk": {"name": kiosk.name, "workshops": [w.code for w in kiosk.workshops]},
              "server_id": server_id(session), "keys": server_keys().for_kiosk()}
    session.commit()
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"  # a token and keys: kept by no cache
    return response


@operation(
    "GET", "/keys", auth="kiosk", summary="The keys a kiosk works with",
    description="The same `keys` as enrolment answers, for a kiosk enrolled before they "
                "were handed over: the site key (card digests) and the sealing key "
                "(supervisors' PINs).",
    responses={200: ("The keys", KioskKeys)},
)
def get_keys() -> Response:
    current_kiosk()
    db_session().commit()  # the kiosk's contact
    response = jsonify({"keys": server_keys().for_kiosk()})
    response.headers["Cache-Control"] = "no-store"
    return response


@operation(
    "GET", "/roster", auth="kiosk", summary="The workers, machines and categories this kiosk "
    "serves",
    description="Cards only as keyed digests, QR badges as sha256 of their secret; of a "
                "supervisor's PIN only a 6-bit typo check, whether their acts are locked "
                "and the unlock count. `card_format`: how the site's keyboard-wedge "
                "readers type a card (10D, 8H, 6H8D or 2H,4H; `reversed` byte order). Send "
                "the last ETag in If-None-Match: an unchanged roster answers 304 with no body.",
    responses={200: ("The roster; the ETag header validates it", Roster),
               304: ("Unchanged since the ETag sent", None)},
)
def get_roster() -> Response:
    kiosk = current_kiosk()
    session = db_session()
    config = app_config()
    content = roster(session, kiosk, card_format=config.card_format,
                     card_reversed=config.card_reversed)
    session.commit()
    response = conditional(request, roster_etag(content), lambda: jsonify(content), private=True)
    return response


def _today() -> datetime:
    return datetime.now(app_config().zone)


@operation(
    "GET", "/workers/<code>/scorecard", auth="kiosk", summary="A worker's scorecard",
    description="Only workers of the kiosk's workshops (403 otherwise). Every number carries "
                "its target, whether it was met, its points and the records behind it. "
                "`tasks`: decisions not yet told (`notices`, until a `notice_seen` event), "
                "videos still to watch, open appeals and pending claims. Send the last ETag "
                "in If-None-Match: an unchanged scorecard answers 304 with no body.",
    query=ScorecardQuery, responses={200: ("The scorecard; the ETag header validates it",
                                           Scorecard),
                                     304: ("Unchanged since the ETag sent", None)},
    errors=(404, 409),
)
def get_scorecard(code: str) -> Response:
    started = time.perf_counter()
    kiosk = current_kiosk()
    query = parse_query(ScorecardQuery)
    session = db_session()
    now = _today()
    on = query.date or now.date()
    # A kiosk back from days offline, or prefetching its roster's cards, asks for many
    # cards, and every kiosk of a workshop asks for the same ones: while nothing a card is
    # made of moved, it comes from the memo, a 304 or its stored bytes (CardMemo).
    memo: CardMemo = current_app.extensions["shopfloor.card_memo"]
    found = memo.look_up(session, kiosk.id, code, query.period, on, now, app_config().zone)
    held = found.held
    source = "memo" if held is not None else "built"
    if held is None:
        card = kiosk_scorecard(session, kiosk, code, query.period, on, app_config().zone,
                               cache=standings_cache())
        card["tasks"] = worker_tasks(session, code)
        held = card_etag(card), jsonify(card).get_data()
        memo.put(found.key, found.version, *held)
    session.commit()
    etag, body = held
    response = conditional(request, etag,
                           lambda: Response(body, mimetype="application/json"), private=True)
    instruments().scorecard(query.period, source, time.perf_counter() - started)
    return response


@operation(
    "GET", "/leaderboard", auth="kiosk", summary="A workshop's standings and tiers",
    description="Only the kiosk's workshops (403 otherwise).",
    query=LeaderboardQuery, responses={200: ("The standings", Leaderboard)},
    errors=(404, 409),
)
def get_leaderboard() -> Response:
    kiosk = current_kiosk()
    query = parse_query(LeaderboardQuery)
    session = db_session()
    board = kiosk_leaderboard(session, kiosk, query.workshop, query.period,
                              query.date or _today().date(), app_config().zone,
                              cache=standings_cache())
    session.commit()
    return jsonify(board)


@operation(
    "GET", "/claims", auth="kiosk", summary="Point claims waiting for a supervisor",
    description="Decide one with a claim_decision event naming its uuid.",
    query=ClaimsQuery, responses={200: ("Pending claims, oldest first", Claims)},
)
def get_claims() -> Response:
    kiosk = current_kiosk()
    query = parse_query(ClaimsQuery)
    session = db_session()
    claims = pending_claims(session, kiosk, query.workshop)
    session.commit()
    return jsonify({"claims": claims})


@operation(
    "GET", "/workers/<code>/photo", auth="kiosk", summary="A worker's photo",
    description="The roster's photo_url points here.",
    responses={200: ("The image", None)}, errors=(404,), content_type="image/*",
)
def get_photo(code: str) -> Response:
    kiosk = current_kiosk()
    session = db_session()
    path = photo_file(session, kiosk, code, app_config().data_dir)
    session.commit()
    return send_file(path, max_age=3600, conditional=True)
