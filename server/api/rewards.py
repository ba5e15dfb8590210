"""Routes a kiosk calls for points and rewards: a worker's account, the catalogue and its
pictures, the hand-overs waiting. Spending and handing over travel as events
(`reward_redeem`, `reward_handover` in POST /events)."""

from __future__ import annotations

import io

from flask import Response, jsonify, request, send_file

from server.api.auth import current_kiosk
from server.api.schemas import PointsAccount, Redemptions, RedemptionsQuery, Rewards
from server.api.spec import operation, parse_query
from server.services.rewards.catalogue import catalogue_etag, reward_picture
from server.services.rewards.reads import catalogue, pending_handovers, worker_points
from server.web import conditional, db_session


@operation(
    "GET", "/workers/<code>/points", auth="kiosk", summary="A worker's points account",
    description="Only workers of the kiosk's workshops (403 otherwise). The balance, the "
                "newest 20 ledger lines, unused tier-menu entitlements and the worker's "
                "redemptions not yet handed over.",
    responses={200: ("The account", PointsAccount)}, errors=(404,),
)
def get_points(code: str) -> Response:
    kiosk = current_kiosk()
    session = db_session()
    account = worker_points(session, kiosk, code)
    session.commit()
    response = jsonify(account)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@operation(
    "GET", "/rewards", auth="kiosk", summary="The reward catalogue",
    description="Active rewards only. Redeem one with a reward_redeem event. Send the last "
                "ETag in If-None-Match: an unchanged catalogue answers 304 with no body.",
    responses={200: ("The catalogue; the ETag header validates it", Rewards),
               304: ("Unchanged since the ETag sent", None)},
)
def get_rewards() -> Response:
    current_kiosk()
    session = db_session()
    content = catalogue(session)
    session.commit()
    response = conditional(request, catalogue_etag(content), lambda: jsonify(content), private=True)
    return response


@operation(
    "GET", "/rewards/<code>/picture", auth="kiosk", summary="A reward's picture",
    description="The catalogue's `picture` points here.",
    responses={200: ("The JPEG", None)}, errors=(404,), content_type="image/jpeg",
)
def get_reward_picture(code: str) -> Response:
    current_kiosk()
    session = db_session()
    jpeg = reward_picture(session, code)
    session.commit()
    return send_file(io.BytesIO(jpeg), mimetype="image/jpeg", max_age=3600)


@operation(
    "GET", "/redemptions", auth="kiosk", summary="Rewards waiting to be handed over",
    description="Redemptions of the kiosk's workshops in state pending (approved where the "
                "reward needs it), oldest first. Hand one over with a reward_handover event.",
    query=RedemptionsQuery, responses={200: ("Pending hand-overs", Redemptions)},
)
def get_redemptions() -> Response:
    kiosk = current_kiosk()
    query = parse_query(RedemptionsQuery)
    session = db_session()
    found = pending_handovers(session, kiosk, query.workshop)
    session.commit()
    return jsonify({"redemptions": found})
