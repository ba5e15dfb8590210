"""Structured logs: one JSON object a line, with an ISO 8601 timestamp (ms and offset), in the
kiosk's shape (``ts``, ``level``, ``logger``, ``event``, the event's fields)."""

from __future__ import annotations

import json
import logging
import sys
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

    kiosk/logs.py and server/logs.py hold the same copy of this class (neither imports
    the other): tests/kiosk/test_kiosk_logs.py checks that they stay identical.
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


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic narrates every migration context at INFO; only its warnings matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
