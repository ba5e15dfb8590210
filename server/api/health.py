from flask import Response, jsonify

from server import __version__
from server.api import api
from server.services.identity import server_id
from server.web import db_session


@api.get("/health")
def health() -> Response:
    return jsonify({"status": "ok", "version": __version__, "server_id": server_id(db_session())})
