"""What the kiosk and the server must agree on about voice packs: the clip names a pack may
hold, what each number clip says, numbers as spoken words, and the WAV rules.

A voice pack is a folder (or, uploaded and downloaded, a zip of one) for one language::

    pack.json                 the manifest (see `manifest`)
    phrases/<key>.wav         a whole phrase with no value in it, by its kiosk phrase key
                              (``phrases/say.saved.wav``)
    numbers/<name>.wav        a number word: ``0`` … ``9``, ``10``, ``100``, ``1000``,
                              ``10000``, ``point``, ``minus`` and, for zh_CN/yue, ``fen``
                              (分), ``di`` (第), ``ming`` (名), ``ge`` (个); English has
                              ``0`` … ``19``, ``20`` … ``90``, ``100``, ``1000``
    words/<text>.wav          a fixed piece of text the readouts join, named by what it
                              says (``words/加上.wav``, ``words/points added.wav``)

Every clip is RIFF/WAVE, PCM 16-bit mono, one sample rate for the whole pack (16000,
22050, 24000, 44100 or 48000 Hz), 0.05–15 s long.

Standard library only: the kiosk and the server both import it, and neither imports the
other (tests/test_architecture.py).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import wave
from dataclasses import dataclass

LANGUAGES = ("zh_CN", "en", "yue")
SAMPLE_RATES = (16000, 22050, 24000, 44100, 48000)
MIN_SECONDS = 0.05
MAX_SECONDS = 15.0
MANIFEST = "pack.json"
FORMAT = 1
KINDS = ("phrases", "numbers", "words")

_CJK_DIGITS = "零一二三四五六七八九"
_ZH_NUMBERS = {
    **{str(i): _CJK_DIGITS[i] for i in range(10)},
    "10": "十", "100": "百", "1000": "千", "10000": "万", "point": "点", "minus": "负",
    # the words that stand next to numbers in a readout
    "fen": "分", "di": "第", "ming": "名", "ge": "个",
}
_EN_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen")
_EN_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty", 70: "seventy",
            80: "eighty", 90: "ninety"}
_EN_NUMBERS = {
    **{str(i): word for i, word in enumerate(_EN_ONES)},
    **{str(n): word for n, word in _EN_TENS.items()},
    "100": "hundred", "1000": "thousand", "point": "point", "minus": "minus",
}
# number clip name -> what it says, per language (Cantonese reads the same characters)
NUMBER_CLIPS: dict[str, dict[str, str]] = {"zh_CN": _ZH_NUMBERS, "yue": _ZH_NUMBERS,
                                           "en": _EN_NUMBERS}

# Traditional forms of the number clips' words: a yue (or zh) text in Traditional script
# finds the same clips
TRADITIONAL = {"个": "個", "点": "點", "万": "萬", "负": "負"}

PHRASE_KEY = re.compile(r"say\.[a-z][a-z0-9_]{0,63}")
WORD_MAX_CHARS = 24


class PackError(ValueError):
    """A clip or pack that breaks the rules; `text` is an English message id with
    `%(name)s` places and `params` its values (the server translates them)."""

    def __init__(self, text: str, **params: object) -> None:
        super().__init__(text % params)
        self.text = text
        self.params = params


def N_(text: str) -> str:
    """Marks a message id for the catalogue."""
    return text


# ---------------------------------------------------------------- numbers as words

def number_words(lang: str, text: str) -> list[str]:
    """The number clip names that say ``text`` ("142.3", "-5", "0.5") in ``lang``:
    zh_CN/yue 142.3 -> 1 100 4 10 2 point 3 (一百四十二点三); en -> 1 100 40 2 point 3
    (one hundred forty two point three). Empty when the number is too large to say."""
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("+-").partition(".")
    whole = whole.lstrip("0") or "0"
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return []
    value = int(whole)
    say = _zh_integer if lang in ("zh_CN", "yue") else _en_integer
    words = say(value)
    if not words:
        return []
    if fraction:
        words = [*words, "point", *fraction]
    return ["minus", *words] if negative else words


def spoken_text(lang: str, names: list[str]) -> str:
    """What a list of number clip names says, as text: ["1", "100"] -> 一百 / one hundred."""
    table = NUMBER_CLIPS[lang if lang in NUMBER_CLIPS else "en"]
    joiner = " " if lang == "en" else ""
    return joiner.join(table[name] for name in names)


def _zh_integer(value: int) -> list[str]:
    if value >= 10**8:
        return []
    if value == 0:
        return ["0"]
    high, low = divmod(value, 10000)
    words: list[str] = []
    if high:
        words += [*_zh_section(high), "10000"]
        if 0 < low < 1000:
            words.append("0")
    if low:
        words += _zh_section(low)
    if words[:2] == ["1", "10"]:  # 十二, not 一十二, at the start of a number
        words = words[1:]
    return words


def _zh_section(value: int) -> list[str]:
    """1..9999 -> 一千零五 (1 1000 0 5)."""
    words: list[str] = []
    pending_zero = False
    for unit in (1000, 100, 10, 1):
        digit = value // unit % 10
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words.append("0")
            pending_zero = False
        words.append(str(digit))
        if unit > 1:
            words.append(str(unit))
    return words


def _en_integer(value: int) -> list[str]:
    if value >= 10**6:
        return []
    if value == 0:
        return ["0"]
    thousands, rest = divmod(value, 1000)
    words = [*_en_below_thousand(thousands), "1000"] if thousands else []
    return words + _en_below_thousand(rest)


def _en_below_thousand(value: int) -> list[str]:
    hundreds, rest = divmod(value, 100)
    words = [str(hundreds), "100"] if hundreds else []
    if rest >= 20:
        words.append(str(rest - rest % 10))
        if rest % 10:
            words.append(str(rest % 10))
    elif rest:
        words.append(str(rest))
    return words


# ---------------------------------------------------------------- clip names

def clip_name(path: str, lang: str) -> tuple[str, str]:
    """A pack member's path ("numbers/1.wav") -> (kind, name); PackError when the name is
    not one a pack for ``lang`` may hold."""
    path = unicodedata.normalize("NFC", path)
    kind, sep, file = path.partition("/")
    stem = file[:-4] if file.lower().endswith(".wav") else ""
    if not sep or kind not in KINDS or not stem or "/" in file:
        raise PackError(N_("%(file)s: not a clip name a voice pack may hold; clips go in "
                           "phrases/, numbers/ or words/ as .wav files"), file=path)
    if kind == "phrases" and not PHRASE_KEY.fullmatch(stem):
        raise PackError(N_("%(file)s: %(name)s is not a kiosk phrase key (say.…)"),
                        file=path, name=stem)
    if kind == "numbers" and stem not in NUMBER_CLIPS.get(lang, {}):
        raise PackError(N_("%(file)s: %(name)s is not a number clip of this language; "
                           "allowed: %(allowed)s"), file=path, name=stem,
                        allowed=" ".join(NUMBER_CLIPS.get(lang, {})))
    if kind == "words" and not word_allowed(stem):
        raise PackError(N_("%(file)s: a word clip is named by the words it says (letters "
                           "and spaces only, at most %(max)s characters)"),
                        file=path, max=WORD_MAX_CHARS)
    return kind, stem


def word_allowed(text: str) -> bool:
    return (0 < len(text) <= WORD_MAX_CHARS and text == text.strip()
            and all(char.isalpha() or char in " '" for char in text))


def clip_text(lang: str, kind: str, name: str) -> str:
    """What a clip says: a number clip its word, a word clip its name; a phrase ``""``
    (phrases are found by key, not by text)."""
    if kind == "numbers":
        return NUMBER_CLIPS[lang][name]
    return name if kind == "words" else ""


# ---------------------------------------------------------------- WAV files

@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def check_wav(name: str, data: bytes) -> WavInfo:
    """The clip's rate and length; PackError saying what is wrong otherwise."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise PackError(N_("%(file)s is not a WAV file (RIFF/WAVE)"), file=name)
    try:
        with wave.open(io.BytesIO(data)) as clip:
            channels, width = clip.getnchannels(), clip.getsampwidth()
            rate, frames = clip.getframerate(), clip.getnframes()
            actual = len(clip.readframes(frames)) // max(1, channels * width)
    except (wave.Error, EOFError) as exc:
        raise PackError(N_("%(file)s is not PCM audio: %(reason)s. Save it as 16-bit PCM "
                           "WAV"), file=name, reason=str(exc)) from None
    if width != 2:
        raise PackError(N_("%(file)s has %(bits)s-bit samples; save it as 16-bit PCM"),
                        file=name, bits=width * 8)
    if channels != 1:
        raise PackError(N_("%(file)s has %(channels)s channels; save it as mono"),
                        file=name, channels=channels)
    if rate not in SAMPLE_RATES:
        raise PackError(N_("%(file)s is sampled at %(rate)s Hz; use one of %(rates)s Hz"),
                        file=name, rate=rate, rates=", ".join(map(str, SAMPLE_RATES)))
    info = WavInfo(rate, min(frames, actual))
    if not MIN_SECONDS <= info.seconds <= MAX_SECONDS:
        raise PackError(N_("%(file)s is %(seconds)s s long; a clip lasts %(min)s to "
                           "%(max)s s"), file=name, seconds=f"{info.seconds:.2f}",
                        min=MIN_SECONDS, max=MAX_SECONDS)
    return info


# ---------------------------------------------------------------- the manifest

def manifest(lang: str, sample_rate: int, clips: dict[str, WavInfo], *,
             name: str = "", source: str = "") -> dict[str, object]:
    """pack.json: ``{"format": 1, "language": "yue", "sample_rate": 22050, "name": ...,
    "source": "espeak-ng 1.52" | "recorded", "clips": [{"file": "numbers/1.wav",
    "kind": "numbers", "name": "1", "text": "一", "frames": 5120}, ...]}``."""
    listed = []
    for path in sorted(clips):
        kind, clip = clip_name(path, lang)
        listed.append({"file": path, "kind": kind, "name": clip,
                       "text": clip_text(lang, kind, clip), "frames": clips[path].frames})
    return {"format": FORMAT, "language": lang, "sample_rate": sample_rate, "name": name,
            "source": source, "clips": listed}


def manifest_json(data: dict[str, object]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode()
