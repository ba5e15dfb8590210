"""Kiosk test fixtures: each test gets its own store, a dummy display and behaving fakes;
an autouse check fails a test that leaves a thread running."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("SHOPFLOOR_MDNS_INTERFACES", "127.0.0.1")

import pygame  # noqa: E402
import pytest  # noqa: E402
from kiosk_fakes import FakeSpeaker, FakeSync, roster_json  # noqa: E402

from kiosk.app import App
from kiosk.config import KioskConfig  # noqa: E402
from kiosk.scenes.base import Context  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui.window import Window, open_window  # noqa: E402

# Threads that live for the whole session by design: the thread that copies PostgreSQL's
# template a test ahead (tests/conftest.py) starts with the session's first PostgreSQL test.
SESSION_THREADS = ("pg-copies",)


@pytest.fixture(autouse=True)
def no_thread_outlives_the_test() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()
                 and not t.name.startswith(SESSION_THREADS)]
        if not extra:
            return
        time.sleep(0.05)
    pytest.fail(f"threads left running: {[t.name for t in extra]}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "kiosk.sqlite3")
    yield store
    store.close()


@pytest.fixture
def speaker() -> FakeSpeaker:
    return FakeSpeaker()


@pytest.fixture
def sync() -> FakeSync:
    return FakeSync()


@pytest.fixture
def display() -> Iterator[Window]:
    window = open_window(False)
    yield window
    pygame.display.quit()


@pytest.fixture(scope="module")
def x_server() -> Iterator[str]:
    """A private Xvfb for a module whose tests draw into a real X window (`x_window`)."""
    if not shutil.which("Xvfb"):
        pytest.skip("needs xvfb (scripts/packages/test-kiosk.txt)")
    from support.xvfb import xvfb_display

    with xvfb_display() as name:
        yield name


@pytest.fixture
def x_window(x_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Window]:
    """A real X11 window on the module's private Xvfb. A module that screenshots or
    measures what it draws overrides `display` with it:

        @pytest.fixture
        def display(x_window: Window) -> Window:
            return x_window
    """
    monkeypatch.setenv("DISPLAY", x_server)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    monkeypatch.delenv("XAUTHORITY", raising=False)
    pygame.display.quit()
    try:
        window = open_window(False)
        assert pygame.display.get_driver() == "x11"
        yield window
    finally:
        pygame.display.quit()


@pytest.fixture
def make_app(store: Store, speaker: FakeSpeaker, sync: FakeSync, display, tmp_path: Path):
    def make(*, enrolled: bool = True, roster: bool = True, timeout_s: float = 30.0) -> App:
        if roster:
            store.save_roster(roster_json(), '"r1"')
        config = KioskConfig(data_dir=tmp_path, scene_timeout_s=timeout_s)
        ctx = Context(store=store, speaker=speaker, sync=sync, workshop="W1")
        pygame.event.clear()
        return App(config, ctx, display, enrolled=enrolled)
    return make


@pytest.fixture
def app(make_app) -> App:
    return make_app()
