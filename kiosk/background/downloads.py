"""The worker thread that downloads training videos (the UI side is :mod:`kiosk.videos`).

Downloads run in the background, one file at a time, into ``<sha256>.part``; an
interrupted one resumes with ``Range`` (and ``If-Range`` with the file's sha256, so a
changed file starts over rather than being spliced). A finished file is checked against
its sha256 before it is kept. The folder has a size budget: to make room, the least
recently played video that is not required goes first; a required one is never evicted.
The thread talks to the UI only by posting ``VIDEOS_READY`` and ``VIDEO_DOWNLOAD``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from kiosk import events
from kiosk.background.rounds import Rounds
from kiosk.errors import ApiError, ClientError, StoreError
from kiosk.link.client import KioskClient
from kiosk.logs import log_event
from kiosk.store import Store
from kiosk.videos import LIST_KEY, VideoInfo

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
PROGRESS_EVERY_S = 0.25
NO_SERVER_RETRY_S = 30.0  # not enrolled or no server found yet: look again soon


class VideoDownloader:
    """One background thread: list, fetch pictures, evict to the budget, download."""

    def __init__(self, store: Store, folder: Path,
                 connect: Callable[[], KioskClient | None], *, budget_bytes: int,
                 interval_s: float = 300.0, post: Callable[..., None] = events.post) -> None:
        self.store = store
        self.folder = folder
        self._connect = connect
        self.budget_bytes = budget_bytes
        self.interval_s = interval_s
        self._post = post
        self._rounds = Rounds("kiosk-videos", self._round_then_delay, retry_s=interval_s)

    def start(self) -> None:
        self._rounds.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._rounds.stop(timeout)

    def _round_then_delay(self) -> float:
        wait = self.interval_s
        try:
            if not self.run_once():
                wait = min(wait, NO_SERVER_RETRY_S)
        except (ClientError, StoreError, OSError) as exc:
            log_event(logger, "video_sync_failed", logging.WARNING, reason=str(exc))
        return wait

    def run_once(self) -> bool:
        """One round; False when there is no server to ask."""
        client = self._connect()
        if client is None:
            return False
        try:
            self._round(client)
        finally:
            client.close()
        return True

    def _round(self, client: KioskClient) -> None:
        listed = client.videos()
        self.store.set_setting(LIST_KEY, json.dumps(listed, ensure_ascii=False))
        videos = [VideoInfo.from_json(item) for item in listed]
        self.folder.mkdir(parents=True, exist_ok=True)
        for video in videos:
            for url, name in video.pictures():
                if not (self.folder / name).is_file():
                    try:
                        self._save_small(client, url, name)
                    except ApiError as exc:  # a missing picture: the quiz draws its pictogram
                        log_event(logger, "video_picture_refused", logging.WARNING,
                                  video=video.id, reason=str(exc))
        self._post(events.VIDEOS_READY)
        self._drop_unlisted(videos)
        # Required videos first (the server lists them so), then the rest.
        for video in videos:
            if self._rounds.stopping:
                return
            if video.sha256 in self.store.video_files():
                continue
            if not self._make_room(video, videos):
                log_event(logger, "video_budget_full", logging.WARNING, video=video.id,
                          size=video.size, budget=self.budget_bytes)
                continue
            try:
                fetched = self.fetch(client, video)
            except ApiError as exc:  # this file is refused (say, retired meanwhile): next
                log_event(logger, "video_refused", logging.WARNING, video=video.id,
                          reason=str(exc))
                continue
            if fetched:
                self._post(events.VIDEOS_READY)

    def _save_small(self, client: KioskClient, url: str, name: str) -> None:
        body = client.download(url)
        part = self.folder / f"{name}.part"
        part.write_bytes(body)
        part.replace(self.folder / name)

    def _drop_unlisted(self, videos: list[VideoInfo]) -> None:
        """Files of videos the server no longer lists (retired) make room first."""
        wanted = {v.sha256 for v in videos}
        for sha256, (name, _, _) in self.store.video_files().items():
            if sha256 not in wanted:
                self._evict(sha256, name, "retired")

    def _evict(self, sha256: str, name: str, why: str) -> None:
        (self.folder / name).unlink(missing_ok=True)
        self.store.forget_video_file(sha256)
        log_event(logger, "video_evicted", sha256=sha256[:12], reason=why)

    def _make_room(self, video: VideoInfo, videos: list[VideoInfo]) -> bool:
        """Evict least recently played optional videos until `video` fits the budget;
        False when it cannot fit without evicting a required one."""
        required = {v.sha256 for v in videos if v.required}
        files = self.store.video_files()
        used = sum(size for _, size, _ in files.values())
        candidates = sorted((last_used, sha256, name) for sha256, (name, _, last_used)
                            in files.items() if sha256 not in required)
        while used + video.size > self.budget_bytes:
            if not candidates:
                return video.required  # a required video comes in even over the budget
            _, sha256, name = candidates.pop(0)
            self._evict(sha256, name, "budget")
            used -= files[sha256][1]
        return True

    def fetch(self, client: KioskClient, video: VideoInfo) -> bool:
        """Download (or resume) one file and keep it if its sha256 matches."""
        part = self.folder / f"{video.sha256}.part"
        offset = part.stat().st_size if part.exists() else 0
        # A part as long as the file was cut off between download and check: check it.
        if offset < video.size or not video.size:
            self._download(client, video, part, offset)
        if self._rounds.stopping:
            return False
        if _sha256(part) != video.sha256:
            part.unlink(missing_ok=True)
            log_event(logger, "video_corrupt", logging.WARNING, video=video.id)
            return False
        part.replace(self.folder / video.file_name)
        self.store.save_video_file(video.sha256, video.file_name, video.size)
        self._post(events.VIDEO_DOWNLOAD, video=video.id, done=video.size, total=video.size)
        log_event(logger, "video_ready", video=video.id, size=video.size)
        return True

    def _download(self, client: KioskClient, video: VideoInfo, part: Path,
                  offset: int) -> None:
        log_event(logger, "video_download", video=video.id, size=video.size,
                  resume_from=offset)
        # If-Range with the sha256: a file that changed meanwhile comes whole (200).
        headers = {"Range": f"bytes={offset}-", "If-Range": f'"{video.sha256}"'} if offset else {}
        with client.stream(video.file_url, headers) as response:
            if response.status_code != 206:
                offset = 0  # the whole file came: start the part file over
            done, reported = offset, 0.0
            with part.open("ab" if offset else "wb") as out:
                # As it arrives: a fixed chunk size would hold back what a cut loses.
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    done += len(chunk)
                    if time.monotonic() - reported > PROGRESS_EVERY_S:
                        reported = time.monotonic()
                        self._post(events.VIDEO_DOWNLOAD, video=video.id, done=done,
                                   total=video.size)
                    if self._rounds.stopping:
                        return


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK * 4):
            digest.update(chunk)
    return digest.hexdigest()
