"""Speech: pyttsx3 on espeak-ng (the ``espeakng-loader`` build, whose Mandarin is right).

One thread owns the engine and the playback. ``say`` only queues; a newer request
replaces an older one that has not started and interrupts one that is playing. Each text
is synthesised once into a WAV cache (an empty result is retried) by the language's
espeak-ng voice (`VOICES`; Cantonese ``yue`` too) at the kiosk's speech rate (words per
minute, `KioskConfig.speech_rate`). When the language has a voice pack
(``<voice folder>/<lang>/``, see :mod:`kiosk.hardware.voice_pack`), the readout is said from
its clips, numbers included, and only what no clip says is synthesised; the pieces are
joined into one WAV (cached too) and played at once. `render` writes the same WAV to a
file: ``shopfloor-kiosk speak``. Numbers in Chinese text are said as number words
(142.3 -> 一百四十二点三): espeak-ng's Cantonese voice drops the 点 of "142.3".
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
import re
import threading
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import pygame

from kiosk.hardware.voice_pack import (
    NUMBER,
    OUTPUT_RATE,
    Clip,
    Segment,
    Synth,
    VoicePack,
    render,
)
from kiosk.logs import log_event
from shopfloor_voice import KINDS, number_words, spoken_text

logger = logging.getLogger(__name__)

# kiosk language -> espeak-ng voice (the espeakng-loader build has sit/yue, Cantonese,
# which reads Chinese characters with Cantonese sounds)
VOICES = {"zh_CN": "sit/cmn", "en": "gmw/en-us", "yue": "sit/yue"}
RATE = 150  # words per minute, espeak-ng's default; KioskConfig.speech_rate sets it
SYNTH_TIMEOUT_S = 10.0
JOINED_KEEP = 64  # joined readouts (clips and synthesis) kept in the cache
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
        rate: int = RATE,
    ) -> None:
        self.cache_dir = cache_dir
        self.voice_dir = voice_dir
        self.rate = rate
        self._packs: dict[tuple[str, str, float], VoicePack] = {}
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
        voice = voice_for(lang)
        digest = hashlib.sha256(f"{voice}|{self.rate}|{text}".encode()).hexdigest()
        path = self.cache_dir / f"{digest}.wav"
        if path.exists() and path.stat().st_size > 44:
            return path
        partial = path.with_suffix(".part.wav")
        self._engine.setProperty("voice", voice)
        self._engine.setProperty("rate", self.rate)
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

    def open_engine(self) -> None:
        """Open the engine in the calling thread (the speech thread; the CLI's own)."""
        self._open_engine()

    def close_engine(self) -> None:
        if self._engine is not None and self._listener is not None:
            self._engine.disconnect(self._listener)
            self._listener = None

    def _open_engine(self) -> None:
        self._engine = shared_engine()
        self._engine.setProperty("rate", self.rate)
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
            self.close_engine()

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

    def pack(self, lang: str, folder: Path | None = None) -> VoicePack:
        """The language's voice pack (empty when it has none), read again when the kiosk
        switched to a newly downloaded one (its folder or pack.json changed)."""
        folder = folder if folder is not None else self.voice_dir / lang
        resolved = folder.resolve()
        # a pack switched, a clip added or removed: one of these times changes
        stamp = max((p.stat().st_mtime for p in (resolved, resolved / "pack.json",
                                                  *(resolved / kind for kind in KINDS))
                     if p.exists()), default=0.0)
        key = (lang, str(resolved), stamp)
        pack = self._packs.get(key)
        if pack is None:
            pack = VoicePack.load(resolved, lang)
            self._packs = {key: pack}  # one language at a time is spoken
        return pack

    def plan(self, lang: str, parts: Sequence[Part], pack: VoicePack | None = None
             ) -> list[Segment]:
        """What is played for ``parts``: the pack's clips and what is left to synthesise;
        without a pack one run of synthesis (numbers as words in Chinese)."""
        pack = pack if pack is not None else self.pack(lang)
        if pack:
            return pack.plan(parts)
        text = "".join(text for _, text in parts)
        return [Synth(spell_numbers(lang, text))] if text.strip() else []

    def render(self, lang: str, parts: Sequence[Part], out: Path,
               pack: VoicePack | None = None) -> list[dict[str, object]]:
        """Write what the kiosk says for ``parts`` to ``out`` (16-bit mono WAV); the
        engine must be open in this thread. Returns where each piece went."""
        pack = pack if pack is not None else self.pack(lang)
        segments = self.plan(lang, parts, pack)
        return render(segments, _rate_of(pack), lambda text: self.synthesize(lang, text),
                      out)

    def _utterance(self, lang: str, parts: list[Part]) -> Path | None:
        """The one WAV to play for ``parts``: a clip or a synthesis as it is, or the
        pieces joined (cached by what they are)."""
        pack = self.pack(lang)
        segments = self.plan(lang, parts, pack)
        if self._engine is None:
            segments = [s for s in segments if not isinstance(s, Synth)]
        if not segments:
            return None
        if len(segments) == 1 and isinstance(segments[0], Clip):
            return segments[0].path
        if len(segments) == 1 and isinstance(segments[0], Synth):
            return self.synthesize(lang, segments[0].text)
        digest = hashlib.sha256(repr((voice_for(lang), self.rate, str(pack.folder),
                                      segments)).encode()).hexdigest()
        path = self.cache_dir / f"joined-{digest}.wav"
        if not (path.exists() and path.stat().st_size > 44):
            render(segments, _rate_of(pack), lambda text: self.synthesize(lang, text), path)
            self._prune_joined()
        return path

    def _prune_joined(self) -> None:
        """Joined readouts are one per card and day: keep the newest `JOINED_KEEP`."""
        joined = sorted(self.cache_dir.glob("joined-*.wav"), key=lambda p: p.stat().st_mtime)
        for old in joined[:-JOINED_KEEP]:
            old.unlink(missing_ok=True)

    def _speak(self, lang: str, parts: list[Part], requested_at: float) -> None:
        if self._interrupt.is_set():
            return
        path = self._utterance(lang, parts)
        if path is None or self._interrupt.is_set():
            return
        length = self.player.play(path)
        latency = time.perf_counter() - requested_at
        log_event(logger, "speech", lang=lang, ms=round(latency * 1000, 1),
                  parts=[key for key, _ in parts][:12])
        if self._on_play is not None:
            self._on_play(latency)
        if self._interrupt.wait(length):
            self.player.stop()


def voice_for(lang: str) -> str:
    """The espeak-ng voice of a kiosk language; Cantonese in either script is yue."""
    return VOICES.get(lang) or VOICES["yue" if lang.startswith("yue") else "en"]


def spell_numbers(lang: str, text: str) -> str:
    """Chinese text with its numbers as number words ("得分142.3分" -> "得分一百四十二点三分")."""
    if lang not in ("zh_CN", "yue"):
        return text

    def words(match: re.Match[str]) -> str:
        names = number_words(lang, match.group())
        return spoken_text(lang, names) if names else match.group()

    return NUMBER.sub(words, text)


def _rate_of(pack: VoicePack) -> int:
    """The pack's sample rate (its manifest's, else its first clip's); espeak-ng's own
    rate without one."""
    if pack.sample_rate:
        return pack.sample_rate
    for path in [*pack.phrases.values(), *(clip.path for clip in pack.texts.values())]:
        with contextlib.suppress(OSError, EOFError, wave.Error), wave.open(str(path)) as clip:
            return clip.getframerate()
    return OUTPUT_RATE

