from flask import Response, jsonify

from server.api.blueprint import api
from server.services.devices.identity import server_id
from server.version import __version__
from server.web import db_session


@api.get("/health")
def health() -> Response:
    return jsonify({"status": "ok", "version": __version__, "server_id": server_id(db_session())})
