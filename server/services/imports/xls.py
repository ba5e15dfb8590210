"""Old Excel .xls workbooks, read by python-calamine in a child process held to limits.

calamine reads every sheet of an XLS when it opens the file, and sizes what it allocates
from what the file declares (a sheet's dimensions, the span between its first and last
cell, a string shared by many cells), so a small hostile file can ask for gigabytes, and
an allocation that fails inside calamine aborts the process. So the workbook is opened in
a child (`xls_child.py`, started with `python -I`): its address space and CPU time are
capped, it prints the first sheet's rows as JSON lines, at most `rows` of them, cut to
`columns` cells and `output` bytes, and a child that dies, runs out of time or of memory
means the file is refused; the server never holds more than the rows it reads.
"""

from __future__ import annotations

import enum
import json
import logging
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("xls_child.py")


class Problem(enum.Enum):
    UNREADABLE = "unreadable"  # not a workbook calamine reads (a password too: it says so)
    TOO_MUCH = "too_much"  # past the memory, time or output allowed


@dataclass
class Sheet:
    """The rows that hold a value, as (line, cells); `wide_line` is the first row with a
    value right of the columns read (the rows before it are given)."""

    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    wide_line: int | None = None
    problem: Problem | None = None


def _value(cell: object) -> object:
    if not isinstance(cell, dict):
        return cell
    if "datetime" in cell:
        return datetime.fromisoformat(str(cell["datetime"]))
    if "date" in cell:
        return date.fromisoformat(str(cell["date"]))
    if "time" in cell:
        return time.fromisoformat(str(cell["time"]))
    if "seconds" in cell:
        return timedelta(seconds=float(cell["seconds"]))
    return None


def read_first_sheet(data: bytes, *, rows: int, columns: int, memory: int, seconds: int,
                     output: int) -> Sheet:
    """The first sheet of the XLS in `data` (see the module's docstring for the limits)."""
    command = [sys.executable, "-I", str(CHILD), str(memory), str(seconds), str(rows),
               str(columns), str(output)]
    try:
        done = subprocess.run(command, input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=2 * seconds + 5, check=False)
    except subprocess.TimeoutExpired:
        logger.warning("xls_refused", extra={"fields": {"why": "timeout"}})
        return Sheet(problem=Problem.TOO_MUCH)
    if done.returncode != 0:
        # A signal (an abort on a failed allocation, SIGXCPU, SIGKILL): past the limits.
        logger.warning("xls_refused", extra={"fields": {"returncode": done.returncode}})
        return Sheet(problem=Problem.TOO_MUCH if done.returncode < 0 else Problem.UNREADABLE)
    sheet = Sheet()
    for text in done.stdout.splitlines():
        try:
            record = json.loads(text)
            if "line" in record:
                sheet.rows.append((int(record["line"]),
                                   [_value(cell) for cell in record["cells"]]))
            elif "wide" in record:
                sheet.wide_line = int(record["wide"])
            elif "problem" in record:
                sheet.problem = Problem(record["problem"])
        except (ValueError, TypeError, KeyError):
            return Sheet(problem=Problem.UNREADABLE)
    return sheet
