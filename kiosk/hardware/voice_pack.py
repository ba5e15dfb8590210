"""Voice packs on the kiosk: what of a readout a pack's clips can say, and the rest synthesised.

A readout is a list of parts (phrase key, text). A part whose key has a phrase clip is that
clip. Any other part is split into numbers and fixed text: a number becomes its number
words (142.3 -> 一百四十二点三, one hundred forty two point three), each with its number clip;
the fixed text is matched, longest first, against the pack's word clips and the number
clips that stand beside numbers (分 第 名 个); punctuation is a short pause; whatever no clip
says is synthesised, one run at a time, so a missing clip costs only its own words.

The pack format (pack.json, clip names, WAV rules) is `shopfloor_voice`, shared with the
server that validates uploads.
"""

from __future__ import annotations

import array
import json
import logging
import re
import sys
import unicodedata
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shopfloor_voice import (
    KINDS,
    MANIFEST,
    NUMBER_CLIPS,
    TRADITIONAL,
    PackError,
    clip_name,
    clip_text,
    number_words,
)

logger = logging.getLogger(__name__)

Part = tuple[str, str]  # (phrase key, text)

NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?")
EN_TOKEN = re.compile(r"[A-Za-z']+|\s+|[^\sA-Za-z']")
SENTENCE_END = set("。．.!?！？；;")
PAUSE_S = {"sentence": 0.30, "comma": 0.15}
OUTPUT_RATE = 22050
# number clips that also say words of the text around a number; the digits and units
# (三, 百) are said from clips only inside numbers, so a name like 张三 stays whole
BESIDE_NUMBERS = ("fen", "di", "ming", "ge")  # without a pack: espeak-ng's own rate


@dataclass(frozen=True)
class Clip:
    path: Path
    label: str  # "numbers/1", "phrases/say.saved"


@dataclass(frozen=True)
class Synth:
    text: str


@dataclass(frozen=True)
class Pause:
    seconds: float


Segment = Clip | Synth | Pause


class VoicePack:
    """One language's clips, indexed by phrase key and by the text each says."""

    def __init__(self, folder: Path, lang: str, sample_rate: int | None,
                 phrases: dict[str, Path], texts: dict[str, Clip], numbers: dict[str, Clip],
                 name: str = "") -> None:
        self.folder = folder
        self.lang = lang
        self.sample_rate = sample_rate
        self.phrases = phrases
        self.texts = texts
        self.numbers = numbers
        self.name = name
        self.longest = max((len(text) for text in texts), default=0)

    def __bool__(self) -> bool:
        return bool(self.phrases or self.texts or self.numbers)

    @classmethod
    def load(cls, folder: Path, lang: str) -> VoicePack:
        """The pack in ``folder``: as its pack.json lists it, or, without one (a folder
        being recorded, or clips as the kiosk kept them before packs: ``<key>.wav``), as
        its files are named. Clips whose names break the rules are left out, logged."""
        files: list[str] = []
        rate: int | None = None
        name = ""
        listing = folder / MANIFEST
        if listing.is_file():
            try:
                data = json.loads(listing.read_text(encoding="utf-8"))
                rate = int(data.get("sample_rate") or 0) or None
                name = str(data.get("name") or "")
                files = [str(clip["file"]) for clip in data.get("clips", [])]
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                logger.warning("voice pack %s: pack.json unreadable (%s); reading its files",
                               folder, exc)
                files = []
        if not files and folder.is_dir():
            files = sorted(str(p.relative_to(folder)) for kind in KINDS
                           for p in (folder / kind).glob("*.wav"))
        phrases: dict[str, Path] = {}
        texts: dict[str, Clip] = {}
        numbers: dict[str, Clip] = {}
        if folder.is_dir():  # clips as the kiosk kept them before packs: <key>.wav
            for legacy in folder.glob("say.*.wav"):
                phrases[legacy.stem] = legacy
        for file in files:
            path = folder / file
            try:
                kind, clip = clip_name(file, lang)
            except PackError as exc:
                logger.warning("voice pack %s: %s", folder, exc)
                continue
            if not path.is_file() or path.is_symlink():
                continue
            unicode_name = unicodedata.normalize("NFC", clip)
            label = f"{kind}/{unicode_name}"
            if kind == "phrases":
                phrases[clip] = path
            elif kind == "numbers":
                numbers[clip] = Clip(path, label)
                if clip in BESIDE_NUMBERS:  # 分 第 名 个 also in the text around numbers
                    said = clip_text(lang, kind, clip)
                    for text in {said, TRADITIONAL.get(said, said)}:
                        texts.setdefault(_fold(lang, text), Clip(path, label))
            else:
                texts[_fold(lang, unicode_name)] = Clip(path, label)
        return cls(folder, lang, rate, phrases, texts, numbers, name)

    # ------------------------------------------------------------ planning

    def plan(self, parts: Sequence[Part]) -> list[Segment]:
        segments: list[Segment] = []
        for key, text in parts:
            phrase = self.phrases.get(key)
            if phrase is not None:
                segments.append(Clip(phrase, f"phrases/{key}"))
            else:
                segments.extend(self.split(text))
        return merge(self.lang, segments)

    def split(self, text: str) -> list[Segment]:
        """One part's text as clips, pauses and what is left to synthesise."""
        segments: list[Segment] = []
        at = 0
        for match in NUMBER.finditer(text):
            segments.extend(self._fixed(text[at:match.start()]))
            segments.extend(self._number(match.group()))
            at = match.end()
        segments.extend(self._fixed(text[at:]))
        return segments

    def _number(self, number: str) -> list[Segment]:
        names = number_words(self.lang, number)
        if not names:
            return [Synth(number)]
        table = NUMBER_CLIPS.get(self.lang, NUMBER_CLIPS["en"])
        return [self.numbers.get(name) or Synth(table[name]) for name in names]

    def _fixed(self, text: str) -> list[Segment]:
        if self.lang == "en":
            return self._fixed_words(text)
        segments: list[Segment] = []
        at = 0
        while at < len(text):
            char = text[at]
            if _is_break(char):
                segments.append(_pause(char))
                at += 1
                continue
            found = self._longest(text, at, len(text))
            if found is not None:
                clip, at = found
                segments.append(clip)
            else:
                segments.append(Synth(char))
                at += 1
        return segments

    def _longest(self, text: str, at: int, end: int) -> tuple[Clip, int] | None:
        for stop in range(min(end, at + self.longest), at, -1):
            clip = self.texts.get(_fold(self.lang, text[at:stop]))
            if clip is not None:
                return clip, stop
        return None

    def _fixed_words(self, text: str) -> list[Segment]:
        """English: clips match whole words (several words for a clip like "points added")."""
        tokens = EN_TOKEN.findall(text)
        segments: list[Segment] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.isspace():
                segments.append(Synth(" "))
                index += 1
                continue
            if len(token) == 1 and _is_break(token):
                segments.append(_pause(token))
                index += 1
                continue
            best: tuple[Clip, int] | None = None
            words = ""
            for stop in range(index, min(len(tokens), index + 9)):
                words += tokens[stop]
                if tokens[stop].isspace():
                    continue
                clip = self.texts.get(_fold("en", words))
                if clip is not None:
                    best = (clip, stop + 1)
            if best is not None:
                segments.append(best[0])
                index = best[1]
            else:
                segments.append(Synth(token))
                index += 1
        return segments


def no_pack(lang: str) -> VoicePack:
    return VoicePack(Path(), lang, None, {}, {}, {})


def merge(lang: str, segments: list[Segment]) -> list[Segment]:
    """Neighbouring pieces to synthesise become one (espeak-ng says a run of words better
    than single ones); spaces between two clips are dropped, pauses merged."""
    merged: list[Segment] = []
    for segment in segments:
        last = merged[-1] if merged else None
        if isinstance(segment, Synth) and isinstance(last, Synth):
            spaced = last.text.endswith(" ") or segment.text.startswith(" ")
            joiner = " " if lang == "en" and not spaced else ""
            merged[-1] = Synth(last.text + joiner + segment.text)
        elif isinstance(segment, Pause) and isinstance(last, Pause):
            merged[-1] = Pause(max(last.seconds, segment.seconds))
        else:
            merged.append(segment)
    return [Synth(s.text.strip()) if isinstance(s, Synth) else s
            for s in merged if not (isinstance(s, Synth) and not s.text.strip())]


def _fold(lang: str, text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return " ".join(text.lower().split()) if lang == "en" else text


def _is_break(char: str) -> bool:
    return unicodedata.category(char).startswith("P") or char in "：:，、"


def _pause(char: str) -> Pause:
    return Pause(PAUSE_S["sentence" if char in SENTENCE_END else "comma"])


# ---------------------------------------------------------------- rendering

def read_pcm(path: Path, rate: int) -> array.array[int]:
    """A 16-bit mono WAV's samples at ``rate`` (resampled linearly when it differs)."""
    with wave.open(str(path)) as clip:
        if clip.getsampwidth() != 2 or clip.getnchannels() != 1:
            raise ValueError(f"{path.name}: not 16-bit mono PCM")
        source_rate = clip.getframerate()
        samples = array.array("h", clip.readframes(clip.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples if source_rate == rate else resample(samples, source_rate, rate)


def resample(samples: array.array[int], source: int, target: int) -> array.array[int]:
    count = len(samples) * target // source
    out = array.array("h", bytes(2 * count))
    last = len(samples) - 1
    step = source / target
    for i in range(count):
        position = i * step
        left = int(position)
        right = min(left + 1, last)
        frac = position - left
        out[i] = int(samples[left] * (1 - frac) + samples[right] * frac)
    return out


def render(segments: Sequence[Segment], rate: int, synthesize: Callable[[str], Path],
           out: Path) -> list[dict[str, object]]:
    """Write the segments to one 16-bit mono WAV at ``rate``; returns what went where
    (``{"clip"|"synth"|"pause", "start", "frames"}`` per segment), for the CLI's report
    and the tests. A clip that cannot be read is synthesised instead."""
    pcm = array.array("h")
    report: list[dict[str, object]] = []
    for segment in segments:
        start = len(pcm)
        if isinstance(segment, Pause):
            pcm.extend([0] * int(segment.seconds * rate))
            entry: dict[str, object] = {"pause": segment.seconds}
        elif isinstance(segment, Clip):
            try:
                pcm.extend(read_pcm(segment.path, rate))
                entry = {"clip": segment.label}
            except (OSError, EOFError, ValueError, wave.Error) as exc:
                logger.warning("voice clip %s unreadable (%s): synthesised", segment.path, exc)
                text = segment.label.partition("/")[2]
                pcm.extend(read_pcm(synthesize(text), rate))
                entry = {"synth": text}
        else:
            pcm.extend(read_pcm(synthesize(segment.text), rate))
            entry = {"synth": segment.text}
        entry.update(start=start, frames=len(pcm) - start)
        report.append(entry)
    if sys.byteorder == "big":
        pcm.byteswap()
    part = out.with_name(f".{out.name}.part")
    with wave.open(str(part), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(pcm.tobytes())
    part.replace(out)
    return report
