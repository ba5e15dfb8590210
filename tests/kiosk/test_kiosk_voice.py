"""Speech in Cantonese and from voice packs, through the real CLI (`shopfloor-kiosk speak`,
`voice-pack build`) and the real espeak-ng: the numbers are checked by espeak-ng's
phonemes for the spoken text, and in a pack's readout by finding the number clips' own
sample frames, in order, in the WAV written. Also: a missing clip falls back to synthesis
for that piece only, the CLI's errors, numbers as words, the speaker using a pack, and the
downloader's checked, atomic install."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import wave
import zipfile
from pathlib import Path

import pytest
from kiosk_fakes import scorecard_json

from kiosk.background.downloads import VoicePackDownloader
from kiosk.hardware.speech import EspeakSpeaker
from shopfloor_voice import PackError, check_wav, clip_name, number_words, spoken_text

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 142.3
TOTAL_WORDS = {"yue": "一百四十二点三", "zh_CN": "一百四十二点三",
               "en": "one hundred forty two point three"}


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    result = subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                            text=True, env=env, timeout=120, cwd=ROOT)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def speak(*args: str) -> dict[str, object]:
    return json.loads(cli("speak", *args).stdout)


def frames(path: Path) -> bytes:
    with wave.open(str(path)) as clip:
        assert (clip.getsampwidth(), clip.getnchannels()) == (2, 1)
        return clip.readframes(clip.getnframes())


def find_in_order(haystack: bytes, needles: list[bytes]) -> list[int]:
    """Where each needle starts, each after the one before, on a sample boundary."""
    found, at = [], 0
    for needle in needles:
        index = haystack.find(needle, at)
        while index >= 0 and index % 2:
            index = haystack.find(needle, index + 1)
        assert index >= 0, f"clip {len(found) + 1} of {len(needles)} not found in order"
        found.append(index)
        at = index + len(needle)
    return found


PHONEMES = r"""
import ctypes, json, sys
import espeakng_loader
lib = ctypes.CDLL(espeakng_loader.get_library_path())
lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)
lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
assert lib.espeak_SetVoiceByName(sys.argv[1].encode()) == 0
lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
out = {}
for text in sys.argv[2:]:
    buf = ctypes.create_string_buffer(text.encode())
    ptr = ctypes.c_void_p(ctypes.addressof(buf))
    parts = []
    while ptr.value:
        parts.append((lib.espeak_TextToPhonemes(ctypes.byref(ptr), 1, 0) or b"").decode())
    out[text] = " ".join(parts)
print(json.dumps(out, ensure_ascii=False))
"""


def phonemes(voice: str, *texts: str) -> dict[str, str]:
    """espeak-ng's phonemes (as `espeak-ng -v VOICE -x -q TEXT` prints them), from the
    library the kiosk speaks with (espeakng-loader's 1.52; Debian's 1.51 has no binary
    here)."""
    result = subprocess.run([sys.executable, "-c", PHONEMES, voice, *texts],
                            capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


def bare(phoneme_text: str) -> str:
    """Phonemes without stress marks and word breaks, which change with the context."""
    return re.sub(r"[\s'_|,]", "", phoneme_text)


@pytest.fixture(scope="module")
def card_file(tmp_path_factory) -> Path:
    card = scorecard_json()
    card["total"] = TOTAL
    path = tmp_path_factory.mktemp("card") / "card.json"
    path.write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def packs(tmp_path_factory) -> dict[str, Path]:
    """Sample packs made by `shopfloor-kiosk voice-pack build`, once per module."""
    root = tmp_path_factory.mktemp("packs")
    made = {}
    for lang in ("yue", "zh_CN", "en"):
        done = json.loads(cli("voice-pack", "build", "--language", lang,
                              "--out", str(root / lang)).stdout)
        assert done["clips"] > 40
        made[lang] = root / lang
    return made


# ---------------------------------------------------------------- Cantonese by phonemes

def test_cantonese_readout_speaks_the_total_in_cantonese(card_file, tmp_path):
    out = tmp_path / "yue.wav"
    done = speak("--language", "yue", "--out", str(out), "--scorecard", str(card_file))
    assert done["voice"] == "sit/yue"
    spoken = " ".join(str(s["synth"]) for s in done["segments"] if "synth" in s)
    # the number said as words, 点 included (espeak-ng's yue drops it from "142.3")
    assert "一百四十二点三" in spoken and "142.3" not in spoken
    said = phonemes("yue", spoken, "一百四十二点三", "142.3")
    total = bare(said["一百四十二点三"])
    assert "di2m" in total  # 点, Cantonese
    # the number's syllables in the readout, in order (tones aside: a last syllable's
    # tone changes before what follows, 三 saa7m -> saa1m before 分)
    assert re.sub(r"\d", "", total) in re.sub(r"\d", "", bare(said[spoken]))
    assert "sei3sa6pji6di2m" in bare(said[spoken])
    assert "di2m" not in bare(said["142.3"])  # why the kiosk spells numbers out
    # Cantonese sounds, not Mandarin: 四 is sei3 in yue, si in cmn
    assert "sei3" in total and "sei3" not in bare(phonemes("cmn", "四")["四"])
    audio = frames(out)
    assert len(audio) / 2 / done["sample_rate"] > 5.0
    assert max(abs(int.from_bytes(audio[i:i + 2], "little", signed=True))
               for i in range(0, len(audio), 2)) > 3000


def test_speech_rate_changes_the_length(tmp_path):
    slow = speak("--language", "yue", "--rate", "90", "--out", str(tmp_path / "s.wav"),
                 "得分一百四十二点三分")
    fast = speak("--language", "yue", "--rate", "220", "--out", str(tmp_path / "f.wav"),
                 "得分一百四十二点三分")
    assert slow["rate_wpm"] == 90 and fast["rate_wpm"] == 220
    assert float(str(slow["seconds"])) > 1.5 * float(str(fast["seconds"]))


# ---------------------------------------------------------------- packs by clip matching

@pytest.mark.parametrize("lang", ["yue", "zh_CN", "en"])
def test_pack_readout_contains_the_totals_number_clips_in_order(packs, card_file, tmp_path,
                                                                lang):
    pack = packs[lang]
    out = tmp_path / f"{lang}.wav"
    done = speak("--language", lang, "--voice-pack", str(pack), "--out", str(out),
                 "--scorecard", str(card_file))
    listing = json.loads((pack / "pack.json").read_text(encoding="utf-8"))
    assert done["sample_rate"] == listing["sample_rate"] == 22050
    names = number_words(lang, "142.3")
    assert spoken_text(lang, names) == TOTAL_WORDS[lang]
    clips = [frames(pack / "numbers" / f"{name}.wav") for name in names]
    if lang != "en":
        clips.append(frames(pack / "numbers" / "fen.wav"))  # 分, the unit after it
    find_in_order(frames(out), clips)
    used = [s.get("clip") for s in done["segments"]]
    assert sum(1 for u in used if u) > len(names)  # words and phrases came from clips too


def test_text_is_spoken_entirely_from_clips(packs, tmp_path):
    out = tmp_path / "t.wav"
    done = speak("--language", "zh_CN", "--voice-pack", str(packs["zh_CN"]),
                 "--out", str(out), "还差1005分到优秀。")
    assert not [s for s in done["segments"] if "synth" in s], done["segments"]
    pack = packs["zh_CN"]
    find_in_order(frames(out), [frames(pack / "numbers" / f"{n}.wav")
                                for n in ("1", "1000", "0", "5")])


def test_a_missing_clip_is_synthesised_for_that_piece_only(packs, tmp_path):
    pack = tmp_path / "yue"
    shutil.copytree(packs["yue"], pack)
    (pack / "numbers" / "4.wav").unlink()
    out = tmp_path / "gap.wav"
    done = speak("--language", "yue", "--voice-pack", str(pack), "--out", str(out),
                 "得分142.3分")
    pieces = [s.get("clip") or ("synth:" + str(s["synth"])) for s in done["segments"]
              if "pause" not in s]
    assert pieces == ["words/得分", "numbers/1", "numbers/100", "synth:四", "numbers/10",
                      "numbers/2", "numbers/point", "numbers/3", "numbers/fen"]
    audio = frames(out)
    find_in_order(audio, [frames(pack / "numbers" / f"{n}.wav")
                          for n in ("1", "100", "10", "2", "point", "3", "fen")])
    synth = next(s for s in done["segments"] if s.get("synth") == "四")
    assert int(str(synth["frames"])) > 0.05 * 22050


def test_pack_of_another_language_and_bad_input_exit_2(packs, card_file, tmp_path):
    out = str(tmp_path / "x.wav")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json", encoding="utf-8")
    cases = [
        (["--language", "klingon", "--out", out, "hi"], "unknown language"),
        (["--language", "yue", "--out", out, "--scorecard", str(tmp_path / "no.json")],
         "no scorecard file"),
        (["--language", "yue", "--out", out, "--scorecard", str(bad_json)], "not valid JSON"),
        (["--language", "yue", "--voice-pack", str(packs["en"]), "--out", out, "hi"],
         "a voice pack for en"),
        (["--language", "yue", "--voice-pack", str(tmp_path / "none"), "--out", out, "hi"],
         "no voice pack folder"),
        (["--language", "yue", "--out", out], "one of them"),
        (["--language", "yue", "--out", out, "--rate", "999", "hi"], "speech rate"),
    ]
    for args, message in cases:
        result = cli("speak", *args, check=False)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert not Path(out).exists()


def test_sample_packs_are_valid_and_small_enough_to_build_not_ship(packs):
    for lang, pack in packs.items():
        listing = json.loads((pack / "pack.json").read_text(encoding="utf-8"))
        assert listing["language"] == lang and listing["format"] == 1
        for clip in listing["clips"]:
            kind, name = clip_name(clip["file"], lang)
            info = check_wav(clip["file"], (pack / clip["file"]).read_bytes())
            assert info.frames == clip["frames"] and kind == clip["kind"]
        kinds = {clip["kind"] for clip in listing["clips"]}
        assert kinds == {"phrases", "numbers", "words"}


# ---------------------------------------------------------------- numbers as words

@pytest.mark.parametrize(("lang", "number", "words"), [
    ("zh_CN", "0", "零"), ("zh_CN", "10", "十"), ("zh_CN", "15", "十五"),
    ("zh_CN", "105", "一百零五"), ("zh_CN", "110", "一百一十"), ("zh_CN", "1005", "一千零五"),
    ("zh_CN", "10005", "一万零五"), ("zh_CN", "20300", "二万零三百"),
    ("zh_CN", "9999.9", "九千九百九十九点九"), ("zh_CN", "-5", "负五"),
    ("yue", "7.5", "七点五"), ("en", "142.3", "one hundred forty two point three"),
    ("en", "15", "fifteen"), ("en", "2000", "two thousand"), ("en", "0.5", "zero point five"),
])
def test_numbers_as_words(lang, number, words):
    assert spoken_text(lang, number_words(lang, number)) == words


def test_clip_names_outside_the_set_are_refused():
    for path in ("numbers/11.wav", "../numbers/1.wav", "numbers/../1.wav", "phrases/evil.wav",
                 "words/a1.wav", "words/加上！.wav", "other/1.wav", "numbers/1.mp3"):
        with pytest.raises(PackError):
            clip_name(path, "zh_CN")
    assert clip_name("words/加上.wav", "yue") == ("words", "加上")
    assert clip_name("numbers/19.wav", "en") == ("numbers", "19")


# ---------------------------------------------------------------- the kiosk's speaker

class RecordingPlayer:
    def __init__(self) -> None:
        self.played: list[Path] = []
        self.event = threading.Event()

    def play(self, path: Path) -> float:
        self.played.append(path)
        self.event.set()
        return 0.0

    def stop(self) -> None:
        return None


def test_speaker_uses_the_languages_pack(packs, tmp_path):
    voice = tmp_path / "voice"
    voice.mkdir()
    (voice / "yue").symlink_to(packs["yue"])
    player = RecordingPlayer()
    speaker = EspeakSpeaker(tmp_path / "cache", player, voice_dir=voice, rate=140)
    speaker.start()
    try:
        assert speaker.wait_ready()
        speaker.say("yue", [("say.total", "今個禮拜得分142.3分。")])
        deadline = time.monotonic() + 20
        while not player.played and time.monotonic() < deadline:
            player.event.wait(0.05)
        assert player.played, "nothing was played"
    finally:
        speaker.stop()
    pack = packs["yue"]
    find_in_order(frames(player.played[0]),
                  [frames(pack / "numbers" / f"{n}.wav") for n in number_words("yue", "142.3")])


# ---------------------------------------------------------------- downloads

def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


class FakeClient:
    def __init__(self, packs: dict[str, bytes]) -> None:
        self.packs = packs

    def download(self, url: str) -> bytes:
        if url == "/api/v1/voice-packs":
            return json.dumps({"voice_packs": [
                {"language": lang, "sha256": hashlib.sha256(body).hexdigest(),
                 "file_url": f"/api/v1/voice-packs/{lang}/file"}
                for lang, body in self.packs.items()]}).encode()
        return self.packs[url.split("/")[-2]]

    def close(self) -> None:
        return None


def pack_zip(pack: Path) -> bytes:
    return zipped({str(p.relative_to(pack)): p.read_bytes() for p in sorted(pack.rglob("*"))
                   if p.is_file()})


def test_downloader_installs_switches_and_removes(packs, tmp_path):
    folder = tmp_path / "voice"
    first = pack_zip(packs["yue"])
    client = FakeClient({"yue": first})
    downloader = VoicePackDownloader(folder, lambda: client)  # type: ignore[arg-type,return-value]
    assert downloader.run_once()
    sha = hashlib.sha256(first).hexdigest()
    assert downloader.current("yue") == sha
    assert (folder / "yue" / "numbers" / "4.wav").read_bytes() == \
        (packs["yue"] / "numbers" / "4.wav").read_bytes()
    # a new pack: unpacked beside, then the link is switched and the old one goes
    smaller = tmp_path / "smaller"
    shutil.copytree(packs["yue"], smaller)
    (smaller / "numbers" / "4.wav").unlink()
    client.packs["yue"] = second = pack_zip(smaller)
    assert downloader.run_once()
    assert downloader.current("yue") == hashlib.sha256(second).hexdigest()
    assert not (folder / "yue" / "numbers" / "4.wav").exists()
    assert [p.name for p in (folder / "packs").iterdir()] == [
        f"yue-{hashlib.sha256(second).hexdigest()}"]
    client.packs.clear()  # HR removed it
    assert downloader.run_once()
    assert not (folder / "yue").exists() and not any((folder / "packs").iterdir())


def test_downloader_refuses_a_corrupt_or_hostile_zip(packs, tmp_path):
    folder = tmp_path / "voice"
    downloader = VoicePackDownloader(folder, lambda: None)
    good = pack_zip(packs["yue"])
    sha = hashlib.sha256(good).hexdigest()
    assert not downloader.install("yue", sha, good[:-10] + b"0123456789")  # sha differs
    hostile = zipped({"pack.json": b"{}", "../escape.wav": b"RIFF"})
    assert not downloader.install("yue", hashlib.sha256(hostile).hexdigest(), hostile)
    assert not (tmp_path / "escape.wav").exists() and downloader.current("yue") is None
    assert downloader.install("yue", sha, good)


# ---------------------------------------------------------------- against the real server

@pytest.fixture
def server_app(migrated):  # type: ignore[no-untyped-def]
    from server import create_app

    made = create_app(migrated)
    with made.extensions["shopfloor.sessionmaker"]() as session:
        yield made, session
    made.extensions["shopfloor.engine"].dispose()


def test_the_kiosk_downloads_its_languages_pack_and_speaks_from_it(server_app, packs, tmp_path):
    """HR's English pack on the real server app (through httpx's WSGI transport): kiosk K1, whose
    workshop has an English-speaking worker, downloads it with its own client and speaks
    an English readout from its clips; kiosk K2's workshop speaks no English, so K2 gets
    nothing."""
    import httpx

    from kiosk.link.client import KioskClient
    from server.services.voice_packs import add_pack
    from support.factory import build_factory

    app, session = server_app
    made = build_factory(session)
    add_pack(session, app.config["SHOPFLOOR"].data_dir, "en", pack_zip(packs["en"]),
             "en.zip", "user:hr")
    session.commit()
    for token, folder in ((made.kiosk_token, tmp_path / "k1"),
                          (made.other_kiosk_token, tmp_path / "k2")):
        def connect(token: str = token) -> KioskClient:
            return KioskClient("http://kiosk.test", token,
                               transport=httpx.WSGITransport(app=app))

        assert VoicePackDownloader(folder, connect).run_once()
    assert VoicePackDownloader(tmp_path / "k2", lambda: None).current("en") is None
    assert (tmp_path / "k1" / "en" / "pack.json").is_file()
    player = RecordingPlayer()
    speaker = EspeakSpeaker(tmp_path / "cache", player, voice_dir=tmp_path / "k1")
    speaker.start()
    try:
        assert speaker.wait_ready()
        speaker.say("en", [("say.total", "Week, 142.3 points.")])
        deadline = time.monotonic() + 20
        while not player.played and time.monotonic() < deadline:
            player.event.wait(0.05)
        assert player.played, "nothing was played"
    finally:
        speaker.stop()
    find_in_order(frames(player.played[0]),
                  [frames(packs["en"] / "numbers" / f"{n}.wav")
                   for n in number_words("en", "142.3")])


def test_speech_rate_is_a_kiosk_setting_with_bounds(monkeypatch) -> None:
    from kiosk.__main__ import make_config, parse_args
    from kiosk.config import KioskConfig
    from kiosk.errors import ConfigError

    assert KioskConfig().speech_rate == 150
    monkeypatch.setenv("SHOPFLOOR_SPEECH_RATE", "120")
    assert KioskConfig().speech_rate == 120
    assert make_config(parse_args(["run", "--speech-rate", "100"])).speech_rate == 100
    for bad in ("79", "261", "fast"):
        monkeypatch.setenv("SHOPFLOOR_SPEECH_RATE", bad)
        with pytest.raises(ConfigError, match="speech rate"):
            KioskConfig()
