"""Attacks from outside on the server's doors (issue 16): raw sockets and HTTP requests to
loopback only, through `live`, one real `shopfloor-server run` (two workers, HTTPS and the
wall port) that every test here shares, with a factory, a kiosk token and a display link. Tests that
need to watch a deadline cut use `support.attack.FrontOnPort` with short ones instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.db import make_engine, make_sessionmaker
from server.models import Language
from server.services.devices.displays import add_display
from server.services.setup import initialise
from support.attack import Live
from support.factory import build_factory
from support.live_server import LiveServer


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{data / 'shopfloor.db'}"
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            initialise(engine, session, "admin password 1")
            made = build_factory(session)
            display = add_display(session, "TV-hall", "W1", Language.ZH_CN, actor="test")
            session.commit()
            path = display.path()
    finally:
        engine.dispose()
    server = LiveServer(data, env={"SHOPFLOOR_DATABASE_URL": url}, workers=2)
    server.start()
    try:
        yield Live(server, made.kiosk_token, path)
    finally:
        server.stop()


