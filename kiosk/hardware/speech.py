"""Speech: pyttsx3 on espeak-ng (the ``espeakng-loader`` build, whose Mandarin is right).

One thread owns the engine and the playback. ``say`` only queues; a newer request
replaces an older one that has not started and interrupts one that is playing. Each text
is synthesised once into a WAV cache (an empty result is retried); a phrase key with a
recorded clip in ``assets/voice/<lang>/<key>.wav`` plays the clip instead (for dialects).
With no audio device the kiosk carries on silently and says so once in its log.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import hashlib
import io
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import pygame

from kiosk.logs import log_event

logger = logging.getLogger(__name__)

VOICES = {"zh_CN": "sit/cmn", "en": "gmw/en-us"}
RATE = 150
SYNTH_TIMEOUT_S = 10.0
# espeak-ng now and then (about 1 synthesis in 50 here) ends a message without producing
# any audio; the same call again works.
SYNTH_ATTEMPTS = 3
ASSETS_VOICE = Path(__file__).resolve().parents[2] / "assets" / "voice"

Part = tuple[str, str]  # (phrase key, text)


class Player(Protocol):
    def play(self, path: Path) -> float: ...

    def stop(self) -> None: ...


# One mixer for speech and training videos' sound, whichever opens it first: 44.1 kHz
# stereo, as video sound comes; speech WAVs (22.05 kHz mono) are converted on loading.
MIXER_FORMAT = (44100, -16, 2, 512)


class MixerPlayer:
    """Plays WAVs through pygame.mixer; without an audio device it plays nothing."""

    def __init__(self) -> None:
        self.available = False

    def open(self) -> bool:
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(*MIXER_FORMAT)
            self.available = True
        except pygame.error as exc:
            log_event(logger, "audio_unavailable", logging.WARNING, reason=str(exc).splitlines()[0])
        return self.available

    def play(self, path: Path) -> float:
        if not self.available:
            return 0.0
        sound = pygame.mixer.Sound(str(path))
        sound.play()
        return sound.get_length()

    def stop(self) -> None:
        if self.available:
            pygame.mixer.stop()


class Speaker(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def say(self, lang: str, parts: Sequence[Part]) -> None: ...


def load_espeak() -> None:
    """Make pyttsx3 use the espeak-ng library and data shipped by ``espeakng-loader``."""
    import espeakng_loader

    os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)


_shared_engine: list[Any] = []
_shared_engine_lock = threading.Lock()


def shared_engine() -> Any:
    """The process's one pyttsx3 engine: espeak-ng initialises once per process and keeps a
    single synthesis callback, so a second engine would silence the first."""
    with _shared_engine_lock:
        if not _shared_engine:
            load_espeak()
            import pyttsx3

            engine = pyttsx3.init("espeak")
            _shared_engine.append(engine)
            atexit.register(_release_engine)
        return _shared_engine[0]


def _release_engine() -> None:
    """Let the engine go while the interpreter is whole: pyttsx3's finaliser needs module
    globals that are already gone when it runs at shutdown (a traceback on every exit)."""
    with _shared_engine_lock:
        _shared_engine.clear()
    gc.collect()


class EspeakSpeaker:
    def __init__(
        self,
        cache_dir: Path,
        player: Player | None = None,
        *,
        voice_dir: Path = ASSETS_VOICE,
        on_play: Callable[[float], None] | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.voice_dir = voice_dir
        self.player: Player = player or MixerPlayer()
        self._on_play = on_play
        self._requests: queue.Queue[tuple[str, list[Part], float] | None] = queue.Queue()
        self._interrupt = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: Any = None
        self._listener: Any = None
        self._done = threading.Event()

    def start(self) -> None:
        if isinstance(self.player, MixerPlayer):
            self.player.open()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._interrupt.set()
        self._requests.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def say(self, lang: str, parts: Sequence[Part]) -> None:
        if parts:
            self._interrupt.set()
            self._requests.put((lang, list(parts), time.perf_counter()))

    def synthesize(self, lang: str, text: str) -> Path:
        """The cached WAV for ``text``; only the speech thread calls this."""
        digest = hashlib.sha256(f"{VOICES.get(lang, lang)}|{RATE}|{text}".encode()).hexdigest()
        path = self.cache_dir / f"{digest}.wav"
        if path.exists() and path.stat().st_size > 44:
            return path
        partial = path.with_suffix(".part.wav")
        self._engine.setProperty("voice", VOICES.get(lang, VOICES["en"]))
        for attempt in range(1, SYNTH_ATTEMPTS + 1):
            self._done.clear()
            with contextlib.redirect_stdout(io.StringIO()):
                self._engine.save_to_file(text, str(partial))
                self._engine.runAndWait()
            if not self._done.wait(SYNTH_TIMEOUT_S) or not partial.exists():
                raise RuntimeError(f"speech synthesis produced no file for {lang}")
            if partial.stat().st_size > 44:
                partial.replace(path)
                return path
            log_event(logger, "speech_empty", logging.WARNING, lang=lang, attempt=attempt)
        raise RuntimeError(f"speech synthesis kept producing empty audio for {lang}")

    def _open_engine(self) -> None:
        self._engine = shared_engine()
        self._engine.setProperty("rate", RATE)
        self._listener = self._engine.connect("finished-utterance",
                                              lambda name, completed: self._done.set())
        self.synthesize("en", "ready")

    def _run(self) -> None:
        try:
            self._open_engine()
        except Exception:
            logger.exception("speech engine unavailable; the kiosk stays silent")
            self._engine = None
        self._ready.set()
        try:
            self._serve()
        finally:
            if self._engine is not None and self._listener is not None:
                self._engine.disconnect(self._listener)

    def _serve(self) -> None:
        while True:
            request = self._requests.get()
            while not self._requests.empty():
                request = self._requests.get()
            if request is None:
                return
            self._interrupt.clear()
            try:
                self._speak(*request)
            except Exception:
                logger.exception("speech failed")

    def _clip(self, lang: str, key: str) -> Path | None:
        path = self.voice_dir / lang / f"{key}.wav"
        return path if path.is_file() else None

    def _segments(self, lang: str, parts: list[Part]) -> list[tuple[Path | None, str]]:
        segments: list[tuple[Path | None, str]] = []
        for key, text in parts:
            clip = self._clip(lang, key)
            if clip is not None:
                segments.append((clip, ""))
            elif segments and segments[-1][0] is None:
                segments[-1] = (None, segments[-1][1] + text)
            else:
                segments.append((None, text))
        return segments

    def _speak(self, lang: str, parts: list[Part], requested_at: float) -> None:
        first = True
        for clip, text in self._segments(lang, parts):
            if self._interrupt.is_set():
                self.player.stop()
                return
            if clip is None and (self._engine is None or not text.strip()):
                continue
            path = clip if clip is not None else self.synthesize(lang, text)
            length = self.player.play(path)
            if first:
                latency = time.perf_counter() - requested_at
                log_event(logger, "speech", lang=lang, ms=round(latency * 1000, 1),
                          parts=[key for key, _ in parts][:12])
                if self._on_play is not None:
                    self._on_play(latency)
                first = False
            if self._interrupt.wait(length):
                self.player.stop()
                return
