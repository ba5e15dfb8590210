"""A training video end to end: the server (`shopfloor-server run`, HTTPS) holds a
required video for W1; the kiosk downloads it through a network that fails halfway and
resumes with Range, checks its sha256, plays it in the training scene with the dummy SDL
drivers on an accelerated clock, sends its progress through the outbox, and the server
counts the video completed and the training dimension met on the scorecard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from kiosk.app import App  # noqa: E402
from kiosk.background.downloads import VideoDownloader  # noqa: E402
from kiosk.background.sync import SyncWorker  # noqa: E402
from kiosk.config import KioskConfig  # noqa: E402
from kiosk.errors import ServerUnavailable  # noqa: E402
from kiosk.link.client import KioskClient  # noqa: E402
from kiosk.scenes.base import Context  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui.window import open_window  # noqa: E402
from kiosk.videos import VideoLibrary  # noqa: E402
from server.config import Config  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.models import TrainingProgress, Worker, Workshop  # noqa: E402
from server.services.devices.keys import load_keys  # noqa: E402
from server.services.devices.kiosks import add_kiosk, enroll  # noqa: E402
from server.services.people.badges import assign_card  # noqa: E402
from server.services.scores.schemes import import_scheme  # noqa: E402
from server.services.setup import initialise  # noqa: E402
from server.services.training.videos import Assignment, add_video, video_dir  # noqa: E402
from support.clips import make_clip  # noqa: E402
from support.cutting_proxy import CuttingProxy  # noqa: E402
from support.live_server import LiveServer  # noqa: E402

SCHEME = """
name: training counts
workshops: [W1]
period: week
mode: threshold
effective_from: 2026-01-01
dimensions:
  - {key: training, target: 1.0, points: 10}
"""
CLIP_SECONDS = 12.0


class FakeSpeaker:
    def say(self, lang: str, parts: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, str, int, int]]:
    """The server with W1, worker W001 with a card, the scheme, a kiosk and a required
    video of CLIP_SECONDS; yields the server, the kiosk token, the video id and size."""
    server = LiveServer(tmp_path / "server")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    clip = make_clip(tmp_path / "clip.mp4", CLIP_SECONDS, (640, 360), bitrate=1_500_000)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, "video admin password")
        session.add_all([w1 := Workshop(code="W1", name="机加工车间"),
                         Worker(code="W001", name="张三", workshop=w1)])
        session.flush()
        assign_card(session, load_keys(config.data_dir), "W001", "04A1B2C3", "test")
        import_scheme(session, SCHEME, "test")
        token = enroll(session, add_kiosk(session, "K1", ["W1"], "test").code)[1]
        incoming = video_dir(config.data_dir) / "incoming"
        incoming.write_bytes(clip.read_bytes())
        video = add_video(session, config.data_dir, incoming,
                          Assignment(title="安全操作规程", workshops=["W1"]), "test")
        session.commit()
        video_id, size = video.id, video.size_bytes
    engine.dispose()
    server.start()
    try:
        yield server, token, video_id, size
    finally:
        server.stop()


def test_download_resumes_then_playing_completes_the_training(
        served: tuple[LiveServer, str, int, int], tmp_path: Path) -> None:
    server, token, video_id, size = served
    store = Store(tmp_path / "kiosk" / "kiosk.sqlite3")
    store.set_setting("token", token)
    folder = tmp_path / "kiosk" / "videos"
    posted: list[int] = []
    upstream = (server.host, server.port)
    with CuttingProxy(upstream, cut_first_after=size // 2) as proxy:
        def connect() -> KioskClient:
            return KioskClient(f"https://127.0.0.1:{proxy.port}", token, tls=server.verify)

        downloader = VideoDownloader(store, folder, connect, budget_bytes=10 * size,
                                     post=lambda kind, **attrs: posted.append(kind))
        with pytest.raises(ServerUnavailable):
            downloader.run_once()  # the network fails halfway through the file
        part = folder / f"{VideoLibrary(store, folder).videos()[0].sha256}.part"
        cut_at = part.stat().st_size
        assert 0 < cut_at < size
        downloader.run_once()  # resumes where it stopped
        assert len(proxy.downstream_bytes) == 2
        assert proxy.downstream_bytes[1] < size - cut_at // 2, "resumed, not started over"
    library = VideoLibrary(store, folder)
    video = library.videos()[0]
    path = library.path(video)
    assert path is not None and path.stat().st_size == size and not part.exists()

    client = KioskClient(server.url, token, tls=server.verify)
    sync = SyncWorker(store, client, post=lambda kind, **attrs: None)
    try:
        sync.run_once()  # the roster
        credential = store.roster()[0]["workers"][0]["badges"][0]["hash"]
        window = open_window(False)
        now = [1000.0]
        ctx = Context(store=store, speaker=FakeSpeaker(), sync=sync, videos=library,
                      clock=lambda: now[0])
        app = App(KioskConfig(data_dir=tmp_path / "kiosk"), ctx, window)
        app.badge_in(credential, "card", "test", None)
        _tap(app, "training")
        _tap(app, f"video:{video_id}")
        assert app.scenes.top.name == "player"
        for _ in range(400):  # 0.1 s of video a frame: the clock runs fast
            if app.scenes.top.name != "player":
                break
            now[0] += 0.1
            app.step()
        assert app.scenes.top.name == "training"
        sync.run_once()  # the outbox
        assert store.depth() == 0
        card = client.scorecard("W001", "week")
    finally:
        sync.stop()
        pygame.display.quit()
        store.close()
    training = next(d for d in card["dimensions"] if d["key"] == "training")
    assert training["met"] is True
    engine = make_engine(Config.from_env(data_dir=server.data_dir).database_url)
    with make_sessionmaker(engine)() as session:
        progress = session.query(TrainingProgress).one()
        assert progress.completed_at is not None
        assert progress.completed_at <= datetime.now(progress.completed_at.tzinfo)
    engine.dispose()


def _tap(app: App, name: str) -> None:
    button = next(b for b in app.scenes.top.buttons if b.name == name)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=button.rect.center,
                                         button=1, touch=False))
    app.step()
