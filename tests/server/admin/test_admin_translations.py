"""Every UI text has its Chinese translation, and the compiled catalogues are current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import server

TRANSLATIONS = Path(server.__file__).parent / "translations"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _po(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _mo(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_mo(handle)


def test_every_message_is_translated_to_chinese() -> None:
    template = _po(TRANSLATIONS / "messages.pot")
    chinese = _po(TRANSLATIONS / "zh_Hans_CN/LC_MESSAGES/messages.po")
    wanted = {_key(m.id) for m in template if m.id}
    missing = [m.id for m in chinese if _key(m.id) in wanted and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]
    assert missing == []
    assert wanted - {_key(m.id) for m in chinese} == set()


def test_the_compiled_catalogues_match_their_sources() -> None:
    for folder in ("zh_Hans_CN", "en"):
        source = _po(TRANSLATIONS / folder / "LC_MESSAGES/messages.po")
        compiled = _mo(TRANSLATIONS / folder / "LC_MESSAGES/messages.mo")
        translated = {_key(m.id): _key(m.string) for m in source
                      if m.id and any(_strings(m))}
        found = {_key(m.id): _key(m.string) for m in compiled if m.id}
        assert {key: found.get(key) for key in translated} == translated, folder


def _strings(message: object) -> tuple[str, ...]:
    string = message.string  # type: ignore[attr-defined]
    return tuple(string) if isinstance(string, list | tuple) else (string,)
