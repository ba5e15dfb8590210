"""`shopfloor-kiosk speak` and `shopfloor-kiosk voice-pack build`: hear before rolling out.

    shopfloor-kiosk speak --language yue --out card.wav --scorecard card.json
    shopfloor-kiosk speak --language zh_CN --voice-pack packs/zh_CN --out t.wav "得分142.3分"
    shopfloor-kiosk voice-pack build --language yue --out packs/yue

`speak` writes what the kiosk would say as a 16-bit PCM mono WAV (the same planning and
joining as the kiosk's speaker) and prints one JSON line: the file, its sample rate and
length, the espeak-ng voice, and each piece (``clip``, ``synth`` or ``pause``, with its
first frame and its length in frames). `voice-pack build` makes a sample pack from
espeak-ng: every number clip, every fixed word of the readouts and every phrase without a
value, trimmed of silence, with its pack.json. Wrong input (an unknown language, a missing
file, bad JSON) is exit code 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import KioskConfig
from kiosk.errors import ConfigError
from kiosk.hardware.voice_pack import VoicePack, no_pack, read_pcm
from shopfloor_voice import (
    LANGUAGES,
    MANIFEST,
    MAX_SECONDS,
    MIN_SECONDS,
    NUMBER_CLIPS,
    WORD_MAX_CHARS,
    check_wav,
    manifest,
    manifest_json,
    word_allowed,
)

if TYPE_CHECKING:
    from kiosk.hardware.speech import EspeakSpeaker

SILENCE = 300  # |sample| below this at the ends of a synthesised clip is trimmed
MARGIN_S = 0.01
PLACEHOLDER = re.compile(r"\{[^}]*\}")
PIECE_BREAK = re.compile(r"[^\w' ]+|\d+")


class SpeakError(ConfigError):
    """Input `speak` or `voice-pack` cannot use; exit code 2."""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    speak = commands.add_parser(
        "speak", help="write what the kiosk would say as a WAV file",
        description="Write what the kiosk would say as a 16-bit PCM WAV: TEXT, or the "
                    "readout of a scorecard file as the server sends it.")
    speak.add_argument("--language", required=True, help="zh_CN, en or yue")
    speak.add_argument("--voice-pack", type=Path, metavar="DIR",
                       help="a voice pack folder; without it everything is synthesised")
    speak.add_argument("--out", required=True, type=Path, metavar="FILE.wav")
    speak.add_argument("--scorecard", type=Path, metavar="JSON",
                       help="a scorecard as the server sends it; its worker is greeted")
    speak.add_argument("--rate", type=int, help="words per minute (default: the kiosk's)")
    speak.add_argument("text", nargs="?", metavar="TEXT")
    pack = commands.add_parser("voice-pack", help="voice packs")
    pack_commands = pack.add_subparsers(dest="pack_command", required=True)
    build = pack_commands.add_parser("build", help="make a sample pack from espeak-ng")
    build.add_argument("--language", required=True, help="zh_CN, en or yue")
    build.add_argument("--out", required=True, type=Path, metavar="DIR")
    build.add_argument("--rate", type=int, help="words per minute (default: the kiosk's)")


def language(text: str) -> str:
    code = text.replace("-", "_")
    if code not in LANGUAGES:
        raise SpeakError(f"unknown language {text!r}: use one of {', '.join(LANGUAGES)}")
    return code


def _speaker(config: KioskConfig, rate: int | None, cache: Path) -> EspeakSpeaker:
    from kiosk.config import speech_rate
    from kiosk.hardware.speech import EspeakSpeaker

    try:
        wpm = speech_rate(rate) if rate is not None else config.speech_rate
    except ConfigError as exc:
        raise SpeakError(str(exc)) from None

    class Silent:
        def play(self, path: Path) -> float:
            return 0.0

        def stop(self) -> None:
            return None

    speaker = EspeakSpeaker(cache, Silent(), voice_dir=cache / "no-voice", rate=wpm)
    cache.mkdir(parents=True, exist_ok=True)
    speaker.open_engine()
    return speaker


def speak(config: KioskConfig, args: argparse.Namespace) -> dict[str, object]:
    lang = language(args.language)
    if (args.text is None) == (args.scorecard is None):
        raise SpeakError("give the TEXT to say or --scorecard JSON, one of them")
    parts = _parts(lang, args)
    pack = None
    if args.voice_pack is not None:
        if not args.voice_pack.is_dir():
            raise SpeakError(f"no voice pack folder at {args.voice_pack}")
        pack = _pack(args.voice_pack, lang)
    if not args.out.parent.is_dir():
        raise SpeakError(f"no folder {args.out.parent} to write {args.out.name} into")
    with tempfile.TemporaryDirectory(prefix="kiosk-speak-") as cache:
        speaker = _speaker(config, args.rate, Path(cache))
        try:
            report = speaker.render(lang, parts, args.out, pack or no_pack(lang))
        finally:
            speaker.close_engine()
    with wave.open(str(args.out)) as written:
        rate, frames = written.getframerate(), written.getnframes()
    from kiosk.hardware.speech import voice_for

    return {"out": str(args.out), "language": lang, "voice": voice_for(lang),
            "rate_wpm": speaker.rate, "sample_rate": rate, "seconds": round(frames / rate, 3),
            "voice_pack": str(args.voice_pack) if pack is not None else None,
            "parts": [key for key, _ in parts], "segments": report}


def _pack(folder: Path, lang: str) -> VoicePack:
    listing = folder / MANIFEST
    if listing.is_file():
        try:
            said = json.loads(listing.read_text(encoding="utf-8")).get("language")
        except (ValueError, AttributeError) as exc:
            raise SpeakError(f"{listing} is not valid JSON: {exc}") from None
        if said and said != lang:
            raise SpeakError(f"{folder} is a voice pack for {said}, not {lang}")
    return VoicePack.load(folder, lang)


def _parts(lang: str, args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.text is not None:
        if not args.text.strip():
            raise SpeakError("the TEXT to say is empty")
        return [("text", args.text)]
    from kiosk.i18n.readout import scorecard_parts
    from kiosk.model import Scorecard, Worker

    path: Path = args.scorecard
    if not path.is_file():
        raise SpeakError(f"no scorecard file {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpeakError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SpeakError(f"{path} is not a scorecard (a JSON object)")
    try:
        card = Scorecard.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SpeakError(f"{path} is not a scorecard the kiosk can read: {exc!r}") from None
    found = data.get("worker")
    raw: dict[str, object] = found if isinstance(found, dict) else {}
    worker = Worker(code=str(raw.get("code") or ""),
                    name=str(raw.get("name") or raw.get("code") or ""), language=lang)
    return scorecard_parts(lang, worker, card, cached=False)


# ---------------------------------------------------------------- sample packs

def pack_texts(lang: str) -> tuple[dict[str, str], set[str]]:
    """What a sample pack holds besides numbers: {phrase key: text} of the phrases with
    no value in them, and the fixed words the readouts join (the pieces of the phrases
    around their values, and the dimension, period and tier names filled into them)."""
    from kiosk.i18n import LANGUAGES as CATALOGUES
    from kiosk.i18n import normalise

    table = CATALOGUES[normalise(lang)]
    numbers = set(NUMBER_CLIPS[lang].values())
    phrases: dict[str, str] = {}
    words: set[str] = set()
    for key, text in table.items():
        if key.startswith("say.") and "{" not in text and text.strip():
            phrases[key] = text
            continue
        if not (key.startswith("say.") or key.split(".")[0] in ("dim", "period", "tier")):
            continue
        for piece in PIECE_BREAK.split(PLACEHOLDER.sub("|", text).replace("|", "!")):
            words.update(_chunks(lang, piece.strip()))
    return phrases, {w for w in words if w not in numbers and word_allowed(w)}


def _chunks(lang: str, piece: str) -> list[str]:
    if len(piece) <= WORD_MAX_CHARS:
        return [piece] if piece else []
    if lang != "en":
        return [piece[i:i + WORD_MAX_CHARS] for i in range(0, len(piece), WORD_MAX_CHARS)]
    chunks, line = [], ""
    for word in piece.split():
        if line and len(line) + 1 + len(word) > WORD_MAX_CHARS:
            chunks.append(line)
            line = ""
        line = f"{line} {word}".strip()
    return [*chunks, line] if line else chunks


def build_pack(config: KioskConfig, args: argparse.Namespace) -> dict[str, object]:
    lang = language(args.language)
    out: Path = args.out
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise SpeakError(f"{out} holds files but no {MANIFEST}: give an empty folder")
    phrases, words = pack_texts(lang)
    wanted: dict[str, str] = {f"numbers/{name}.wav": text
                              for name, text in NUMBER_CLIPS[lang].items()}
    wanted.update({f"phrases/{key}.wav": text for key, text in phrases.items()})
    wanted.update({f"words/{word}.wav": word for word in words})
    with tempfile.TemporaryDirectory(prefix="kiosk-pack-") as cache:
        speaker = _speaker(config, args.rate, Path(cache))
        try:
            infos = {}
            for file, text in sorted(wanted.items()):
                target = out / file
                target.parent.mkdir(parents=True, exist_ok=True)
                samples = read_pcm(speaker.synthesize(lang, text), 22050)
                _write_clip(target, _trim(samples, 22050), 22050)
                infos[file] = check_wav(file, target.read_bytes())
        finally:
            speaker.close_engine()
    from kiosk.hardware.speech import voice_for

    data = manifest(lang, 22050, infos, name=f"espeak-ng {voice_for(lang)}",
                    source="espeak-ng")
    (out / MANIFEST).write_bytes(manifest_json(data))
    size = sum(path.stat().st_size for path in out.rglob("*.wav"))
    return {"out": str(out), "language": lang, "clips": len(infos), "bytes": size}


def _trim(samples: Sequence[int], rate: int) -> list[int]:
    values = list(samples)
    loud = [i for i, v in enumerate(values) if abs(v) >= SILENCE]
    margin = int(MARGIN_S * rate)
    if loud:
        values = values[max(0, loud[0] - margin):loud[-1] + margin]
    shortest = int(MIN_SECONDS * rate) + 1
    values = values[:int(MAX_SECONDS * rate)]
    return values + [0] * max(0, shortest - len(values))


def _write_clip(path: Path, samples: list[int], rate: int) -> None:
    import array
    import sys

    pcm = array.array("h", samples)
    if sys.byteorder == "big":
        pcm.byteswap()
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(pcm.tobytes())
