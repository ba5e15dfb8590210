"""Structured logs: one JSON object a line, to stdout and <data-dir>/logs/kiosk.jsonl, in
the server's shape (``ts``, ``level``, ``logger``, ``event``, the event's fields).

Call sites log ``logger.info("badge_read", extra={"fields": {...}})`` through
:func:`log_event`; the formatter never prints a PIN, a token or a raw badge UID because
those are never passed in (and a short list of key names is dropped as a second guard).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from shopfloor_logging import JsonFormatter


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    logger.log(level, event, extra={"fields": fields})


def setup_logging(log_dir: Path | None, kiosk_name: str | None = None) -> None:
    """Send the ``kiosk`` loggers to stdout and, when given, to ``log_dir/kiosk.jsonl``."""
    root = logging.getLogger("kiosk")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = JsonFormatter(**({"kiosk": kiosk_name} if kiosk_name else {}))
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_dir / "kiosk.jsonl", encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
