"""Routes a kiosk calls for alerts (andon): the open ones of its workshops. Acknowledging
one travels as an event (`alert_ack` in POST /events, a supervisor's act)."""

from __future__ import annotations

from flask import Response, jsonify

from server.api.auth import current_kiosk
from server.api.schemas import Alerts, AlertsQuery
from server.api.spec import operation, parse_query
from server.services.alerts import kiosk_alerts
from server.web import db_session


@operation(
    "GET", "/alerts", auth="kiosk", summary="Open alerts: machine faults, quality issues",
    description="Alerts of the kiosk's workshops (403 for another workshop) not resolved "
                "yet: the unacknowledged first, oldest first, then the acknowledged. A "
                "supervisor of the alert's workshop acknowledges one with an alert_ack event "
                "(payload {\"alert\": id}, sealed with their PIN like a remark).",
    query=AlertsQuery, responses={200: ("Open alerts", Alerts)},
)
def get_alerts() -> Response:
    kiosk = current_kiosk()
    query = parse_query(AlertsQuery)
    session = db_session()
    found = kiosk_alerts(session, kiosk, query.workshop)
    session.commit()
    response = jsonify({"alerts": found})
    response.headers["Cache-Control"] = "private, no-cache"
    return response
