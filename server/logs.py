"""Structured logs: one JSON object a line, with an ISO 8601 timestamp (ms and offset), in the
kiosk's shape (``ts``, ``level``, ``logger``, ``event``, the event's fields)."""

from __future__ import annotations

import logging
import sys

from shopfloor_logging import JsonFormatter


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic narrates every migration context at INFO; only its warnings matter here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
