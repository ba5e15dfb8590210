"""Phrase tables for screen text and speech, one module per language, same keys in each."""

from __future__ import annotations

from kiosk.i18n import en, zh_CN

LANGUAGES: dict[str, dict[str, str]] = {"zh_CN": zh_CN.PHRASES, "en": en.PHRASES}
DEFAULT_LANGUAGE = "zh_CN"


def normalise(lang: str | None) -> str:
    """Map what the roster says ("zh-CN", "zh_CN", "en-GB", None) to a table we have."""
    if not lang:
        return DEFAULT_LANGUAGE
    code = lang.replace("-", "_")
    if code in LANGUAGES:
        return code
    return "en" if code.lower().startswith("en") else DEFAULT_LANGUAGE


def t(lang: str, key: str, **values: object) -> str:
    """The phrase for ``key`` in ``lang``, filled with ``values``; a missing key raises KeyError."""
    return LANGUAGES[normalise(lang)][key].format(**values)
