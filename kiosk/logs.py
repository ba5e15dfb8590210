"""Structured logs: one JSON object a line, to stdout and <data-dir>/logs/kiosk.jsonl.

Call sites log ``logger.info("badge_read", extra={"fields": {...}})`` through
:func:`log_event`; the formatter never prints a PIN, a token or a raw badge UID because
those are never passed in (and a short list of key names is dropped as a second guard).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

FORBIDDEN_KEYS = frozenset({"pin", "token", "uid", "secret", "password", "authorization"})


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, event, extra={"fields": fields})


class JsonLineFormatter(logging.Formatter):
    def __init__(self, kiosk_name: str | None = None) -> None:
        super().__init__()
        self.kiosk_name = kiosk_name

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created).astimezone()
        line: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if fields is None:
            line["event"] = "message"
            line["message"] = record.getMessage()
        else:
            line["event"] = record.msg
            line.update({k: v for k, v in fields.items() if k.lower() not in FORBIDDEN_KEYS})
        if self.kiosk_name and "kiosk" not in line:
            line["kiosk"] = self.kiosk_name
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(log_dir: Path | None, kiosk_name: str | None = None) -> None:
    """Send the ``kiosk`` loggers to stdout and, when given, to ``log_dir/kiosk.jsonl``."""
    root = logging.getLogger("kiosk")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = JsonLineFormatter(kiosk_name)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_dir / "kiosk.jsonl", encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
