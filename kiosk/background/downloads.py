"""The worker thread that downloads training videos (the UI side is :mod:`kiosk.videos`).

Downloads run in the background, one file at a time, into ``<sha256>.part``; an
interrupted one resumes with ``Range`` (and ``If-Range`` with the file's sha256, so a
changed file starts over rather than being spliced). A finished file is checked against
its sha256 before it is kept. The folder has a size budget: to make room, the least
recently played video that is not required goes first; a required one is never evicted.
The thread talks to the UI only by posting ``VIDEOS_READY`` and ``VIDEO_DOWNLOAD``.

`VoicePackDownloader` does the same for voice packs (the packs of the kiosk's languages,
a zip each): the zip is checked against its sha256, unpacked (only clip names a pack may
hold, no links, no paths outside, capped sizes) into ``<voice>/packs/<lang>-<sha>``, and
``<voice>/<lang>`` is switched to it in one step (a symlink replaced by ``rename``), so the
speaker reads either the old pack or the new one, never half of one. A pack the server no
longer lists is removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import stat
import time
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from kiosk import events
from kiosk.background.rounds import Rounds
from kiosk.errors import ApiError, ClientError, StoreError
from kiosk.link.client import KioskClient
from kiosk.logs import log_event
from kiosk.store import Store
from kiosk.videos import LIST_KEY, VideoInfo
from shopfloor_voice import MANIFEST, PackError, clip_name

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
PROGRESS_EVERY_S = 0.25
NO_SERVER_RETRY_S = 30.0  # not enrolled or no server found yet: look again soon


class _Periodic(ABC):
    """A background downloader's rounds: `run_once` every `interval_s`, retried sooner
    while there is no server; a failed round (`ERRORS`) is logged as `FAILED`, never
    raised."""

    FAILED = "download_failed"
    ERRORS: tuple[type[Exception], ...] = (ClientError, OSError)
    interval_s: float
    _rounds: Rounds

    def start(self) -> None:
        self._rounds.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._rounds.stop(timeout)

    @abstractmethod
    def run_once(self) -> bool:
        """One round; False when there is no server to ask."""

    def _round_then_delay(self) -> float:
        wait = self.interval_s
        try:
            if not self.run_once():
                wait = min(wait, NO_SERVER_RETRY_S)
        except self.ERRORS as exc:
            log_event(logger, self.FAILED, logging.WARNING, reason=str(exc))
        return wait


class VideoDownloader(_Periodic):
    """One background thread: list, fetch pictures, evict to the budget, download."""

    FAILED = "video_sync_failed"
    ERRORS = (ClientError, StoreError, OSError)

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


VOICE_LIST_URL = "/api/v1/voice-packs"
VOICE_ZIP_MAX_BYTES = 64 * 1024 * 1024
VOICE_ENTRY_MAX_BYTES = 2 * 1024 * 1024
VOICE_MAX_ENTRIES = 2000


class VoicePackDownloader(_Periodic):
    """One background thread: the voice packs of the kiosk's languages, kept current."""

    FAILED = "voice_pack_sync_failed"
    ERRORS = (ClientError, OSError, ValueError)

    def __init__(self, folder: Path, connect: Callable[[], KioskClient | None], *,
                 interval_s: float = 600.0) -> None:
        self.folder = folder
        self._connect = connect
        self.interval_s = interval_s
        self._rounds = Rounds("kiosk-voice-packs", self._round_then_delay,
                              retry_s=interval_s)


    def run_once(self) -> bool:
        """One round; False when there is no server to ask."""
        client = self._connect()
        if client is None:
            return False
        try:
            body = json.loads(client.download(VOICE_LIST_URL))
            listed = body.get("voice_packs", []) if isinstance(body, dict) else []
            wanted = {}
            for item in listed:
                lang, sha256 = str(item.get("language", "")), str(item.get("sha256", ""))
                if lang.replace("_", "").isalnum() and len(sha256) == 64:
                    wanted[lang] = (sha256, str(item.get("file_url", "")))
            for lang, (sha256, url) in sorted(wanted.items()):
                if self._rounds.stopping:
                    break
                if self.current(lang) == sha256:
                    continue
                try:
                    self.install(lang, sha256, client.download(url))
                except ApiError as exc:
                    log_event(logger, "voice_pack_refused", logging.WARNING, lang=lang,
                              reason=str(exc))
            self._drop_unlisted(set(wanted))
        finally:
            client.close()
        return True

    @property
    def packs(self) -> Path:
        return self.folder / "packs"

    def current(self, lang: str) -> str | None:
        """The sha256 of the language's installed pack."""
        link = self.folder / lang
        if not link.is_symlink():
            return None
        name = os.readlink(link)
        prefix = f"packs/{lang}-"
        return name[len(prefix):] if name.startswith(prefix) else None

    def install(self, lang: str, sha256: str, body: bytes) -> bool:
        """Check, unpack and switch to a downloaded pack; False when it is refused."""
        if hashlib.sha256(body).hexdigest() != sha256:
            log_event(logger, "voice_pack_corrupt", logging.WARNING, lang=lang)
            return False
        target = self.packs / f"{lang}-{sha256}"
        staging = self.packs / f".{lang}-{sha256}.part"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            _unpack(body, lang, staging)
        except (PackError, zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            log_event(logger, "voice_pack_refused", logging.WARNING, lang=lang,
                      reason=str(exc))
            return False
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        self._switch(lang, target)
        log_event(logger, "voice_pack_ready", lang=lang, sha256=sha256[:12])
        return True

    def _switch(self, lang: str, target: Path) -> None:
        link = self.folder / lang
        new_link = self.folder / f".{lang}.link"
        new_link.unlink(missing_ok=True)
        new_link.symlink_to(target.relative_to(self.folder))
        if link.is_dir() and not link.is_symlink():  # clips kept before packs: set aside
            link.rename(self.folder / f".{lang}.before-packs")
        os.replace(new_link, link)
        for old in self.packs.glob(f"{lang}-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)

    def _drop_unlisted(self, wanted: set[str]) -> None:
        if not self.packs.is_dir():
            return
        for installed in self.packs.iterdir():
            lang = installed.name.rpartition("-")[0]
            if installed.name.startswith(".") or lang in wanted:
                continue
            link = self.folder / lang
            if link.is_symlink():
                link.unlink()
            shutil.rmtree(installed, ignore_errors=True)
            log_event(logger, "voice_pack_removed", lang=lang)


def _unpack(body: bytes, lang: str, into: Path) -> None:
    """The pack's clips and pack.json into ``into``; anything else refuses the whole zip."""
    if len(body) > VOICE_ZIP_MAX_BYTES:
        raise ValueError("voice pack zip too large")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        entries = archive.infolist()
        if len(entries) > VOICE_MAX_ENTRIES:
            raise ValueError("voice pack has too many entries")
        for entry in entries:
            if entry.is_dir():
                continue
            if stat.S_ISLNK(entry.external_attr >> 16) or entry.file_size > VOICE_ENTRY_MAX_BYTES:
                raise ValueError(f"{entry.filename}: a link or too large")
            if entry.filename != MANIFEST:
                clip_name(entry.filename, lang)  # raises for any other name, ../ included
            with archive.open(entry) as member:
                data = member.read(VOICE_ENTRY_MAX_BYTES + 1)
            if len(data) > VOICE_ENTRY_MAX_BYTES:
                raise ValueError(f"{entry.filename}: larger than its header said")
            path = into / entry.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
