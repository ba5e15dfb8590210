"""The kiosk's phrases for screen text and speech, read from gettext catalogues.

One catalogue per language, `kiosk/translations/<lang>/LC_MESSAGES/kiosk.po`, like the
server's, so translators can use ordinary tools (Poedit, Weblate, msgfmt -c). The
catalogues are keyed: an entry's msgid is the key the code asks for ("card.points") and
its msgstr the text. `kiosk/translations/kiosk.pot` is the template; its comments give
the English text. Every catalogue has every key with the same placeholders
(tests/kiosk/test_kiosk_i18n.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polib

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DEFAULT_LANGUAGE = "zh_CN"


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
