"""Phrase tables: the same keys and placeholders in every catalogue (Cantonese in both
scripts included), every glyph drawable, Cantonese in its own words and characters, and
the language codes and names the kiosk understands."""

from __future__ import annotations

import string

import opencc
import polib
import pytest

from kiosk.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    TRANSLATIONS,
    WORKER_LANGUAGES,
    language_name,
    normalise,
    screen_language,
    speech_language,
    spoken,
    t,
    worker_language,
)
from kiosk.ui import fonts

# Mandarin words a Cantonese sentence says otherwise: 的 -> 嘅, 了 -> 咗/喇, 是 -> 係,
# 不 -> 唔, 在 -> 喺, 没 -> 冇, 这 -> 呢, 吗 -> 咩/呀, 们 -> 哋.
MANDARIN_ONLY = set("的了是不在没沒这這吗嗎们們")
# Characters OpenCC's s2t turns into another form though Hong Kong writes them as they
# are: 晒 ("all", not 曬 "to dry in the sun"), 後台 (not 後臺), 搵 ("to look for"),
# 批准 ("approve"; 準 is "accurate").
HONG_KONG_FORMS = set("晒台搵准")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_catalogues_are_the_worker_languages_and_cantonese_in_simplified():
    assert sorted(LANGUAGES) == ["en", "yue", "yue_Hans", "zh_CN"]
    assert set(WORKER_LANGUAGES) <= set(LANGUAGES)


def test_every_catalogue_has_every_key_of_the_template():
    template = {entry.msgid for entry in polib.pofile(str(TRANSLATIONS / "kiosk.pot"))
                if entry.msgid}
    for lang, table in LANGUAGES.items():
        assert set(table) == template, (
            f"{lang}: lacks {sorted(template - set(table))}, "
            f"not in the template {sorted(set(table) - template)}")


def test_placeholders_agree_in_every_catalogue():
    english = LANGUAGES["en"]
    for lang, table in LANGUAGES.items():
        for key, text in table.items():
            assert placeholders(text) == placeholders(english[key]), (lang, key, text)


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_phrase_renders_with_the_font(lang, display):
    for key, phrase in LANGUAGES[lang].items():
        assert not fonts.missing_glyphs(phrase), f"{lang} {key}: {phrase!r}"
        assert fonts.text(phrase or " ", 32, (0, 0, 0)).get_width() > 0


def test_every_language_name_renders_with_the_font(display):
    for name in LANGUAGE_NAMES.values():
        assert not fonts.missing_glyphs(name), name


def test_missing_glyph_is_detected(display):
    assert fonts.missing_glyphs("张三\U0001f600") == {"\U0001f600"}


def test_cantonese_is_said_in_cantonese_words():
    """No Mandarin-only word, and no phrase left as the zh_CN text (what kpo_add.py puts
    in a catalogue it has no text for) unless the two languages write it alike."""
    yue, zh = LANGUAGES["yue"], LANGUAGES["zh_CN"]
    for key, text in yue.items():
        assert not MANDARIN_ONLY & set(text), f"yue {key}: {text!r}"
        if MANDARIN_ONLY & set(zh[key]):
            assert text != zh[key], f"yue {key} is still the zh_CN text"
    said = "".join(yue.values())
    for word in "咗嘅係唔喺冇":
        assert word in said


def test_cantonese_is_written_in_traditional_characters():
    to_traditional = opencc.OpenCC("s2t")
    for key, text in LANGUAGES["yue"].items():
        for char in set(text) - HONG_KONG_FORMS:
            assert to_traditional.convert(char) == char, f"yue {key}: {char} in {text!r}"


def test_simplified_cantonese_is_the_same_words_in_simplified_characters():
    """yue_Hans is made from yue with OpenCC (hk2s): edit yue, then make it again. OpenCC
    writes 嗰 as 𠮶 (CJK Extension B: not in the kiosk's font, and rare in simplified
    Cantonese writing), so yue_Hans keeps 嗰."""
    to_simplified = opencc.OpenCC("hk2s")
    hans = LANGUAGES["yue_Hans"]
    for key, text in LANGUAGES["yue"].items():
        assert hans[key] == to_simplified.convert(text).replace("𠮶", "嗰"), key
    assert t("yue_Hans", "log.saved") == "储存咗" and t("yue", "log.saved") == "儲存咗"


def test_language_codes_normalise():
    assert normalise("zh-CN") == "zh_CN"
    assert normalise("en-GB") == "en"
    assert normalise(None) == "zh_CN"
    for said in ("yue", "yue-HK", "yue_Hant", "zh-HK", "zh_HK", "粵語", "粤语", "廣東話",
                 "Cantonese", " cantonese "):
        assert normalise(said) == "yue", said
    assert normalise("yue-Hans") == "yue_Hans"
    assert normalise("klingon") == "zh_CN"
    assert worker_language("yue_Hans") == "yue" and worker_language("en-US") == "en"
    assert t("en", "card.rank", rank=3, of=40) == "Rank 3 of 40"
    assert t("yue", "card.rank", rank=3, of=40) == "第 3 名 / 40"


def test_the_screen_shows_cantonese_in_the_sites_script_and_speech_says_yue():
    assert screen_language("yue", "traditional") == "yue"
    assert screen_language("yue", "simplified") == "yue_Hans"
    assert screen_language("yue", None) == "yue"  # a roster without it: Traditional
    assert screen_language("yue", "klingon") == "yue"
    assert screen_language("zh_CN", "simplified") == "zh_CN"
    assert screen_language("en", "simplified") == "en"
    assert screen_language("yue_Hans", "traditional") == "yue"
    assert speech_language("yue_Hans") == speech_language("yue") == "yue"
    assert [language_name(code) for code in WORKER_LANGUAGES] == ["中文", "English", "粵語"]
    assert language_name("yue", "simplified") == "粤语"


def test_simplified_cantonese_is_spoken_from_the_yue_wording():
    """Every phrase a yue_Hans screen says, filled with words of its own catalogue and a
    name and a number, goes to speech as yue, in the yue catalogue's text."""
    hans, hant = LANGUAGES["yue_Hans"], LANGUAGES["yue"]
    sample = {"name": "张三", "dim": hans["dim.uptime"], "period": hans["period.week"],
              "tier": hans["tier.excellent"], "source": hans["points.source.remark"]}
    fill = {name: hant[key] for name, key in (("dim", "dim.uptime"),
                                               ("period", "period.week"),
                                               ("tier", "tier.excellent"),
                                               ("source", "points.source.remark"))}
    for key, template in hans.items():
        names = placeholders(template)
        values = {name: sample.get(name, "42") for name in names}
        lang, [(said_key, text)] = spoken("yue_Hans", [(key, template.format(**values))])
        expected = hant[key].format(**{n: fill.get(n, values[n]) for n in names})
        assert (lang, said_key, text) == ("yue", key, expected), key
    assert spoken("zh_CN", [("say.saved", "已保存。")]) == ("zh_CN", [("say.saved", "已保存。")])
    assert spoken("yue", [("say.saved", "儲存咗。")]) == ("yue", [("say.saved", "儲存咗。")])
    # text that is not the phrase's goes character by character, where the catalogues
    # know the way back
    assert spoken("yue_Hans", [("say.greeting", "储存")]) == ("yue", [("say.greeting", "儲存")])

