"""Serving the app: gunicorn's master, and workers that run an asyncio front.

gunicorn (not Flask's development server) because its master binds the ports, forks
several workers from the app built once, restarts one that dies and shuts them down
cleanly; it also owns what lives as long as the server does: the mDNS advertisement
(started when gunicorn is ready, withdrawn when it exits). Each worker runs the
notification sender beside its requests (serving/notifier.py). The workers are our own
(serving/worker.py): one asyncio loop per worker holds every connection under deadlines
and per-address limits (serving/front.py), and a few threads run the app for complete
requests only, so clients that dribble their requests cannot tie the server up.

By default the server serves HTTPS with its own self-signed certificate (serving/tls.py)
and plain HTTP for wall displays on a second port (serving/plain_http.py). ``http=True``
serves plain HTTP only, for a reverse proxy on the same host that terminates TLS; the
server then does not advertise itself, since kiosks only speak HTTPS to a pinned
certificate.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from server import create_app
from server.config import DEFAULT_WALL_PORT, Config
from server.observability import multiprocess
from server.services.devices.identity import server_id
from server.services.scores.aggregates import establish
from server.serving.discovery import Advertiser
from server.serving.notifier import Notifier
from server.serving.plain_http import PlainHttpGate, redirect_host
from server.serving.tls import ensure_identity
from server.serving.wall_versions import WallVersionRefresher
from server.serving.worker import ShopfloorWorker

if TYPE_CHECKING:
    from flask import Flask

logger = logging.getLogger(__name__)


class ShopfloorServer(BaseApplication):
    """gunicorn driven from our CLI: the app is built once in the master, then forked."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def _server_id(app: Flask) -> str:
    with app.extensions["shopfloor.sessionmaker"]() as session:
        return server_id(session)


def _day_sums(app: Flask, config: Config) -> None:
    """Build the day sums scoring reads in the site's zone, once, before workers fork: on
    the first start after the upgrade that made them, or after the zone was changed."""
    with app.extensions["shopfloor.sessionmaker"]() as session:
        if establish(session, config.zone):
            logger.info("day sums built", extra={"zone": config.zone.key})
        session.commit()


def serve(config: Config, host: str, port: int, workers: int, *, http: bool = False,
          wall_port: int = DEFAULT_WALL_PORT) -> None:
    # The app carries the ports it really serves on: the admin's display links point TVs
    # at the port that serves the wall.
    config = replace(config, host=host, port=port, wall_port=0 if http else wall_port,
                     http=http)
    # Each worker's counts in files of this start's folder, summed at a scrape: set up
    # before the app (and its metrics) is made, inherited by the forked workers.
    metrics_dir = multiprocess.enable(config.data_dir)
    app = create_app(config)
    app.extensions[multiprocess.METRICS_DIR] = metrics_dir
    _day_sums(app, config)
    advertiser = None if http else Advertiser(_server_id(app), port, host=host,
                                              interfaces=config.mdns_interfaces)
    # Connections made in the master must not be shared with forked workers.
    app.extensions["shopfloor.engine"].dispose(close=False)
    # The app's long-lived objects (modules, routes, statements) out of the collector's
    # reach: a full collection walked ~240,000 of them, 130-230 ms on a request's time,
    # and forked workers keep sharing their pages instead of copying them on each walk.
    gc.freeze()
    binds, plain_ports = [f"{host}:{port}"], frozenset[int]()
    wsgi: Any = app
    tls: dict[str, str | None] = {"certfile": None, "keyfile": None}
    fingerprint = None
    if not http:
        identity = ensure_identity(config.data_dir)
        fingerprint = identity.fingerprint
        tls = {"certfile": str(identity.certfile), "keyfile": str(identity.keyfile)}
        if wall_port:
            binds.append(f"{host}:{wall_port}")
            plain_ports = frozenset({wall_port})
            wsgi = PlainHttpGate(app, port, redirect_host(config))
    # The worker does TLS itself, per listener: gunicorn gets no certificate. Each worker
    # starts its own copy of the notification sender (serving/notifier.py) and of the
    # thread that keeps the wall boards' versions fresh (serving/wall_versions.py).
    sessions = app.extensions["shopfloor.sessionmaker"]
    notifier = Notifier(sessions, config)
    wall_polls = app.extensions["shopfloor.wall_polls"]
    versions = WallVersionRefresher(sessions, config.zone, wall_polls)
    worker = type("Worker", (ShopfloorWorker,), {
        "plain_ports": plain_ports, **tls, "exempt": config.trusted_proxy_addresses,
        "background": (notifier, versions), "wall_polls": wall_polls,
        "write_threads": 1 if app.extensions["shopfloor.engine"].dialect.name == "sqlite"
        else 2})
    options: dict[str, Any] = {
        "bind": binds,
        "workers": workers,
        "worker_class": worker,
        # Threads per worker for the app's short requests; connections wait in the
        # worker's loop, not here, and uploads, video downloads and the kiosks' event
        # batches have threads of their own (serving/worker.py, TRANSFER_THREADS,
        # WRITE_TARGETS). Fewer threads contend less for the GIL and SQLite's write lock:
        # under `make bench-load` 4 threads served 269 cards a second, 2 served 292
        # (before SQLite's writers queued on a file lock, server/db.py: 8 served 135,
        # 4 152-154, 2 200).
        "threads": 2,
        "timeout": 60,
        "graceful_timeout": 10,
        # gunicorn's own parser does not run in our workers; should it ever, it believes
        # X-Forwarded-* from the configured proxies only (its default is 127.0.0.1).
        "forwarded_allow_ips": ",".join(config.trusted_proxy_addresses),
        "accesslog": None,
        "errorlog": "-",
        "proc_name": "shopfloor-server",
        "preload_app": True,
        # gunicorn's control socket lives at one path per user, which several servers
        # on one machine (a test run, a demo beside a real site) would fight over.
        "control_socket_disable": True,
    }
    if advertiser is not None:
        options["when_ready"] = lambda arbiter: advertiser.start()
    options["child_exit"] = multiprocess.child_exit(metrics_dir)

    def on_exit(_arbiter: Any) -> None:
        if advertiser is not None:
            advertiser.stop()
        multiprocess.remove(metrics_dir)

    options["on_exit"] = on_exit
    scheme = "http" if http else "https"
    logger.info("serving", extra={"url": f"{scheme}://{host}:{port}/", "workers": workers,
                                  "wall_url": f"http://{host}:{wall_port}/wall"
                                  if plain_ports else None, "fingerprint": fingerprint})
    ShopfloorServer(wsgi, options).run()
