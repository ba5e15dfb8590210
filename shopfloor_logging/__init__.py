"""The JSON log line the server and the kiosk both write, in one place.

A package of its own, with nothing but the standard library, because the kiosk never
imports the server and the server has no business importing the kiosk.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

FORBIDDEN_KEYS = frozenset({"pin", "token", "uid", "secret", "password", "authorization"})
# What every log record carries; anything else on a record is a field of its event.
RECORD_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "fields"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``ts`` (ISO 8601 with milliseconds and offset), ``level``,
    ``logger``, ``event``, then the event's fields; ``exc`` holds a traceback.

    A record with fields (``extra={"fields": {...}}``, or any other ``extra=`` keys) is the
    event its message names; any other record is the event ``message``, its text under
    ``message``. ``static`` fields (the kiosk's name) go on every line that lacks them. A
    key in FORBIDDEN_KEYS is never written.

    The one formatter of the project: the server (server/logs.py) and the kiosk
    (kiosk/logs.py) both use it, and neither imports the other.
    """

    def __init__(self, **static: Any) -> None:
        super().__init__()
        self.static = static

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created).astimezone()
        line: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        nested = getattr(record, "fields", None)
        fields = {k: v for k, v in vars(record).items() if k not in RECORD_KEYS}
        if isinstance(nested, dict):
            fields.update(nested)
        if nested is None and not fields:
            line["event"] = "message"
            line["message"] = record.getMessage()
        else:
            line["event"] = record.getMessage()
            line.update({k: v for k, v in fields.items() if k.lower() not in FORBIDDEN_KEYS})
        for key, value in self.static.items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
