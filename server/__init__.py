"""Shopfloor Kiosk server: the Flask app factory. Nothing happens at import."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from sqlalchemy.orm import Session

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    config = config or Config.from_env(**overrides)
    app = Flask(__name__)
    from server.web import SpoolToDataDir, TrustedProxyFix, front_door, security_headers

    app.request_class = SpoolToDataDir
    app.config.update(
        SECRET_KEY=config.ensure_secret_key(),
        TESTING=config.testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    app.config["SHOPFLOOR"] = config
    app.after_request(security_headers)
    engine = make_engine(config.database_url)
    app.extensions["shopfloor.engine"] = engine
    app.extensions["shopfloor.sessionmaker"] = make_sessionmaker(engine)
    from server.services.devices.keys import load_keys

    # The site key and the sealing key (services/devices/keys.py), made on first start.
    app.extensions["shopfloor.keys"] = load_keys(config.data_dir)

    from server import errors
    from server.admin import admin
    from server.admin import setup as admin_setup
    from server.api import api
    from server.observability.instruments import Instruments
    from server.observability.views import observability
    from server.services.scores.kiosk_reads import CardMemo
    from server.services.scores.standings import StandingsCache
    from server.wall import wall
    from server.wall.poll_memo import WallPollMemo

    # Standings by workshop and period, shared by the kiosk API and the wall (one per
    # database), and the kiosk cards as last served.
    app.extensions["shopfloor.standings"] = StandingsCache()
    app.extensions["shopfloor.card_memo"] = CardMemo()
    # What the API counts and times for /metrics (server/observability/).
    counted = app.extensions["shopfloor.instruments"] = Instruments()
    # The ETags answered to wall TVs, which the serving loop repeats as 304s itself.
    app.extensions["shopfloor.wall_polls"] = WallPollMemo(
        answered=lambda: counted.wall_poll("loop"))

    from server.api.card_revalidation import CardRevalidation

    # A kiosk's unchanged card answered 304 before Flask (api/card_revalidation.py); inside
    # the proxy fix, which wraps it below.
    app.wsgi_app = CardRevalidation(app, app.wsgi_app)  # type: ignore[method-assign]
    app.register_blueprint(api)
    app.register_blueprint(wall)
    app.register_blueprint(observability)
    app.add_url_rule("/", "front_door", front_door)
    admin_setup.init_app(app)  # logins, CSRF, the UI language: before the admin's routes
    app.register_blueprint(admin)
    errors.register(app)
    if config.trusted_proxies and config.trusted_proxy_addresses:
        # Behind nginx (provisioning/server/nginx): the client's address for logs and the
        # login throttle, and https in links and for the Secure cookie flag; believed only
        # from the proxies' own addresses.
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, config.trusted_proxy_addresses, config.trusted_proxies)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()

    return app
