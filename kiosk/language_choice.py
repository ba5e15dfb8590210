"""A worker's language chosen at the kiosk: the `language_set` event, and the kiosk's own
note of the choice until the roster says so.

The worker taps a language (kiosk/scenes/language.py); `choose` queues the event
`language_set` `{"language": L}` for them and the kiosk uses L for them at once, on screen
and in speech, without waiting for the server: it keeps an override in the store's
settings (`OVERRIDES_KEY`, one JSON object: code -> language, the roster's language when
it was chosen, and when). `apply` lays the overrides over each roster the kiosk loads and
drops one as soon as the roster's language for that worker is no longer the one it was
when chosen (the server took the event, or HR changed it since: either way the roster
speaks now), or after `OVERRIDE_DAYS` (an event the server refused never changes the
roster).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

from kiosk.i18n import WORKER_LANGUAGES, worker_language, yue_script
from kiosk.logs import log_event
from kiosk.model import Roster, Worker

logger = logging.getLogger(__name__)

EVENT_KIND = "language_set"
OVERRIDES_KEY = "language_overrides"
OVERRIDE_DAYS = 30


class Settings(Protocol):
    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...

    def delete_setting(self, key: str) -> None: ...


class Recorder(Protocol):
    """What `choose` needs of the scenes' Context."""

    @property
    def store(self) -> Any: ...

    def roster(self) -> Roster: ...

    def record(self, kind: str, worker: str | None, payload: dict[str, Any], *,
               send_now: bool = True) -> str: ...


@dataclass(frozen=True)
class Override:
    language: str
    roster_was: str  # the roster's language for the worker when they chose
    set_at: float


def load(store: Settings) -> dict[str, Override]:
    """The overrides kept in the store; a damaged value is no override."""
    raw = store.get_setting(OVERRIDES_KEY)
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    found: dict[str, Override] = {}
    for code, item in data.items() if isinstance(data, dict) else ():
        try:
            override = Override(str(item["language"]), str(item["roster_was"]),
                                float(item["set_at"]))
        except (KeyError, TypeError, ValueError):
            continue
        if override.language in WORKER_LANGUAGES:
            found[str(code)] = override
    return found


def _save(store: Settings, overrides: dict[str, Override]) -> None:
    if not overrides:
        store.delete_setting(OVERRIDES_KEY)
        return
    store.set_setting(OVERRIDES_KEY, json.dumps(
        {code: {"language": o.language, "roster_was": o.roster_was, "set_at": o.set_at}
         for code, o in sorted(overrides.items())}))


def apply(store: Settings, roster: Roster, now: float | None = None) -> Roster:
    """Lay the kept overrides over a freshly loaded ``roster`` (changed in place, and
    returned): each worker with one gets its language; the ones the roster has overtaken,
    or that are too old, are forgotten."""
    now = time.time() if now is None else now
    overrides = load(store)
    kept: dict[str, Override] = {}
    for code, override in overrides.items():
        worker = roster.workers.get(code)
        if worker is None or now - override.set_at > OVERRIDE_DAYS * 86400:
            continue
        if worker_language(worker.language) != override.roster_was:
            log_event(logger, "language_override_done", worker=code,
                      language=worker_language(worker.language))
            continue
        kept[code] = override
        roster.workers[code] = replace(worker, language=override.language)
    if kept != overrides:
        _save(store, kept)
    return roster


def choose(ctx: Recorder, worker: Worker, language: str, roster_language: str | None = None
           ) -> Worker:
    """The worker chose ``language`` (a worker language or a name of one): queue the
    `language_set` event, keep the override, and put the worker in the kiosk's roster with
    it at once. Returns the worker as now known. ``roster_language`` is the worker's
    language as the roster (not an override) says; by default the one kept with an older
    override, else the worker's."""
    code = worker_language(language)
    if code not in WORKER_LANGUAGES:
        raise ValueError(f"not a worker language: {language!r}")
    ctx.record(EVENT_KIND, worker.code, {"language": code})
    overrides = load(ctx.store)
    previous = overrides.get(worker.code)
    was = roster_language or (previous.roster_was if previous else
                              worker_language(worker.language))
    overrides[worker.code] = Override(code, worker_language(was), time.time())
    _save(ctx.store, overrides)
    chosen = replace(worker, language=code)
    roster = ctx.roster()
    if worker.code in roster.workers:
        roster.workers[worker.code] = replace(roster.workers[worker.code], language=code)
    log_event(logger, "language_chosen", worker=worker.code, language=code)
    return chosen


def refused(store: Settings, worker: str, language: object) -> bool:
    """The server refused a `language_set` of ``worker`` (the sync worker's answer): the
    kiosk's note of that choice goes, so the roster's language is theirs again from the
    next roster the kiosk loads. True when a note was dropped."""
    overrides = load(store)
    override = overrides.get(worker)
    if override is None or override.language != language:
        return False
    del overrides[worker]
    _save(store, overrides)
    log_event(logger, "language_override_refused", logging.WARNING, worker=worker,
              language=override.language)
    return True


def roster_yue_script(body: dict[str, Any] | None) -> str:
    """The site's script for Cantonese from the roster's JSON ("traditional" when the
    server says nothing)."""
    return yue_script((body or {}).get("yue_script"))
