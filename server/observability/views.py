"""GET /metrics: the Prometheus text format, for this host or a `monitoring` token
(access.py).

A scrape reads the app's counters and histograms (under gunicorn: the files of every
worker, multiprocess.py; otherwise this process's own registry) and the gauges the
database holds (fleet.py), on a registry made for that scrape.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from server.api.auth import bearer_token
from server.errors import service_error_response
from server.observability.access import authorize_scrape
from server.observability.fleet import FleetCollector
from server.observability.instruments import instruments
from server.observability.multiprocess import METRICS_DIR
from server.services import ServiceError
from server.version import __version__
from server.web import db_session

observability = Blueprint("observability", __name__)
observability.register_error_handler(ServiceError, service_error_response)

# The text format every Prometheus reads (our names need nothing of version 1.0.0).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Own:
    """A registry's metrics, as a collector of another registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def scrape_registry() -> CollectorRegistry:
    app = current_app
    registry = CollectorRegistry(auto_describe=False)
    folder: Path | None = app.extensions.get(METRICS_DIR)
    if folder is None:
        registry.register(_Own(instruments().registry))
    else:
        MultiProcessCollector(registry, path=str(folder))
    registry.register(FleetCollector(app.extensions["shopfloor.sessionmaker"], __version__))
    return registry


@observability.get("/metrics")
def metrics() -> Response:
    session = db_session()
    authorize_scrape(session, request.environ, bearer_token())
    session.commit()  # a token's last use
    body = generate_latest(scrape_registry())
    response = Response(body, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
