"""Write kiosk/translations/yue_Hans from yue: the same Cantonese words in Simplified script.

    .venv/bin/python scripts/make-yue-hans.py

Translators edit `yue` (Traditional, as spoken) only; this makes `yue_Hans` with OpenCC's
hk2s conversion (opencc is in the test extra), keeping 嗰, which OpenCC writes as the
Extension-B character 𠮶 that the kiosk's font lacks. tests/kiosk/test_kiosk_i18n.py fails
while yue_Hans does not match.
"""

from __future__ import annotations

from pathlib import Path

import opencc
import polib

TRANSLATIONS = Path(__file__).resolve().parent.parent / "kiosk" / "translations"
KEEP = {"𠮶": "嗰"}


def to_simplified(text: str, converter: opencc.OpenCC) -> str:
    text = converter.convert(text)
    for written, kept in KEEP.items():
        text = text.replace(written, kept)
    return text


def main() -> None:
    converter = opencc.OpenCC("hk2s")
    yue = polib.pofile(str(TRANSLATIONS / "yue" / "LC_MESSAGES" / "kiosk.po"), wrapwidth=0)
    hans = polib.POFile(wrapwidth=0)
    hans.header = ("The kiosk's phrases in Cantonese, Simplified characters: made from yue "
                   "with OpenCC (hk2s), keeping 嗰; edit yue, not this file.")
    hans.metadata = {**yue.metadata, "Language": "yue_Hans"}
    for entry in yue:
        hans.append(polib.POEntry(msgid=entry.msgid, msgstr=to_simplified(entry.msgstr, converter),
                                  comment=entry.comment, flags=list(entry.flags)))
    hans.save(str(TRANSLATIONS / "yue_Hans" / "LC_MESSAGES" / "kiosk.po"))
    print(f"yue_Hans: {len(hans)} phrases")


if __name__ == "__main__":
    main()
