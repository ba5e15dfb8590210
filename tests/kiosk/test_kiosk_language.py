"""The worker chooses their language at the kiosk, in a real X window (Xvfb): the chooser
lists each language by its own name in its own script; a tap queues `language_set` for
the worker and the card switches at once, screen and speech, and stays switched until the
roster says so. Cantonese is shown in the site's script and always spoken as yue, and
espeak-ng's yue voice reads both scripts alike. Screenshots of the chooser per language
are saved under /tmp/shots18/language/ (SHOTS). Last, the kiosk's own note of a choice
(kiosk/language_choice.py): damaged, stale, refused or forgotten with the server."""

from __future__ import annotations

import copy
import json
import os
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pygame
import pytest
from kiosk_fakes import ZHANG_UID, card_credential, roster_json, scorecard_json
from kiosk_support import badge, tap_button

from kiosk import language_choice
from kiosk.i18n import LANGUAGES, t
from kiosk.model import Roster, Worker
from kiosk.scenes.language import LanguageScene
from kiosk.ui import theme
from kiosk.ui.window import Window

needs_x = pytest.mark.skipif(not shutil.which("Xvfb"),
                             reason="needs xvfb (scripts/packages/test-kiosk.txt)")
SHOTS = Path(os.environ.get("SHOPFLOOR_LANGUAGE_SHOTS", "/tmp/shots18/language"))


@pytest.fixture
def display(x_window: Window) -> Window:
    """A real X11 window (conftest's `x_window`) instead of the dummy display."""
    return x_window


def roster_with(languages: dict[str, str] | None = None, script: str | None = None) -> dict:
    body = copy.deepcopy(roster_json())
    for worker in body["workers"]:
        worker["language"] = (languages or {}).get(worker["code"], worker["language"])
    if script is not None:
        body["yue_script"] = script
    return body


def new_roster(app, body: dict, etag: str) -> None:
    """The sync thread saved a changed roster (ROSTER_READY)."""
    app.ctx.store.save_roster(body, etag)
    app.reload_roster()


def open_card(app, store) -> None:
    store.save_scorecard("W001", "week", scorecard_json("W001"))
    badge(app, card_credential(ZHANG_UID))
    assert app.scenes.top.name == "scorecard"


def shoot(app, name: str) -> Path:
    app.step()
    app.render()
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pygame.image.save(app.screen, str(path))
    return path


def spoken_keys(speaker) -> list[tuple[str, str]]:
    return [(lang, key) for lang, parts in speaker.said for key, _ in parts]


@needs_x
def test_choosing_cantonese_queues_the_event_and_switches_the_card_at_once(
        app, store, speaker):
    open_card(app, store)
    assert app.scenes.top.lang == "zh_CN"
    tap_button(app, "language")
    assert app.scenes.top.name == "language"
    assert [b.name for b in app.scenes.top.buttons] == [
        "language:zh_CN", "language:en", "language:yue", "back"]
    assert [b.selected for b in app.scenes.top.buttons[:3]] == [True, False, False]
    for button in app.scenes.top.buttons:
        assert min(button.rect.size) >= theme.MIN_TARGET, button.name
    assert ("zh_CN", "language.title") in spoken_keys(speaker)
    shoot(app, "chooser_zh_CN")
    speaker.said.clear()

    tap_button(app, "language:yue")

    [queued] = store.queued("language_set", "W001")
    assert queued.payload == {"language": "yue"}
    card = app.scenes.top
    assert card.name == "scorecard" and card.lang == "yue" and card.worker.language == "yue"
    assert app.scenes.names == ["idle", "scorecard"]
    assert spoken_keys(speaker)[0] == ("yue", "say.language_set")
    assert speaker.said[0][1] == [("say.language_set", "以後用廣東話同你講。")]
    assert speaker.said[-1][0] == "yue" and speaker.said[-1][1][0][0] == "say.greeting"
    assert app.roster.workers["W001"].language == "yue"
    shoot(app, "card_after_choosing_yue")

    # the next tap of the badge, and a roster that has not caught up yet: still yue
    app.scenes.reset()
    new_roster(app, roster_with(), '"r2"')
    badge(app, card_credential(ZHANG_UID))
    assert app.scenes.top.lang == "yue"
    assert language_choice.load(store)["W001"].language == "yue"

    # the server took the event: the roster says yue, the kiosk's own note is dropped
    new_roster(app, roster_with({"W001": "yue"}), '"r3"')
    assert app.roster.workers["W001"].language == "yue" and not language_choice.load(store)
    # and HR's later change is the worker's language again
    new_roster(app, roster_with({"W001": "en"}), '"r4"')
    assert app.roster.workers["W001"].language == "en"


@needs_x
def test_hr_changing_the_language_meanwhile_overtakes_the_kiosks_note(app, store):
    open_card(app, store)
    tap_button(app, "language")
    tap_button(app, "language:en")
    assert app.scenes.top.lang == "en"
    new_roster(app, roster_with({"W001": "yue"}), '"r2"')  # HR set yue in the admin
    assert app.roster.workers["W001"].language == "yue" and not language_choice.load(store)


@needs_x
def test_the_same_language_again_changes_and_queues_nothing(app, store, speaker):
    open_card(app, store)
    tap_button(app, "language")
    tap_button(app, "language:zh_CN")
    assert app.scenes.top.name == "scorecard" and app.scenes.top.lang == "zh_CN"
    assert store.queued("language_set") == [] and not language_choice.load(store)


@needs_x
def test_the_chooser_hands_the_worker_in_the_new_language_to_its_callback(app, store):
    open_card(app, store)
    worker = app.roster.workers["W001"]
    chosen = []
    app.scenes.push(LanguageScene(app.ctx, worker, chosen.append))
    app.step()
    tap_button(app, "language:en")
    assert [w.language for w in chosen] == ["en"] and app.scenes.names == ["idle", "scorecard"]
    assert store.queued("language_set", "W001")[0].payload == {"language": "en"}


@needs_x
def test_a_site_that_writes_cantonese_in_simplified_characters(app, store, speaker):
    new_roster(app, roster_with({"W001": "yue"}, script="simplified"), '"s1"')
    open_card(app, store)
    card = app.scenes.top
    assert card.lang == "yue_Hans" and card.worker.language == "yue"
    said = [(lang, parts) for lang, parts in speaker.said if parts[0][0] == "say.greeting"]
    assert said and said[-1][0] == "yue"
    # spoken from the yue wording, in Traditional characters, though the screen is not
    total = [text for key, text in said[-1][1] if key == "say.total"]
    assert total and t("yue", "period.week") in total[0]
    tap_button(app, "language")
    chooser = app.scenes.top
    assert chooser.lang == "yue_Hans" and chooser.current == "yue"
    shoot(app, "chooser_yue_simplified")
    tap_button(app, "language:en")
    assert app.scenes.top.lang == "en"
    new_roster(app, roster_with({"W001": "yue"}, script="traditional"), '"s2"')
    assert app.ctx.yue_script == "traditional"


@needs_x
@pytest.mark.parametrize("lang", ["zh_CN", "en", "yue"])
def test_the_chooser_in_each_language(app, store, lang):
    new_roster(app, roster_with({"W001": lang}), f'"{lang}"')
    open_card(app, store)
    tap_button(app, "language")
    chooser = app.scenes.top
    assert chooser.lang == lang
    assert [b.selected for b in chooser.buttons[:3]] == [
        code == lang for code in ("zh_CN", "en", "yue")]
    shoot(app, f"chooser_{lang}")
    # the title in the worker's language, and the names drawn inside their buttons
    assert chooser.tr("language.title") == LANGUAGES[lang]["language.title"]
    for button in chooser.buttons[:3]:
        inner = button.rect.inflate(-8, -8)
        colours = {tuple(app.screen.get_at((x, inner.centery)))
                   for x in range(inner.left, inner.right, 2)}
        assert len(colours) > 2, f"{button.name}: no name drawn"


# --- espeak-ng reads Cantonese as Cantonese, in either script -----------------------------

PHONEMES = r"""
import ctypes, json, sys
import espeakng_loader
from kiosk.hardware.speech import load_espeak
load_espeak()
lib = ctypes.CDLL(espeakng_loader.get_library_path())
lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)
lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
assert lib.espeak_SetVoiceByName(b"yue") == 0
lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
out = {}
for text in json.loads(sys.stdin.read()):
    buf = ctypes.create_string_buffer(text.encode())
    ptr = ctypes.c_void_p(ctypes.addressof(buf))
    parts = []
    while ptr.value:
        parts.append((lib.espeak_TextToPhonemes(ctypes.byref(ptr), 1, 0x02) or b"").decode())
    out[text] = " ".join(parts).replace("ˈ", "").replace("ˌ", "")
print(json.dumps(out, ensure_ascii=False))
"""


def phonemes(texts: list[str]) -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", PHONEMES], input=json.dumps(texts),
                            capture_output=True, text=True, timeout=60, check=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return json.loads(result.stdout)


def test_the_yue_voice_says_cantonese_words_in_either_script():
    words = {"咗": "zo2", "係": "hai6", "唔": "ng4", "嘅": "ge", "喺": "hai2", "冇": "mou5"}
    said = phonemes(list(words))
    for word, sound in words.items():  # Jyutping, as espeak-ng writes it (ɡ for g)
        assert said[word].replace("ɡ", "g").startswith(sound), (word, said[word])
    # every spoken phrase sounds the same from either catalogue
    keys = [k for k in LANGUAGES["yue"] if k.startswith("say.")]
    fill = {"name": "", "dim": "", "period": "", "total": "85", "n": "3", "points": "10",
            "tier": "", "rank": "2"}

    def text(lang: str, key: str) -> str:
        template = LANGUAGES[lang][key]
        names = {n for _, n, _, _ in string.Formatter().parse(template) if n}
        return template.format(**{n: fill.get(n, "") for n in names})

    hant = {k: text("yue", k) for k in keys}
    hans = {k: text("yue_Hans", k) for k in keys}
    sounds = phonemes(sorted(set(hant.values()) | set(hans.values())))
    differ = [k for k in keys if sounds[hant[k]] != sounds[hans[k]]]
    assert not differ, [(k, hant[k], hans[k]) for k in differ]
    assert "zo2" in sounds[hant["say.saved"]]  # 儲存咗


# --- the kiosk's own note of a language chosen here (kiosk/language_choice.py) -----------

def test_a_damaged_or_stale_note_is_no_override(store):
    def roster() -> Roster:
        return Roster(workers={"W001": Worker("W001", "张三", "zh_CN"),
                               "W002": Worker("W002", "Alice", "en")})

    store.set_setting(language_choice.OVERRIDES_KEY, "not json")
    assert language_choice.load(store) == {}
    store.set_setting(language_choice.OVERRIDES_KEY, json.dumps({
        "W001": {"language": "yue", "roster_was": "zh_CN", "set_at": 1000.0},
        "W002": {"language": "klingon", "roster_was": "en", "set_at": 1000.0},
        "W404": {"language": "en", "roster_was": "zh_CN", "set_at": 1000.0}}))
    assert set(language_choice.load(store)) == {"W001", "W404"}
    applied = language_choice.apply(store, roster(), now=2000.0)
    assert applied.workers["W001"].language == "yue"
    assert applied.workers["W002"].language == "en"
    assert set(language_choice.load(store)) == {"W001"}  # no such worker: forgotten
    days = language_choice.OVERRIDE_DAYS * 86400
    assert language_choice.apply(store, roster(), now=1000.0 + days + 1
                                 ).workers["W001"].language == "zh_CN"
    assert store.get_setting(language_choice.OVERRIDES_KEY) is None


def test_the_note_is_forgotten_with_the_server(store):
    store.set_setting(language_choice.OVERRIDES_KEY, json.dumps({
        "W001": {"language": "yue", "roster_was": "zh_CN", "set_at": 1000.0}}))
    store.forget_server_data()
    assert language_choice.load(store) == {}


def test_a_refused_choice_drops_the_note(store):
    store.set_setting(language_choice.OVERRIDES_KEY, json.dumps({
        "W001": {"language": "yue", "roster_was": "zh_CN", "set_at": 1000.0},
        "W002": {"language": "en", "roster_was": "zh_CN", "set_at": 1000.0}}))
    assert language_choice.refused(store, "W001", "en") is False  # a newer choice stays
    assert language_choice.refused(store, "W001", "yue") is True
    assert set(language_choice.load(store)) == {"W002"}
