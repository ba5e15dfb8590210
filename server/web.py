"""Request-scoped helpers shared by the blueprints."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from server.config import Config
from server.services.standings import StandingsCache


def db_session() -> Session:
    """The request's session; closed when the app context ends. Views commit once."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["shopfloor.sessionmaker"]()
    session: Session = g.db_session
    return session


def app_config() -> Config:
    config: Config = current_app.config["SHOPFLOOR"]
    return config


def standings_cache() -> StandingsCache:
    """The app's standings cache (see `server.services.standings`)."""
    cache: StandingsCache = current_app.extensions["shopfloor.standings"]
    return cache
