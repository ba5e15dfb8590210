"""Phrase tables: the same keys and placeholders in every language, and every glyph drawable."""

from __future__ import annotations

import string

import pytest

from kiosk.i18n import LANGUAGES, normalise, t
from kiosk.ui import fonts


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key():
    keys = {lang: set(table) for lang, table in LANGUAGES.items()}
    every = set().union(*keys.values())
    for lang, have in keys.items():
        assert not every - have, f"{lang} lacks {sorted(every - have)}"


def test_placeholders_agree():
    zh, en = LANGUAGES["zh_CN"], LANGUAGES["en"]
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_phrase_renders_with_the_font(lang, display):
    for key, phrase in LANGUAGES[lang].items():
        assert not fonts.missing_glyphs(phrase), f"{lang} {key}: {phrase!r}"
        assert fonts.text(phrase or " ", 32, (0, 0, 0)).get_width() > 0


def test_missing_glyph_is_detected(display):
    assert fonts.missing_glyphs("张三\U0001f600") == {"\U0001f600"}


def test_language_codes_normalise():
    assert normalise("zh-CN") == "zh_CN"
    assert normalise("en-GB") == "en"
    assert normalise(None) == "zh_CN"
    assert t("en", "card.rank", rank=3, of=40) == "Rank 3 of 40"
