"""Speech through the real pyttsx3 + espeak-ng: Mandarin that is audible and pronounced right."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pygame
import pytest
from kiosk_fakes import roster_json, scorecard_json

from kiosk.hardware.speech import EspeakSpeaker, MixerPlayer
from kiosk.i18n.readout import scorecard_parts
from kiosk.model import Roster, Scorecard


class RecordingPlayer:
    def __init__(self, length: float = 0.0) -> None:
        self.length = length
        self.played: list[Path] = []
        self.stopped = 0
        self.event = threading.Event()

    def play(self, path: Path) -> float:
        self.played.append(path)
        self.event.set()
        return self.length

    def stop(self) -> None:
        self.stopped += 1


def wait_for(player: RecordingPlayer, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(player.played) < count and time.monotonic() < deadline:
        player.event.wait(0.05)
        player.event.clear()
    assert len(player.played) >= count, "nothing was played"


@pytest.fixture
def player() -> RecordingPlayer:
    return RecordingPlayer()


@pytest.fixture
def speaker(tmp_path, player):
    speaker = EspeakSpeaker(tmp_path / "cache", player, voice_dir=tmp_path / "voice")
    speaker.start()
    assert speaker.wait_ready()
    yield speaker
    speaker.stop()


def sox_stat(path: Path) -> dict[str, float]:
    result = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                            check=True)
    stats = {}
    for line in result.stderr.splitlines():
        name, _, value = line.partition(":")
        try:
            stats[name.strip()] = float(value.strip())
        except ValueError:
            continue
    return stats


def chinese_readout():
    worker = Roster.from_json(roster_json()).workers["W001"]
    return scorecard_parts("zh_CN", worker, Scorecard.from_json(scorecard_json()), cached=False)


def test_chinese_scorecard_is_audible(speaker, player, tmp_path):
    speaker.say("zh_CN", chinese_readout())
    wait_for(player, 1)
    wav = player.played[0]
    assert wav.parent == tmp_path / "cache"
    stats = sox_stat(wav)
    assert stats["Length (seconds)"] > 3.0
    assert stats["Maximum amplitude"] > 0.3
    assert stats["RMS     amplitude"] > 0.02


def test_same_text_is_synthesised_once(speaker, player):
    parts = [("say.saved", "已保存。")]
    speaker.say("zh_CN", parts)
    wait_for(player, 1)
    stamp = player.played[0].stat().st_mtime_ns
    speaker.say("zh_CN", parts)
    wait_for(player, 2)
    assert player.played[1] == player.played[0]
    assert player.played[1].stat().st_mtime_ns == stamp


def test_recorded_clip_replaces_a_phrase(speaker, player, tmp_path):
    speaker.say("zh_CN", [("say.saved", "已保存。")])
    wait_for(player, 1)
    clip = tmp_path / "voice" / "zh_CN" / "say.unknown_badge.wav"
    clip.parent.mkdir(parents=True)
    shutil.copy(player.played[0], clip)
    speaker.say("zh_CN", [("say.unknown_badge", "无法识别")])
    wait_for(player, 2)
    assert player.played[1] == clip
    # with a name synthesised before it, the clip is joined into one WAV, frames intact
    speaker.say("zh_CN", [("say.greeting", "张三，"), ("say.unknown_badge", "无法识别")])
    wait_for(player, 3)
    joined = player.played[2]
    assert joined.parent == tmp_path / "cache" and frames(clip) in frames(joined)
    assert len(frames(joined)) > len(frames(clip))


def frames(path: Path) -> bytes:
    import wave

    with wave.open(str(path)) as clip:
        return clip.readframes(clip.getnframes())


def test_new_request_interrupts_the_old(tmp_path):
    player = RecordingPlayer(length=30.0)
    speaker = EspeakSpeaker(tmp_path / "cache", player, voice_dir=tmp_path / "voice")
    speaker.start()
    try:
        speaker.say("en", [("a", "first worker")])
        wait_for(player, 1)
        started = time.monotonic()
        speaker.say("en", [("b", "second worker")])
        wait_for(player, 2)
        assert time.monotonic() - started < 2 and player.stopped >= 1
    finally:
        speaker.stop()


def test_no_audio_device_is_silent_and_logged(monkeypatch, caplog):
    def no_device(*args, **kwargs):
        raise pygame.error("ALSA: Couldn't open audio device")

    monkeypatch.setattr(pygame.mixer, "get_init", lambda: None)
    monkeypatch.setattr(pygame.mixer, "init", no_device)
    player = MixerPlayer()
    with caplog.at_level("WARNING", logger="kiosk"):
        assert player.open() is False
    assert player.play(Path("/nonexistent.wav")) == 0.0
    assert any(r.msg == "audio_unavailable" for r in caplog.records)


PHONEMES = r"""
import ctypes, json, sys
from kiosk.hardware.speech import load_espeak
import espeakng_loader
load_espeak()
lib = ctypes.CDLL(espeakng_loader.get_library_path())
lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)
lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
lib.espeak_SetVoiceByName(b"cmn")
lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
out = {}
for word in sys.argv[1:]:
    buf = ctypes.create_string_buffer(word.encode())
    ptr = ctypes.c_void_p(ctypes.addressof(buf))
    parts = []
    while ptr.value:
        parts.append((lib.espeak_TextToPhonemes(ctypes.byref(ptr), 1, 0x02) or b"").decode())
    out[word] = " ".join(parts)
print(json.dumps(out, ensure_ascii=False))
"""


def test_mandarin_phonemes():
    words = ["你好", "得分", "三", "第三名", "达标", "次品率"]
    result = subprocess.run([sys.executable, "-c", PHONEMES, *words], capture_output=True,
                            text=True, check=True, timeout=60)
    phonemes = json.loads(result.stdout)
    assert re.match(r"ni\d", phonemes["你好"]) and "χ" in phonemes["你好"]
    assert phonemes["得分"].startswith("t") and "f" in phonemes["得分"]
    assert re.fullmatch(r"sˈa\dn", phonemes["三"])
    assert "θ" not in "".join(phonemes.values())
    assert "pjˈɑu" in phonemes["达标"]
    assert phonemes["次品率"].startswith("ts")


class FlakyEngine:
    """Writes an empty WAV on the first try, like espeak-ng now and then, then real audio."""

    def __init__(self, speaker: EspeakSpeaker) -> None:
        self.speaker = speaker
        self.calls = 0
        self.target = ""

    def setProperty(self, name: str, value: object) -> None:  # noqa: N802
        return None

    def save_to_file(self, text: str, path: str) -> None:
        self.target = path

    def runAndWait(self) -> None:  # noqa: N802
        import wave

        self.calls += 1
        with wave.open(self.target, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(22050)
            out.writeframes(b"" if self.calls == 1 else b"\x10\x20" * 2205)
        self.speaker._done.set()


def test_empty_synthesis_is_retried(tmp_path):
    speaker = EspeakSpeaker(tmp_path / "cache", RecordingPlayer())
    speaker.cache_dir.mkdir()
    speaker._engine = FlakyEngine(speaker)
    path = speaker.synthesize("zh_CN", "已保存。")
    assert speaker._engine.calls == 2 and path.stat().st_size > 44


def test_the_sum_is_heard_with_every_number(speaker, player):
    """The sum sentence, through the real espeak-ng: as audio, and as phonemes in which
    each number of the sum is said as Mandarin number words (六十, 十, 七十)."""
    from test_kiosk_readout import WORKER, card_json

    from kiosk.hardware.speech import spell_numbers

    parts = scorecard_parts("zh_CN", WORKER, Scorecard.from_json(card_json()), cached=False)
    text = "".join(text for key, text in parts if key.startswith("say.sum"))
    assert text == "开机率达标60分，加上主管表扬10分，共70分。"
    spelled = spell_numbers("zh_CN", text)
    assert spelled == "开机率达标六十分，加上主管表扬十分，共七十分。"
    result = subprocess.run([sys.executable, "-c", PHONEMES, spelled, "六十", "七十"],
                            capture_output=True, text=True, check=True, timeout=60)
    phonemes = json.loads(result.stdout)
    whole = phonemes[spelled].replace(" ", "")
    for number in ("六十", "七十"):
        assert phonemes[number].replace(" ", "") in whole, number
    speaker.say("zh_CN", parts)
    wait_for(player, 1)
    assert sox_stat(player.played[0])["Length (seconds)"] > 4.0
