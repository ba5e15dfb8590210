"""Routes a kiosk calls for the growth path: a worker's growth record ("my growth")."""

from __future__ import annotations

from datetime import datetime

from flask import Response, jsonify

from server.api.auth import current_kiosk
from server.api.schemas import GrowthRecord
from server.api.spec import operation
from server.services.growth.record import kiosk_growth
from server.web import app_config, db_session, standings_cache


@operation(
    "GET", "/workers/<code>/growth", auth="kiosk", summary="A worker's growth record",
    description="Only workers of the kiosk's workshops (403 otherwise). The radar over the "
                "worker's dimensions (last three months) and point categories (last 90 "
                "days), each as a share of its maximum; training completed with quiz "
                "results; tiers won; rewards chosen; the grade, the next one and what it "
                "misses; talent pools; and the videos suggested for the weakest axis.",
    responses={200: ("The record", GrowthRecord)}, errors=(404,),
)
def get_growth(code: str) -> Response:
    kiosk = current_kiosk()
    session = db_session()
    config = app_config()
    record = kiosk_growth(session, kiosk, code, datetime.now(config.zone).date(), config.zone,
                          cache=standings_cache())
    session.commit()
    response = jsonify(record)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
