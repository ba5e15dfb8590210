"""The languages a worker may have, and the site's script for Cantonese.

A worker's language (`Language`: zh_CN, en, yue) is what the kiosk shows and speaks to
them. HR sets it (admin, import); the worker sets it at the kiosk (the `language_set`
event, services/events/effects.py). Either way `set_language` changes it and audits it.

Cantonese (yue) is spoken with its own wording; on screen it is written in Traditional or
Simplified characters as HR chooses for the whole site (`yue_script`, a row of
`settings`; none means Traditional), sent to the kiosks in the roster.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.models import Language, Setting, Worker
from server.services import InvalidInput
from server.services.audit import record

YUE_SCRIPT_KEY = "yue_script"
TRADITIONAL, SIMPLIFIED = "traditional", "simplified"
YUE_SCRIPTS = (TRADITIONAL, SIMPLIFIED)
# Each language by its own name in its own script (the admin's lists, never a flag).
LANGUAGE_NAMES = {Language.ZH_CN.value: "中文", Language.EN.value: "English",
                  Language.YUE.value: "粵語"}


def yue_script(session: Session) -> str:
    """How the kiosks write Cantonese: "traditional" (the default) or "simplified"."""
    setting = session.get(Setting, YUE_SCRIPT_KEY)
    return setting.value if setting is not None and setting.value in YUE_SCRIPTS \
        else TRADITIONAL


def set_yue_script(session: Session, script: str, actor: str) -> bool:
    """HR's choice of script for Cantonese on every kiosk; audited. True when it changed."""
    if script not in YUE_SCRIPTS:
        raise InvalidInput(f"yue_script: one of {', '.join(YUE_SCRIPTS)}")
    before = yue_script(session)
    if script == before:
        return False
    setting = session.get(Setting, YUE_SCRIPT_KEY)
    if setting is None:
        session.add(Setting(key=YUE_SCRIPT_KEY, value=script))
    else:
        setting.value = script
    record(session, actor, "setting.yue_script", "setting", YUE_SCRIPT_KEY,
           before={"yue_script": before}, after={"yue_script": script})
    return True


def set_language(session: Session, worker: Worker, language: Language, actor: str, *,
                 via: str) -> bool:
    """Give ``worker`` the language, audited with how it was chosen (``via``: "kiosk",
    "admin", "import"). True when it changed."""
    if worker.language is language:
        return False
    before = worker.language.value
    worker.language = language
    record(session, actor, "worker.language", "worker", worker.id,
           before={"language": before}, after={"language": language.value, "via": via})
    return True
