"""The video downloader (kiosk/background/downloads.py) against a behaving fake server (httpx's
MockTransport): a file whose sha256 does not match is not kept, a damaged part is thrown
away and the file fetched whole, and the list and thumbnails are stored.
The real server, with a connection cut halfway, is in tests/e2e/test_video_kiosk.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx

from kiosk.background.downloads import VideoDownloader
from kiosk.link.client import KioskClient
from kiosk.store import Store
from kiosk.videos import LIST_KEY, VideoLibrary

BODY = bytes(range(256)) * 400  # 100 KB
SHA = hashlib.sha256(BODY).hexdigest()


class FakeServer:
    """Serves one video (Range and If-Range as werkzeug does) and its thumbnail."""

    def __init__(self, listed_sha: str = SHA) -> None:
        self.listed_sha = listed_sha
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v1/videos":
            return httpx.Response(200, json={"videos": [{
                "id": 1, "title": "安全", "sha256": self.listed_sha, "size_bytes": len(BODY),
                "duration_s": 10.0, "container": "mp4", "required": True,
                "file_url": "/api/v1/videos/1/file",
                "thumbnail_url": "/api/v1/videos/1/thumbnail", "quiz": []}]})
        if path == "/api/v1/videos/1/thumbnail":
            return httpx.Response(200, content=b"jpeg")
        self.requests.append({k: v for k, v in request.headers.items()
                              if k in ("range", "if-range")})
        wanted = request.headers.get("range", "")
        same = request.headers.get("if-range") == f'"{SHA}"'
        if wanted.startswith("bytes=") and same:
            start = int(wanted[6:].rstrip("-"))
            return httpx.Response(206, content=BODY[start:])
        return httpx.Response(200, content=BODY, headers={"ETag": f'"{SHA}"'})


def downloader(store: Store, folder: Path, server: FakeServer) -> VideoDownloader:
    return VideoDownloader(
        store, folder, lambda: KioskClient("http://server", "token",
                                           transport=httpx.MockTransport(server)),
        budget_bytes=10 * len(BODY), post=lambda kind, **attrs: None)


def test_a_file_that_does_not_match_its_sha256_is_not_kept(store: Store,
                                                           tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    downloader(store, folder, FakeServer(listed_sha="0" * 64)).run_once()
    assert store.video_files() == {}
    assert sorted(p.name for p in folder.iterdir()) == [f"{'0' * 64}-thumb.jpg"]
    assert VideoLibrary(store, folder).path(VideoLibrary(store, folder).videos()[0]) is None


def test_a_damaged_part_is_thrown_away_and_the_file_fetched_whole(
        store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / f"{SHA}.part").write_bytes(b"damaged" * 100)  # say, a disk error
    server = FakeServer()
    loader = downloader(store, folder, server)
    loader.run_once()  # resumes after the damage: the whole does not match, nothing kept
    assert store.video_files() == {} and not (folder / f"{SHA}.part").exists()
    loader.run_once()  # from the start
    assert server.requests == [{"range": "bytes=700-", "if-range": f'"{SHA}"'}, {}]
    library = VideoLibrary(store, folder)
    path = library.path(library.videos()[0])
    assert path is not None and path.read_bytes() == BODY
    assert json.loads(store.get_setting(LIST_KEY) or "[]")[0]["sha256"] == SHA
