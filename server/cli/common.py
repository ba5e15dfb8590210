"""What every `shopfloor-server` command module shares: the context, errors and output.

Topic modules import this module, never `server.cli` itself, so the package has no circle.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from server.config import Config
from server.db import current_revision, head_revision, make_engine, make_sessionmaker


class CliError(Exception):
    """A problem to report as one line on stderr."""


def emit(args: argparse.Namespace, data: Any, text: str | Callable[[], str]) -> None:
    """JSON with `--json`, else the text for people."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text() if callable(text) else text)


Handler = Callable[[argparse.Namespace, "Context"], int]


@dataclass
class Context:
    config: Config
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.config.database_url)
        return self._engine

    @contextmanager
    def session(self, *, require_schema: bool = True) -> Iterator[Session]:
        url = self.engine.url
        if require_schema and url.get_backend_name() == "sqlite" and url.database \
                and not os.path.exists(url.database):
            raise CliError(f"there is no database at {url.database}: "
                           "run `shopfloor-server init`")
        if require_schema and current_revision(self.engine) != head_revision():
            raise CliError("the database is not initialised or not up to date: "
                           "run `shopfloor-server init`")
        with make_sessionmaker(self.engine)() as session:
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def read_secret(prompt: str, *, what: str = "password", twice: bool = True) -> str:
    """From the terminal (asked twice when it sets a new secret), or one line from piped
    stdin; never waits on none."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if twice and getpass.getpass("again: ") != first:
            raise CliError("the two entries differ")
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CliError(f"no {what} on standard input")
    return line
