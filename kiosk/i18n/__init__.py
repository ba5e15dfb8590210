"""The kiosk's phrases for screen text and speech, read from gettext catalogues.

One catalogue per language, `kiosk/translations/<lang>/LC_MESSAGES/kiosk.po`, like the
server's, so translators can use ordinary tools (Poedit, Weblate, msgfmt -c). The
catalogues are keyed: an entry's msgid is the key the code asks for ("card.points") and
its msgstr the text. `kiosk/translations/kiosk.pot` is the template; its comments give
the English text. Every catalogue has every key with the same placeholders
(tests/kiosk/test_kiosk_i18n.py).

A worker's language is one of `WORKER_LANGUAGES`: Mandarin (zh_CN), English (en) or
Cantonese (yue). Cantonese has its own wording (咗, 係, 唔, 嘅 …), kept in Traditional
characters in `yue`; `yue_Hans` holds the same words in Simplified characters, made from
`yue` with OpenCC. Which of the two a Cantonese speaker reads is the site's choice
(`yue_script`, sent in the roster): `screen_language` picks the catalogue for the screen.
Speech is always the `yue` wording through the espeak-ng voice "yue" (`spoken`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import polib

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LANGUAGE = "zh_CN"
# The languages a worker can have (the server's Language); yue_Hans is a script, not one.
WORKER_LANGUAGES = ("zh_CN", "en", "yue")
CANTONESE = "yue"
CANTONESE_SIMPLIFIED = "yue_Hans"
TRADITIONAL, SIMPLIFIED = "traditional", "simplified"
YUE_SCRIPTS = (TRADITIONAL, SIMPLIFIED)
# Each language by its own name in its own script (never a flag: a dialect has none).
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English", CANTONESE: "粵語",
                  CANTONESE_SIMPLIFIED: "粤语"}
# What a roster, a config file or a person may call a language (lower case, "-" as "_").
_ALIASES = {
    "zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "zh_hans_cn": "zh_CN",
    "cmn": "zh_CN", "chinese": "zh_CN", "中文": "zh_CN", "普通话": "zh_CN", "汉语": "zh_CN",
    "en": "en", "english": "en", "英文": "en", "英语": "en",
    "yue": CANTONESE, "yue_hk": CANTONESE, "yue_hant": CANTONESE, "yue_hant_hk": CANTONESE,
    "zh_hk": CANTONESE, "zh_hant_hk": CANTONESE, "zh_yue": CANTONESE,
    "cantonese": CANTONESE, "粵語": CANTONESE, "粤语": CANTONESE, "廣東話": CANTONESE,
    "广东话": CANTONESE, "yue_hans": CANTONESE_SIMPLIFIED, "yue_cn": CANTONESE_SIMPLIFIED,
}


def catalogue_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "kiosk.po"


@cache
def load_catalogues() -> dict[str, dict[str, str]]:
    """Every catalogue under translations/, read once: {lang: {key: text}}.

    Read with polib, the .po files themselves, so no compile step stands between a
    translator's edit and the kiosk. Fuzzy entries are left out, as msgfmt would.
    """
    tables: dict[str, dict[str, str]] = {}
    for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/kiosk.po")):
        catalogue = polib.pofile(str(path))
        tables[path.parent.parent.name] = {
            entry.msgid: entry.msgstr
            for entry in catalogue
            if not entry.obsolete and "fuzzy" not in entry.flags
        }
    return tables


LANGUAGES: dict[str, dict[str, str]] = load_catalogues()


def normalise(lang: str | None) -> str:
    """Map what the roster or a person says ("zh-CN", "en-GB", "yue-HK", "粵語",
    "Cantonese", None) to a catalogue we have."""
    if not lang:
        return DEFAULT_LANGUAGE
    code = lang.strip().replace("-", "_")
    if code in LANGUAGES:
        return code
    alias = _ALIASES.get(code.lower())
    if alias is not None:
        return alias
    return "en" if code.lower().startswith("en") else DEFAULT_LANGUAGE


def worker_language(lang: str | None) -> str:
    """The worker's language (one of WORKER_LANGUAGES) a code names; yue_Hans is yue."""
    code = normalise(lang)
    return CANTONESE if code == CANTONESE_SIMPLIFIED else code


def yue_script(value: object) -> str:
    """The roster's `yue_script` as one of YUE_SCRIPTS; anything else is Traditional."""
    return SIMPLIFIED if value == SIMPLIFIED else TRADITIONAL


def screen_language(lang: str | None, script: str | None = TRADITIONAL) -> str:
    """The catalogue the screen shows for a worker of language ``lang``: Cantonese in the
    site's script (``script``, the roster's `yue_script`), any other language as it is."""
    code = worker_language(lang)
    if code == CANTONESE and yue_script(script) == SIMPLIFIED:
        return CANTONESE_SIMPLIFIED
    return code


def speech_language(lang: str | None) -> str:
    """The language speech is asked for: Cantonese is spoken as yue in either script."""
    return worker_language(lang)


def language_name(lang: str | None, script: str | None = TRADITIONAL) -> str:
    """The language's own name in its own script: 中文, English, 粵語 (粤语 when the site
    shows Cantonese in Simplified characters)."""
    return LANGUAGE_NAMES[screen_language(lang, script)]


def t(lang: str, key: str, **values: object) -> str:
    """The phrase for ``key`` in ``lang``, filled with ``values``; a missing key raises KeyError."""
    return LANGUAGES[normalise(lang)][key].format(**values)


# --- speech: Cantonese is always spoken from the yue wording ---------------------------

# Placeholders that always hold a number (as kiosk.i18n.readout.number writes one).
_NUMBER_FIELDS = frozenset({"points", "total", "n", "rank", "of", "balance", "cost", "after",
                            "pct", "page", "pages", "minutes", "s", "right", "target",
                            "value"})
_NUMBER = r"[-+−]?\d+(?:[.,]\d+)*%?"


def _pattern(template: str) -> re.Pattern[str] | None:
    """A regex that reads a filled ``template`` back into its values (None when a name
    repeats or two text placeholders touch: no safe way back)."""
    out: list[str] = []
    names: list[str] = []
    last_was_text = False
    for literal, name, spec, conversion in string.Formatter().parse(template):
        if literal:
            out.append(re.escape(literal))
            last_was_text = False
        if name is not None:
            if spec or conversion or name in names or not name.isidentifier():
                return None
            number = name in _NUMBER_FIELDS
            if last_was_text and not number:
                return None
            names.append(name)
            out.append(f"(?P<{name}>{_NUMBER if number else '.*?'})")
            last_was_text = not number
    return re.compile("".join(out), re.DOTALL)


@cache
def _from_hans() -> dict[str, str]:
    """yue_Hans text -> yue text of every phrase without placeholders (a value filled into
    another phrase, such as a period's or a dimension's name)."""
    hans, hant = LANGUAGES.get(CANTONESE_SIMPLIFIED, {}), LANGUAGES.get(CANTONESE, {})
    words: dict[str, str] = {}
    for key, text in hans.items():
        if "{" not in text and key in hant:
            words.setdefault(text, hant[key])
    return words


@cache
def _hans_chars() -> dict[str, str]:
    """yue_Hans character -> yue character, as the two catalogues write them (yue_Hans is
    yue converted character by character), where that is the only way back."""
    hans, hant = LANGUAGES.get(CANTONESE_SIMPLIFIED, {}), LANGUAGES.get(CANTONESE, {})
    seen: dict[str, set[str]] = {}
    for key, text in hans.items():
        if len(text) == len(hant.get(key, "")):
            for simplified, traditional in zip(text, hant[key], strict=True):
                if simplified != traditional:
                    seen.setdefault(simplified, set()).add(traditional)
    return {char: next(iter(forms)) for char, forms in seen.items() if len(forms) == 1}


def _chars_to_hant(text: str) -> str:
    chars = _hans_chars()
    return "".join(chars.get(char, char) for char in text)


def _to_hant(key: str, text: str) -> str:
    """A yue_Hans phrase as the yue catalogue writes it: the yue text of ``key`` filled with
    the values read back from ``text`` (a value that is itself a phrase, such as a period's
    name, in its yue text; a name as it is). Text that is not the phrase's, or that cannot
    be read back, goes character by character (it sounds the same to espeak-ng)."""
    hans, hant = LANGUAGES[CANTONESE_SIMPLIFIED].get(key), LANGUAGES[CANTONESE].get(key)
    if hans is None or hant is None:
        return _chars_to_hant(text)
    if text == hans:
        return hant
    pattern = _pattern(hans)
    found = pattern.fullmatch(text) if pattern is not None else None
    if found is None:
        return _chars_to_hant(text)
    words = _from_hans()
    values = {name: words.get(value, value) for name, value in found.groupdict().items()}
    try:
        return hant.format(**values)
    except (KeyError, IndexError, ValueError):
        return _chars_to_hant(text)


def spoken(lang: str, parts: Sequence[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """What speech is asked for when a scene in ``lang`` says ``parts`` (phrase key, text):
    the speech language, and the parts in its wording. A Cantonese screen in Simplified
    characters (yue_Hans) is spoken as yue, each phrase put back into the yue catalogue's
    Traditional text (names and numbers filled in as they were), so a recorded clip or a
    voice pack's words keyed on the yue text still match."""
    code = normalise(lang)
    if code != CANTONESE_SIMPLIFIED:
        return speech_language(code), list(parts)
    return CANTONESE, [(key, _to_hant(key, text)) for key, text in parts]
