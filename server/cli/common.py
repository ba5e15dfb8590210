"""What every `shopfloor-server` command module shares without importing `server.cli`.

Run as `python -m server.cli`, that module is `__main__`, and a class imported from
`server.cli` would be a second, different class that `main` does not catch.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any


class CliError(Exception):
    """A problem to report as one line on stderr."""


def emit(args: argparse.Namespace, data: Any, text: str | Callable[[], str]) -> None:
    """JSON with `--json`, else the text for people."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text() if callable(text) else text)
